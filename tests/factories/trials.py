"""Factories and helpers for the enrollment log tests."""

import datetime as dt

from tests.factories import StudySiteFactory, VisitDefinitionFactory
from trials.models import StudySiteStatus


def enrolling_study_site(tenant):
    """The tenant's study-site, enrolling, with a three-visit schedule after the screening one."""
    study_site = tenant.study_site
    study_site.status = StudySiteStatus.ENROLLING
    study_site.save(update_fields=["status"])
    VisitDefinitionFactory(
        study=tenant.study,
        code="D1",
        name="Day 1",
        day_offset=0,
        window_before=0,
        window_after=0,
        order=2,
    )
    VisitDefinitionFactory(
        study=tenant.study,
        code="W2",
        name="Week 2",
        day_offset=14,
        window_before=2,
        window_after=2,
        order=3,
    )
    return study_site


def other_enrolling_site(study):
    return StudySiteFactory(study=study, status=StudySiteStatus.ENROLLING)


SCREENING = dt.date(2026, 3, 2)
CONSENT = dt.date(2026, 3, 1)


def closed(study_site):
    """Mark a study-site closed directly (the lifecycle itself is tested elsewhere)."""
    from trials.models import StudySite

    StudySite.objects.filter(pk=study_site.pk).update(status=StudySiteStatus.CLOSED)
    study_site.refresh_from_db()
    return study_site


def second_site(tenant, label: str = "Second"):
    """Another open study-site of the tenant's study, with its own site organization and
    coordinator: (study_site, coordinator)."""
    from accounts.models import Role
    from tests.factories import SiteOrganizationFactory, member

    site = SiteOrganizationFactory(name=f"{label} Clinic")
    study_site = StudySiteFactory(
        study=tenant.study,
        site=site,
        site_number=f"9{site.pk % 100:02d}",
        status=StudySiteStatus.ENROLLING,
    )
    return study_site, member(site, Role.COORDINATOR, full_name=f"{label} Coordinator")


def study_update(tenant, *, study_sites=None, confirmation_required=True, title=None):
    """An update posted by the tenant's PM through the service."""
    from trials.models import StudyUpdateKind
    from trials.services import study_update_post

    return study_update_post(
        actor=tenant.pm,
        study=tenant.study,
        kind=StudyUpdateKind.AMENDMENT,
        title=title or f"{tenant.study.protocol_number} amendment 2 notice",
        body="Protocol amendment 2 is approved; read the summary of changes.",
        confirmation_required=confirmation_required,
        study_sites=study_sites,
    )
