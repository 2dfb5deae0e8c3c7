"""Dashboard panels (registered in PaymentsConfig.ready()); each runs a constant number of
queries through payments.selectors."""

from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from payments import selectors

# The overdue payables sum every unpaid item of every visible study-site (no index can make
# that constant), so the finance dashboard counts them at most once a minute per person and
# says when it did.
OVERDUE_TTL_SECONDS = 60


def _overdue_payables(user) -> tuple[dict, datetime]:
    today = timezone.localdate()
    key = f"payments:overdue:{user.pk}:{user.date_joined.timestamp()}:{today.isoformat()}"
    cached = cache.get(key)
    if cached is None:
        cached = (selectors.overdue_payables(actor=user, today=today), timezone.now())
        cache.set(key, cached, OVERDUE_TTL_SECONDS)
    return cached


def finance_queue_panel(request) -> dict:
    context = selectors.finance_queue(actor=request.user, limit=5)
    context["overdue"], context["overdue_counted_at"] = _overdue_payables(request.user)
    context["overdue_ttl_seconds"] = OVERDUE_TTL_SECONDS
    return context


def site_payments_panel(request) -> dict | None:
    rows = list(selectors.payment_summary_list(actor=request.user)[:5])
    return {"rows": rows}
