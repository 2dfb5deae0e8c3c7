"""Dashboard panels: the site's questionnaires due, the CRO's responses to review (one query
each, whatever the data size)."""

from django.utils import timezone

from feasibility import selectors


def build_site_due(request) -> dict | None:
    rows = selectors.site_requests_due(actor=request.user)
    today = timezone.localdate()
    return {"rows": [(r, selectors.days_left(r.due_date, today)) for r in rows]}


def build_cro_review(request) -> dict | None:
    return {"rows": selectors.cro_responses_to_review(actor=request.user)}
