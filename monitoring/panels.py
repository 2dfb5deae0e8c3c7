"""Dashboard panels and checklist items of the monitoring app (registered in apps.ready)."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from core.checklists import ChecklistItem
from monitoring import selectors
from monitoring.models import (
    UPCOMING_STATUSES,
    ActionItem,
    ActionItemStatus,
    MonitoringVisit,
    VisitStatus,
    VisitType,
)

PANEL_ROWS = 8
NOT_DONE = (*UPCOMING_STATUSES, VisitStatus.CANCELLED)


def cra_panel(request) -> dict:
    return selectors.cra_panel(actor=request.user, today=timezone.localdate(), limit=PANEL_ROWS)


def approvals_panel(request) -> dict:
    return {
        "visits": list(selectors.approvals_awaiting(actor=request.user)[:PANEL_ROWS]),
    }


def site_panel(request) -> dict:
    return selectors.site_panel(actor=request.user, today=timezone.localdate(), limit=PANEL_ROWS)


def _list_url(study_site) -> str:
    return (
        f"{reverse('monitoring_visit_list')}?study={study_site.study_id}&site={study_site.site_id}"
    )


def siv_item(study_site) -> list[ChecklistItem]:
    done = (
        MonitoringVisit.objects.filter(study_site=study_site, visit_type=VisitType.SIV)
        .exclude(status__in=NOT_DONE)
        .exists()
    )
    return [
        ChecklistItem(
            key="monitoring.siv",
            label="Site initiation visit completed",
            done=done,
            url=_list_url(study_site),
        )
    ]


def cov_items(study_site) -> list[ChecklistItem]:
    counts = MonitoringVisit.objects.filter(study_site=study_site).aggregate(
        cov_done=Count("pk", filter=Q(visit_type=VisitType.COV) & ~Q(status__in=NOT_DONE)),
        reports_open=Count(
            "pk",
            filter=~Q(status__in=[*UPCOMING_STATUSES, VisitStatus.CANCELLED, VisitStatus.APPROVED]),
        ),
    )
    open_items = (
        ActionItem.objects.filter(study_site=study_site)
        .exclude(status=ActionItemStatus.CLOSED)
        .count()
    )
    return [
        ChecklistItem(
            "monitoring.cov",
            "Close-out visit completed",
            counts["cov_done"] > 0,
            url=_list_url(study_site),
        ),
        ChecklistItem(
            "monitoring.reports",
            "All monitoring reports approved",
            counts["reports_open"] == 0,
            detail=f"{counts['reports_open']} not approved" if counts["reports_open"] else "",
            url=_list_url(study_site),
        ),
        ChecklistItem(
            "monitoring.action_items",
            "All action items closed",
            open_items == 0,
            detail=f"{open_items} open" if open_items else "",
            url=f"{reverse('action_item_list')}?study={study_site.study_id}&site={study_site.site_id}",
        ),
    ]
