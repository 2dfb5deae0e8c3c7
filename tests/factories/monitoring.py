"""Factories and workflow helpers for the monitoring app. The helpers drive a visit through
the real services, so a visit "at status X" got there the way a user would."""

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from monitoring import services
from monitoring.models import (
    ActionItem,
    ActionItemCategory,
    ActionItemOwner,
    MonitoringVisit,
    VisitMode,
    VisitStatus,
    VisitType,
)
from tests.factories import PASSWORD

FILLED_SECTIONS = {
    "attendees": {"names": "PI, study coordinator, CRA"},
    "informed_consent": {"consents_reviewed": 3, "summary": "All consents on the current version."},
    "sdv": {
        "subjects_reviewed": "ALP-101-001",
        "visits_reviewed": 4,
        "data_points_verified": 90,
        "data_points_total": 120,
    },
    "protocol_deviations": {"summary": "One late visit recorded as a finding."},
    "ae_review": {"summary": "No new SAEs; AE log current."},
    "ip_accountability": {"summary": "Dispensing log reconciled."},
    "isf_review": {"summary": "Delegation log missing one signature."},
    "conclusions": {"summary": "Site performing well; follow up on the delegation log."},
}


class MonitoringVisitFactory(DjangoModelFactory):
    class Meta:
        model = MonitoringVisit

    study_site = None
    cra = None
    visit_type = VisitType.IMV
    mode = VisitMode.ON_SITE
    planned_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=10))
    agenda = "Source data verification and ISF review"


class ActionItemFactory(DjangoModelFactory):
    class Meta:
        model = ActionItem

    study_site = None
    raised_by = None
    description = factory.Sequence(lambda n: f"Update the delegation log ({n})")
    category = ActionItemCategory.ISF
    owner = ActionItemOwner.SITE
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=14))


def plan(tenant, *, days: int = 10, visit_type: str = VisitType.IMV, **extra) -> MonitoringVisit:
    return services.visit_plan(
        actor=tenant.cra,
        study_site=tenant.study_site,
        visit_type=visit_type,
        mode=VisitMode.ON_SITE,
        planned_at=timezone.now() + dt.timedelta(days=days),
        agenda=extra.pop("agenda", "Source data verification and ISF review"),
        **extra,
    )


def fill_report(tenant, visit) -> None:
    for key, values in FILLED_SECTIONS.items():
        services.visit_report_section_save(actor=tenant.cra, visit=visit, section=key, data=values)


def visit_at(tenant, status: str, **extra) -> MonitoringVisit:
    """A visit of the tenant's study-site brought to ``status`` through the services."""
    visit = plan(tenant, **extra)
    if status == VisitStatus.PLANNED:
        return visit
    if status == VisitStatus.PROPOSED:
        return services.visit_propose_date(
            actor=tenant.coordinator,
            visit=visit,
            proposed_at=timezone.now() + dt.timedelta(days=12),
        )
    if status == VisitStatus.CANCELLED:
        return services.visit_cancel(actor=tenant.cra, visit=visit, reason="Site closed that week")
    visit = services.visit_confirm(actor=tenant.coordinator, visit=visit)
    if status == VisitStatus.CONFIRMED:
        return visit
    visit = services.visit_complete(actor=tenant.cra, visit=visit, actual_date=timezone.localdate())
    if status == VisitStatus.COMPLETED:
        return visit
    fill_report(tenant, visit)
    services.finding_add(
        actor=tenant.cra, visit=visit, category="deviation", description="Week 4 visit late"
    )
    visit.refresh_from_db()
    if status == VisitStatus.REPORT_DRAFTED:
        return visit
    services.visit_report_submit(actor=tenant.cra, visit=visit, password=PASSWORD)
    visit.refresh_from_db()
    if status == VisitStatus.SUBMITTED:
        return visit
    if status == VisitStatus.RETURNED:
        services.visit_report_return(actor=tenant.pm, visit=visit, comments="Add the SDV list.")
    else:
        services.visit_report_approve(actor=tenant.pm, visit=visit, password=PASSWORD)
    visit.refresh_from_db()
    return visit
