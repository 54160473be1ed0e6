from rest_framework.routers import SimpleRouter

from .bank_statements import BankStatementLineViewSet, BankStatementViewSet
from .campaigns import CampaignViewSet
from .receipts import ReceiptViewSet
from .views import DonorViewSet, PaymentViewSet, PledgeViewSet

router = SimpleRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("donors", DonorViewSet, basename="donor")
router.register("pledges", PledgeViewSet, basename="pledge")
router.register("payments", PaymentViewSet, basename="payment")
router.register("receipts", ReceiptViewSet, basename="receipt")
router.register("bank-statements", BankStatementViewSet, basename="bank-statement")
router.register("bank-statement-lines", BankStatementLineViewSet, basename="bank-statement-line")

urlpatterns = router.urls
