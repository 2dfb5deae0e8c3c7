"""Dashboard panels (registered in PaymentsConfig.ready()); each runs a constant number of
queries through payments.selectors."""

from payments import selectors


def finance_queue_panel(request) -> dict:
    return selectors.finance_queue(actor=request.user, limit=5)


def site_payments_panel(request) -> dict | None:
    rows = list(selectors.payment_summary_list(actor=request.user)[:5])
    return {"rows": rows}
