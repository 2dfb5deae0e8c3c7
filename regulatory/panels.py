"""Dashboard panels of the regulatory app (registered in apps.ready); constant queries.

Each panel reads its first rows through ``selectors.versions_shown``: only the document is
joined, and what the rows show is fetched by id.
"""

from django.utils import timezone

from regulatory import selectors

PANEL_ROWS = 8


def site_panel(request) -> dict:
    today = timezone.localdate()
    queryset = selectors.versions_shown(selectors.attention_list(actor=request.user, today=today))
    rows = list(queryset[: PANEL_ROWS + 1])
    return {
        "rows": [(v, selectors.version_status(v, today)) for v in rows[:PANEL_ROWS]],
        "more": len(rows) > PANEL_ROWS,
    }


def review_panel(request) -> dict:
    rows = list(
        selectors.versions_shown(selectors.review_queue(actor=request.user))[: PANEL_ROWS + 1]
    )
    return {"rows": rows[:PANEL_ROWS], "more": len(rows) > PANEL_ROWS}
