"""Dashboard panels (registered in PaymentsConfig.ready()); each runs a constant number of
queries through payments.selectors."""

from django.utils import timezone

from core import counts
from payments import selectors


def finance_queue_panel(request) -> dict:
    context = selectors.finance_queue(actor=request.user, limit=5)
    # The overdue payables sum every unpaid item of every visible study-site (no index can
    # make that constant): counted at most once a minute per person, and the panel says when.
    today = timezone.localdate()
    context["overdue"], context["overdue_counted_at"] = counts.counted(
        "payments.overdue",
        request.user,
        lambda: selectors.overdue_payables(actor=request.user, today=today),
        today,
    )
    context["overdue_ttl_seconds"] = counts.TTL_SECONDS
    return context


def site_payments_panel(request) -> dict | None:
    rows = list(selectors.payment_summary_list(actor=request.user)[:5])
    return {"rows": rows}
