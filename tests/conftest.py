"""Shared fixtures: two tenants (a CRO with a study at a site, and a second CRO and site
that must never see the first's data)."""

import os
from dataclasses import dataclass

import pytest

from accounts.models import Role, User
from tests.factories import (
    CRAAssignmentFactory,
    CROFactory,
    SiteOrganizationFactory,
    SponsorFactory,
    StudyFactory,
    StudySiteFactory,
    StudyTeamMemberFactory,
    SubjectFactory,
    SubjectVisitFactory,
    VisitDefinitionFactory,
    member,
)
from trials.models import Study, StudySite, Subject, SubjectVisit, TeamRole


@pytest.fixture(scope="session")
def _media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _email_and_eager_tasks(settings, _media_root):
    """Email goes to django.core.mail.outbox; tasks run eagerly (one test uses a real worker);
    uploaded files land in a temporary folder."""
    from config.celery import app

    settings.MEDIA_ROOT = str(_media_root)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = True


@dataclass
class Tenant:
    """One CRO running one study at one site, with a person in each role that matters."""

    cro: object
    sponsor: object
    site: object
    study: Study
    study_site: StudySite
    subject: Subject
    subject_visit: SubjectVisit
    pm: User
    cra: User
    finance: User
    coordinator: User
    investigator: User
    sponsor_viewer: User
    site_admin: User
    cro_admin: User


def make_tenant(label: str) -> Tenant:
    cro = CROFactory(name=f"{label} CRO")
    sponsor = SponsorFactory(name=f"{label} Pharma")
    site = SiteOrganizationFactory(name=f"{label} Clinic")
    study = StudyFactory(cro=cro, sponsor=sponsor, protocol_number=f"{label.upper()}-001")
    study_site = StudySiteFactory(study=study, site=site, site_number="101")
    pm = member(cro, Role.PROJECT_MANAGER, full_name=f"{label} PM")
    StudyTeamMemberFactory(study=study, user=pm, role=TeamRole.LEAD)
    cra = member(cro, Role.CRA, full_name=f"{label} CRA")
    CRAAssignmentFactory(study_site=study_site, cra=cra)
    definition = VisitDefinitionFactory(study=study, code="SCR", name="Screening", day_offset=0)
    subject = SubjectFactory(
        study_site=study_site, subject_identifier=f"{label[:3].upper()}-101-001"
    )
    subject_visit = SubjectVisitFactory(subject=subject, definition=definition)
    return Tenant(
        cro=cro,
        sponsor=sponsor,
        site=site,
        study=study,
        study_site=study_site,
        subject=subject,
        subject_visit=subject_visit,
        pm=pm,
        cra=cra,
        finance=member(cro, Role.FINANCE, full_name=f"{label} Finance"),
        coordinator=member(site, Role.COORDINATOR, full_name=f"{label} Coordinator"),
        investigator=member(site, Role.INVESTIGATOR, full_name=f"{label} Investigator"),
        sponsor_viewer=member(sponsor, Role.VIEWER, full_name=f"{label} Viewer"),
        site_admin=member(site, Role.SITE_ADMIN, full_name=f"{label} Site Admin"),
        cro_admin=member(cro, Role.ADMIN, full_name=f"{label} CRO Admin"),
    )


@pytest.fixture
def tenant(db) -> Tenant:
    return make_tenant("Alpha")


@pytest.fixture
def other_tenant(db) -> Tenant:
    return make_tenant("Beta")


os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def study_first(monkeypatch):
    """Forms offering study-sites ask for the study first from two study-sites on
    (core/choices.py), so a small tenant shows the step."""
    from core import choices

    monkeypatch.setattr(choices, "STUDY_SITES_MAX", 1)


@pytest.fixture
def without_checklists(monkeypatch):
    """Activation/close-out checklists with no providers: for tests of the bare lifecycle."""
    from core import checklists

    monkeypatch.setattr(
        checklists, "_providers", {checklists.ACTIVATION: [], checklists.CLOSE_OUT: []}
    )


@pytest.fixture
def checklist_item(monkeypatch):
    """Register a throw-away checklist provider for one test: checklist_item(list, key, label,
    done)."""
    from core import checklists

    monkeypatch.setattr(
        checklists, "_providers", {name: list(v) for name, v in checklists._providers.items()}
    )

    def add(checklist: str, key: str, label: str, done: bool = False) -> None:
        checklists.register(
            checklist,
            f"test-{key}",
            lambda study_site: [checklists.ChecklistItem(key, label, done=done)],
        )

    return add
