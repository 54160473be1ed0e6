from rest_framework.routers import SimpleRouter

from .views import (
    AllocationRunViewSet,
    AwardViewSet,
    DisbursementViewSet,
    NominationViewSet,
    ProgramViewSet,
    StudentViewSet,
)

router = SimpleRouter()
router.register("students", StudentViewSet, basename="student")
router.register("scholarship-programs", ProgramViewSet, basename="scholarship-program")
router.register("nominations", NominationViewSet, basename="nomination")
router.register("allocation-runs", AllocationRunViewSet, basename="allocation-run")
router.register("awards", AwardViewSet, basename="award")
router.register("disbursements", DisbursementViewSet, basename="disbursement")

urlpatterns = router.urls
