"""Dashboard panels of the regulatory app (registered in apps.ready); constant queries."""

from django.utils import timezone

from regulatory import selectors

PANEL_ROWS = 8


def site_panel(request) -> dict:
    today = timezone.localdate()
    rows = list(selectors.attention_list(actor=request.user, today=today)[: PANEL_ROWS + 1])
    return {
        "rows": [(v, selectors.version_status(v, today)) for v in rows[:PANEL_ROWS]],
        "more": len(rows) > PANEL_ROWS,
    }


def review_panel(request) -> dict:
    queue = selectors.review_queue(actor=request.user)
    rows = list(queue[: PANEL_ROWS + 1])
    return {"rows": rows[:PANEL_ROWS], "more": len(rows) > PANEL_ROWS}
