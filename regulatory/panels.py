"""Dashboard panels of the regulatory app (registered in apps.ready); constant queries.

Each panel reads its first rows with only the document joined, then prefetches what the rows
show (study-site with study and site; requirement with document type; person) by id: joining
those eight tables in the row query made Postgres spend far longer planning it than running it.
"""

from django.db.models import Prefetch
from django.utils import timezone

from regulatory import selectors
from regulatory.models import DocumentRequirement
from trials.models import StudySite

PANEL_ROWS = 8


def _shown(queryset):
    return (
        queryset.select_related(None)
        .select_related("document")
        .prefetch_related(
            Prefetch(
                "document__study_site",
                queryset=StudySite.objects.select_related("study", "site"),
            ),
            Prefetch(
                "document__requirement",
                queryset=DocumentRequirement.objects.select_related("document_type"),
            ),
            "document__person",
        )
    )


def site_panel(request) -> dict:
    today = timezone.localdate()
    queryset = _shown(selectors.attention_list(actor=request.user, today=today))
    rows = list(queryset[: PANEL_ROWS + 1])
    return {
        "rows": [(v, selectors.version_status(v, today)) for v in rows[:PANEL_ROWS]],
        "more": len(rows) > PANEL_ROWS,
    }


def review_panel(request) -> dict:
    rows = list(_shown(selectors.review_queue(actor=request.user))[: PANEL_ROWS + 1])
    return {"rows": rows[:PANEL_ROWS], "more": len(rows) > PANEL_ROWS}
