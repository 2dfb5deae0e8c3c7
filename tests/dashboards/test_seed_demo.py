"""``manage.py seed_demo``: the invented demo data a local run starts with."""

import re
import string
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import models, transaction
from django.test import override_settings
from pghistory.models import Context

from accounts.models import Membership, Organization, Role, User
from core.models import Notification
from dashboards import demo
from dashboards.demo import DEMO_PASSWORD, DEMO_REASON, PEOPLE
from sites.models import SiteProfile
from trials import access
from trials.models import (
    Milestone,
    Study,
    StudySite,
    StudySiteStatus,
    Subject,
    SubjectStatus,
    SubjectVisit,
    SubjectVisitStatus,
)

DEMO_ORGANIZATIONS = {
    ("cro", "Meridian CRO (demo)"),
    ("cro", "Apex Research (demo)"),
    ("sponsor", "Helix Therapeutics (demo)"),
    ("site", "Lakeside Clinical Research (demo)"),
    ("site", "Riverbend Medical Center (demo)"),
}
COUNTED_APPS = ("accounts", "trials", "research_sites")
# Two capitalised words in a row ("Jane Doe") or anything shaped like a date of birth.
NAME_LIKE = re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+\b")
DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}")


def table_counts() -> dict[str, int]:
    """Row counts of every model (audit event tables included) the seed could touch."""
    counted: list[type[models.Model]] = [Notification, Context]
    for label in COUNTED_APPS:
        counted += apps.get_app_config(label).get_models()
    return {model._meta.label: model.objects.count() for model in counted}


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def user(email: str) -> User:
    return User.objects.get(email=email)


def pattern_regex(pattern: str, site_number: str) -> re.Pattern:
    """The regex of the identifiers a study's subject_id_pattern produces at one site."""
    parts = []
    for literal, name, spec, _ in string.Formatter().parse(pattern):
        parts.append(re.escape(literal))
        if name == "site":
            parts.append(re.escape(site_number))
        elif name == "seq":
            width = re.fullmatch(r"0?(\d+)d", spec or "")
            parts.append(rf"\d{{{width.group(1)},}}" if width else r"\d+")
    return re.compile("".join(parts))


