"""Monitoring objects for the access sweep: an approved visit (with report, letter and an
action item) and an action item of the tenant."""

from monitoring import services
from monitoring.models import ActionItem, MonitoringVisit
from tests.factories.monitoring import visit_at


def _visit(tenant) -> MonitoringVisit:
    existing = MonitoringVisit.objects.filter(study_site=tenant.study_site, status="approved")
    if existing.exists():
        return existing.first()
    visit = visit_at(tenant, "report_drafted", agenda=f"{tenant.site.name} monitoring agenda")
    services.action_item_raise(
        actor=tenant.cra,
        study_site=tenant.study_site,
        visit=visit,
        description=f"{tenant.cro.name} private action item",
        category="isf",
        owner="site",
        due_date=visit.actual_date.replace(year=visit.actual_date.year + 1),
    )
    from tests.factories import PASSWORD

    services.visit_report_submit(actor=tenant.cra, visit=visit, password=PASSWORD)
    services.visit_report_approve(actor=tenant.pm, visit=visit, password=PASSWORD)
    visit.refresh_from_db()
    return visit


def _item(tenant) -> int:
    visit = _visit(tenant)
    return ActionItem.objects.filter(visit=visit).first().pk


OBJECT_KWARGS = {
    "monitoring_visit_id": lambda tenant: _visit(tenant).pk,
    "action_item_id": _item,
}


def markers(tenant) -> list[str]:
    return [f"{tenant.site.name} monitoring agenda", f"{tenant.cro.name} private action item"]
