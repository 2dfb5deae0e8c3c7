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
