"""Every role's dashboard answers with the same number of SQL queries when its data doubles
(issue 8, the speed budget): each panel shows its first rows and a count that stops at
core.panels.COUNT_CAP, the study-site table computes its counts for the rows shown only, and
the "waiting on you" number is loaded afterwards with HTMX instead of running every inbox
provider while the page renders. (Server time on the scale data set is measured in bench/.)"""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from core import panels
from monitoring.models import VisitStatus
from regulatory.models import ReviewStatus
from safety.models import AdverseEventStatus
from tests.dashboards.inbox_data import CroPeople, cro_with_people, study_site_with_work
from tests.factories import (
    SiteOrganizationFactory,
    SponsorFactory,
    StudyFactory,
    StudySiteFactory,
    SubjectFactory,
    member,
)
from tests.factories.monitoring import MonitoringVisitFactory
from tests.factories.regulatory import DocumentFactory, DocumentRequirementFactory, version_add
from tests.factories.regulatory import document_type as doc_type
from tests.factories.safety import SeriousAdverseEventFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")
# A dashboard is a handful of panels of one or two queries each: far below this whatever the
# data size (the doubling test below is what proves "whatever the data size").
BUDGET = 22


@dataclass
class World:
    people: CroPeople
    site: object
    coordinator: User
    regulatory: User
    safety: User
    data_manager: User
    sponsor: object
    viewer: User


@pytest.fixture
def world() -> World:
    people = cro_with_people("Gamma CRO")
    sponsor = SponsorFactory(name="Gamma Pharma")
    site = SiteOrganizationFactory(name="Gamma Clinic")
    return World(
        people=people,
        site=site,
        coordinator=member(site, Role.COORDINATOR, full_name="Gamma Coordinator"),
        regulatory=member(people.cro, Role.REGULATORY, full_name="Gamma Regulatory"),
        safety=member(people.cro, Role.SAFETY, full_name="Gamma Safety"),
        data_manager=member(people.cro, Role.DATA_MANAGER, full_name="Gamma Data Manager"),
        sponsor=sponsor,
        viewer=member(sponsor, Role.VIEWER, full_name="Gamma Viewer"),
    )


def grow(world: World, study_sites: int) -> None:
    """``study_sites`` more study-sites of the CRO at the site, each with one item of every
    kind of work (inbox_data), plus what the CRO-side panels list: a submitted SAE to
    acknowledge, a submitted visit report to approve and an upload to review; and as many
    study-sites of studies the sponsor pays for."""
    now = timezone.now()
    people = world.people
    for _ in range(study_sites):
        study_site = study_site_with_work(people, world.site, world.coordinator)
        subject = SubjectFactory(study_site=study_site)
        SeriousAdverseEventFactory(
            subject=subject,
            recorded_by=world.coordinator,
            status=AdverseEventStatus.REPORTED,
            reported_at=now - dt.timedelta(hours=2),
            reported_by=world.coordinator,
        )
        MonitoringVisitFactory(
            study_site=study_site,
            cra=people.cra,
            status=VisitStatus.SUBMITTED,
            planned_at=now - dt.timedelta(days=5),
            actual_date=(now - dt.timedelta(days=5)).date(),
        )
        requirement = DocumentRequirementFactory(
            study=study_site.study,
            document_type=doc_type("lab_normal_ranges"),
            created_by=people.pm,
        )
        document = DocumentFactory(study_site=study_site, requirement=requirement)
        version_add(document, uploaded_by=world.coordinator, status=ReviewStatus.SUBMITTED)
        sponsored = StudyFactory(cro=people.cro, sponsor=world.sponsor)
        StudySiteFactory(study=sponsored, site=SiteOrganizationFactory())


def users(world: World) -> dict[str, User]:
    people = world.people
    return {
        "coordinator": world.coordinator,
        "cra": people.cra,
        "project manager": people.pm,
        "finance": people.finance,
        "finance approver": people.approver,
        "regulatory": world.regulatory,
        "safety": world.safety,
        "data manager": world.data_manager,
        "sponsor viewer": world.viewer,
    }


def dashboard(client, user: User) -> tuple[int, str]:
    client.force_login(user)
    client.get(DASHBOARD)  # the session and the templates are warm
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_every_role_runs_the_same_queries_when_the_data_doubles(
    client, world, django_assert_max_num_queries
):
    grow(world, 2)
    first = {}
    for role, user in users(world).items():
        first[role], _ = dashboard(client, user)
        assert first[role] <= BUDGET, (role, first[role])

    grow(world, 2)
    for role, user in users(world).items():
        client.force_login(user)
        with django_assert_max_num_queries(first[role]):
            assert client.get(DASHBOARD).status_code == 200, role


def test_panels_show_the_work_of_every_study_site(client, world):
    grow(world, 3)
    _, html = dashboard(client, world.coordinator)
    assert "Queries to answer" in html and "SAE clocks running" in html
    _, html = dashboard(client, world.people.finance)
    assert "Invoices to review" in html
    _, html = dashboard(client, world.safety)
    assert "SAEs to acknowledge" in html
    _, html = dashboard(client, world.people.pm)
    assert "Reports awaiting my approval" in html and "Answered queries to review" in html


def test_counts_stop_at_the_cap_and_say_so(client, world, monkeypatch):
    monkeypatch.setattr(panels, "COUNT_CAP", 2)
    grow(world, 3)
    _, html = dashboard(client, world.coordinator)
    # three queries wait on the site; the badge counts to two and says there are more
    assert "Queries to answer" in html and ">2+</span>" in html
    _, html = dashboard(client, world.people.finance)
    assert "Invoices to review" in html and ">2+</span>" in html


def test_waiting_on_you_is_loaded_after_the_page(client, world):
    grow(world, 1)
    for user in (world.coordinator, world.people.cra):
        _, html = dashboard(client, user)
        count_url = reverse("work_inbox_count")
        assert "Waiting on you" in html
        assert f'hx-get="{count_url}"' in html
        fragment = client.get(count_url).content.decode()
        assert fragment.strip(), "someone with work waiting gets a number"


def test_first_rows_counts_up_to_the_cap_in_one_query(world, django_assert_num_queries):
    grow(world, 1)
    from queries.models import DataQuery

    everything = DataQuery.objects.order_by("pk")
    total = everything.count()
    assert total >= 2
    with django_assert_num_queries(1):
        shown = panels.first_rows(everything, 1, cap=total + 5)
    assert shown["count"] == total and not shown["capped"] and shown["more"] == total - 1
    with django_assert_num_queries(1):
        capped = panels.first_rows(everything, 1, cap=2)
    assert capped["count"] == 2 and capped["capped"] and len(capped["rows"]) == 1
    with django_assert_num_queries(1):
        empty = panels.first_rows(everything.filter(pk__lt=0), 5)
    assert empty == {"rows": [], "count": 0, "capped": False, "more": 0}
