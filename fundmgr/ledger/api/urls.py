from rest_framework.routers import SimpleRouter

from .views import FundViewSet, JournalEntryViewSet, TransferViewSet

router = SimpleRouter()
router.register("funds", FundViewSet, basename="fund")
router.register("journal-entries", JournalEntryViewSet, basename="journal-entry")
router.register("transfers", TransferViewSet, basename="transfer")

urlpatterns = router.urls
