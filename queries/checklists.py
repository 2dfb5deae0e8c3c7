"""The queries item of the close-out checklist (core.checklists): one SQL query."""

from django.db.models import Count, Q
from django.urls import reverse

from core.checklists import ChecklistItem
from queries.models import WAITING_ON_CRO, WAITING_ON_SITE, DataQuery


def close_out_items(study_site) -> list[ChecklistItem]:
    counts = DataQuery.objects.filter(study_site=study_site).aggregate(
        site=Count("pk", filter=Q(status__in=WAITING_ON_SITE)),
        cro=Count("pk", filter=Q(status__in=WAITING_ON_CRO)),
    )
    unresolved = counts["site"] + counts["cro"]
    if unresolved:
        parts = []
        if counts["site"]:
            parts.append(f"{counts['site']} waiting on the site (open or re-opened)")
        if counts["cro"]:
            parts.append(f"{counts['cro']} answered, waiting on the CRO to close")
        detail = "; ".join(parts) + "."
    else:
        detail = "Every data query is closed or cancelled."
    return [
        ChecklistItem(
            key="queries.all_closed",
            label="All queries closed",
            done=unresolved == 0,
            detail=detail,
            url=f"{reverse('data_query_list')}?study_site={study_site.pk}&ordering=waiting_since",
        )
    ]
