from rest_framework.routers import SimpleRouter

from payments.api import (
    BudgetViewSet,
    DisputeViewSet,
    EarningViewSet,
    InvoiceViewSet,
    PaymentRunViewSet,
)

router = SimpleRouter(trailing_slash=True)
router.register("budgets", BudgetViewSet, basename="api_budget")
router.register("earnings", EarningViewSet, basename="api_earning")
router.register("invoices", InvoiceViewSet, basename="api_invoice")
router.register("payment-runs", PaymentRunViewSet, basename="api_payment_run")
router.register("payment-disputes", DisputeViewSet, basename="api_payment_dispute")

urlpatterns = router.urls
