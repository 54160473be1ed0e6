from rest_framework.routers import SimpleRouter

from .views import DonorViewSet, PaymentViewSet, PledgeViewSet

router = SimpleRouter()
router.register("donors", DonorViewSet, basename="donor")
router.register("pledges", PledgeViewSet, basename="pledge")
router.register("payments", PaymentViewSet, basename="payment")

urlpatterns = router.urls