@pytest.fixture(scope="class")
def seeded_once(django_db_setup, django_db_blocker):
    """Seed once for a whole test class, inside a transaction rolled back after the class; each
    test then runs in its own savepoint (the ``db`` fixture) on top of it."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


class TestSeededDemo:
    """Reads of one seeded database."""

    @pytest.fixture
    def seeded(self, seeded_once, db) -> str:
        return seeded_once

    def test_organizations_people_and_roles_exist(self, seeded):
        organizations = set(
            Organization.objects.filter(name__endswith=" (demo)").values_list("kind", "name")
        )
        assert organizations == DEMO_ORGANIZATIONS
        assert set(
            Membership.objects.filter(organization__name="Meridian CRO (demo)").values_list(
                "user__email", "role"
            )
        ) == {
            ("pm@meridian.example", Role.PROJECT_MANAGER),
            ("pm@meridian.example", Role.ADMIN),
            ("cra@meridian.example", Role.CRA),
            ("regulatory@meridian.example", Role.REGULATORY),
            ("finance@meridian.example", Role.FINANCE),
            ("approver@meridian.example", Role.FINANCE_APPROVER),
            ("safety@meridian.example", Role.SAFETY),
        }
        coordinator = user("coordinator@lakeside.example")
        assert coordinator.time_zone == "America/Chicago"
        assert set(coordinator.memberships.values_list("role", flat=True)) == {
            Role.COORDINATOR,
            Role.SITE_ADMIN,
        }
        assert SiteProfile.objects.filter(organization__name__endswith=" (demo)").count() == 2

    def test_every_demo_login_works_with_the_published_password(self, seeded):
        for person in PEOPLE:
            signed_in = authenticate(email=person.email, password=DEMO_PASSWORD)
            assert signed_in is not None, person.email
            assert signed_in.full_name == person.full_name
        assert authenticate(email="pm@meridian.example", password="wrong-password") is None

    def test_output_lists_the_logins_and_the_password(self, seeded):
        for person in PEOPLE:
            assert person.email in seeded
        assert "Lakeside Clinical Research (demo)" in seeded
        assert f"Password for every demo login: {DEMO_PASSWORD}" in seeded
        assert "invented" in seeded

    def test_lakeside_coordinator_sees_studies_of_both_cros(self, seeded):
        visible = access.visible_study_sites(user("coordinator@lakeside.example"))
        cros = set(visible.values_list("study__cro__name", flat=True))
        assert cros == {"Meridian CRO (demo)", "Apex Research (demo)"}
        assert set(visible.values_list("site__name", flat=True)) == {
            "Lakeside Clinical Research (demo)"
        }
        pi = user("pi@lakeside.example")
        assert set(StudySite.objects.filter(principal_investigator=pi)) == set(visible)

    def test_apex_people_see_no_meridian_study_site(self, seeded):
        for email in ("pm@apex.example", "cra@apex.example", "finance@apex.example"):
            visible = access.visible_study_sites(user(email))
            assert visible.exists(), email
            assert not visible.filter(study__cro__name="Meridian CRO (demo)").exists(), email

    def test_cras_leads_and_the_sponsor_see_their_study_sites(self, seeded):
        cra = user("cra@meridian.example")
        assert set(access.visible_study_sites(cra)) == set(
            StudySite.objects.filter(study__cro__name="Meridian CRO (demo)")
        )
        leads = set(
            Study.objects.filter(team__role="lead").values_list(
                "protocol_number", "team__user__email"
            )
        )
        assert leads == {
            ("MER-CARD-301", "pm@meridian.example"),
            ("MER-ONC-205", "pm@meridian.example"),
            ("MER-NEPH-120", "pm@meridian.example"),  # in feasibility (feasibility demo)
            ("APX-DERM-210", "pm@apex.example"),
            ("APX-RESP-115", "pm@apex.example"),
        }
        viewer = user("viewer@helix.example")
        assert set(access.visible_study_sites(viewer)) == set(
            StudySite.objects.filter(study__sponsor__name="Helix Therapeutics (demo)")
        )
        assert access.is_read_only(viewer)

    def test_subjects_are_pseudonymous_and_follow_the_study_pattern(self, seeded):
        subjects = list(Subject.objects.select_related("study_site__study"))
        assert len(subjects) >= 24
        text_fields = [
            f.name
            for f in Subject._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
        ]
        names = {part for p in PEOPLE for part in p.full_name.split()}
        for subject in subjects:
            study_site = subject.study_site
            regex = pattern_regex(study_site.study.subject_id_pattern, study_site.site_number)
            assert regex.fullmatch(subject.subject_identifier), subject.subject_identifier
            for name in text_fields:
                value = getattr(subject, name)
                assert not NAME_LIKE.search(value), (name, value)
                assert not DATE_LIKE.search(value), (name, value)
                assert not set(value.split()) & names, (name, value)
            assert subject.consent_date <= subject.screening_date
        statuses = {s.status for s in subjects}
        assert statuses == set(SubjectStatus.values)
        for subject in subjects:
            if subject.status in (SubjectStatus.SCREEN_FAILED, SubjectStatus.WITHDRAWN):
                assert subject.status_reason
        assert {s.study_site.study.protocol_number for s in subjects} == {
            "MER-CARD-301",
            "APX-DERM-210",
        }

    def test_enrolled_subjects_follow_the_visit_schedule(self, seeded):
        visits = list(
            SubjectVisit.objects.select_related("subject", "definition").filter(
                subject__status=SubjectStatus.ENROLLED
            )
        )
        # Cancelled ("not applicable") visits belong to withdrawn subjects only.
        assert {v.status for v in visits} == set(SubjectVisitStatus.values) - {
            SubjectVisitStatus.CANCELLED
        }
        for visit in visits:
            enrolled = visit.subject.enrollment_date
            assert (visit.target_date - enrolled).days == visit.definition.day_offset
            assert (visit.target_date - visit.window_start).days == visit.definition.window_before
            assert (visit.window_end - visit.target_date).days == visit.definition.window_after
            if visit.status == SubjectVisitStatus.COMPLETED:
                assert visit.actual_date is not None
        assert not SubjectVisit.objects.filter(subject__status=SubjectStatus.SCREENING).exists()

    def test_activated_study_sites_have_an_actual_siv(self, seeded):
        active = StudySite.objects.filter(
            status__in=[StudySiteStatus.ACTIVATED, StudySiteStatus.ENROLLING]
        )
        assert active.count() >= 3
        for study_site in active:
            siv = Milestone.objects.get(study_site=study_site, kind="siv")
            assert siv.actual_date is not None
        assert Milestone.objects.filter(study_site__isnull=True, kind="fpi").count() == 4

    def test_audit_events_say_the_rows_are_invented_demo_data(self, seeded):
        event_model = apps.get_model("trials", "SubjectEvent")
        reasons = set(event_model.objects.values_list("pgh_context__metadata__reason", flat=True))
        assert reasons == {DEMO_REASON}

    def test_every_demo_user_has_a_welcome_notification(self, seeded):
        welcomed = set(
            Notification.objects.filter(dedupe_key__startswith="demo:welcome:").values_list(
                "recipient__email", flat=True
            )
        )
        assert welcomed == {p.email for p in PEOPLE}

    def test_a_second_run_adds_nothing(self, seeded):
        before = table_counts()
        with override_settings(DEBUG=True):
            output = seed()
        assert table_counts() == before
        assert "Nothing to add" in output


@pytest.mark.django_db
def test_refuses_without_debug_and_writes_nothing(settings):
    settings.DEBUG = False
    before = table_counts()
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert table_counts() == before
    assert not Organization.objects.filter(name__endswith=" (demo)").exists()


@pytest.mark.django_db
def test_force_loads_the_demo_without_debug(settings):
    settings.DEBUG = False
    output = seed(force=True)
    assert Organization.objects.filter(name__endswith=" (demo)").count() == 5
    assert user("viewer@helix.example").check_password(DEMO_PASSWORD)
    assert "Created this run" in output


@pytest.mark.django_db
def test_a_failure_half_way_leaves_nothing_behind(settings, monkeypatch):
    settings.DEBUG = True

    def broken(self):
        raise RuntimeError("notifications failed")

    monkeypatch.setattr(demo._Seeder, "seed_notifications", broken)
    before = table_counts()
    with pytest.raises(RuntimeError):
        seed()
    assert table_counts() == before
