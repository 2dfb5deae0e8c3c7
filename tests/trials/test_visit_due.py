"""The visit due list (site people, every CRO) and the 'visit coming due' reminder."""

import datetime as dt
import re

import pytest
import time_machine

from accounts.models import Role
from core.models import Notification
from tests.factories import (
    CROFactory,
    SiteOrganizationFactory,
    StudyFactory,
    StudySiteFactory,
    SubjectFactory,
    SubjectVisitFactory,
    VisitDefinitionFactory,
    member,
)
from trials.models import StudySite, StudySiteStatus, SubjectStatus, SubjectVisitStatus
from trials.tasks import subject_visit_due_reminders

pytestmark = pytest.mark.django_db

URL = "/visits/due/"
D = dt.date


def visit(study_site, code: str, start: dt.date, end: dt.date, **fields):
    """A scheduled visit of a new enrolled subject at ``study_site`` with this window."""
    subject = SubjectFactory(
        study_site=study_site,
        status=SubjectStatus.ENROLLED,
        subject_identifier=fields.pop("subject_identifier", f"{code}-{start:%m%d}"),
    )
    definition = VisitDefinitionFactory(study=study_site.study, code=code)
    return SubjectVisitFactory(
        subject=subject,
        definition=definition,
        window_start=start,
        target_date=start + (end - start) / 2,
        window_end=end,
        **fields,
    )


def subject_ids(response) -> list[str]:
    return re.findall(r'href="/subjects/\d+/">([^<]+)</a>', response.content.decode())


@pytest.fixture
def schedule(tenant, frozen_today):
    """Today is 2026-04-01. The tenant's fixture visit (window 01-29..02-04) is overdue."""
    return {
        "open": visit(tenant.study_site, "V2", D(2026, 3, 30), D(2026, 4, 3)),
        "this_week": visit(tenant.study_site, "V3", D(2026, 4, 6), D(2026, 4, 10)),
        "next_week": visit(tenant.study_site, "V4", D(2026, 4, 12), D(2026, 4, 16)),
        "later": visit(tenant.study_site, "V5", D(2026, 4, 20), D(2026, 4, 24)),
        "done": visit(
            tenant.study_site,
            "V6",
            D(2026, 3, 30),
            D(2026, 4, 3),
            status=SubjectVisitStatus.COMPLETED,
            actual_date=D(2026, 3, 31),
        ),
    }


def test_coordinator_sees_overdue_open_and_coming_visits_by_window_end(client, tenant, schedule):
    client.force_login(tenant.coordinator)
    response = client.get(URL)

    assert response.status_code == 200
    assert subject_ids(response) == ["ALP-101-001", "V2-0330", "V3-0406", "V4-0412"]
    html = response.content.decode()
    assert "Overdue" in html and "window closed 56 days ago" in html
    assert "Window open" in html and "closes in 2 days" in html
    assert "opens in 5 days" in html and "opens in 11 days" in html
    assert tenant.cro.name in html and tenant.study.protocol_number in html
    assert tenant.site.name in html and "site 101" in html
    assert f'href="/subjects/{schedule["open"].subject_id}/"' in html

    latest_first = client.get(URL, {"ordering": "-window_end"})
    assert subject_ids(latest_first) == ["V4-0412", "V3-0406", "V2-0330", "ALP-101-001"]


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        ("overdue", ["ALP-101-001"]),
        ("this_week", ["V2-0330", "V3-0406"]),
        ("next_week", ["V4-0412"]),
    ],
)
def test_filter_by_due(client, tenant, schedule, due, expected):
    client.force_login(tenant.coordinator)
    assert subject_ids(client.get(URL, {"due": due})) == expected


def test_every_cro_of_the_site_shows_and_the_study_filter_narrows(client, tenant, frozen_today):
    other_cro = CROFactory(name="Gamma CRO")
    study = StudyFactory(cro=other_cro, protocol_number="GAM-777")
    gamma = visit(
        StudySiteFactory(study=study, site=tenant.site, status=StudySiteStatus.ENROLLING),
        "G1",
        D(2026, 4, 2),
        D(2026, 4, 5),
    )
    client.force_login(tenant.coordinator)

    everything = client.get(URL)
    assert subject_ids(everything) == ["ALP-101-001", gamma.subject.subject_identifier]
    assert "Gamma CRO" in everything.content.decode()

    only_gamma = client.get(URL, {"study": study.pk})
    assert subject_ids(only_gamma) == [gamma.subject.subject_identifier]
    assert "ALP-101-001" not in only_gamma.content.decode()


def test_closed_study_sites_drop_out(client, tenant, schedule):
    StudySite.objects.filter(pk=tenant.study_site.pk).update(status=StudySiteStatus.CLOSED)
    client.force_login(tenant.coordinator)
    response = client.get(URL)
    assert subject_ids(response) == []
    assert "No visits due in the next 14 days" in response.content.decode()


def test_another_tenant_sees_none_of_it(client, tenant, other_tenant, schedule):
    client.force_login(other_tenant.coordinator)
    response = client.get(URL)
    html = response.content.decode()
    assert subject_ids(response) == ["BET-101-001"]
    for marker in ("ALP-101-001", "V2-0330", tenant.cro.name, tenant.study.protocol_number):
        assert marker not in html
    # A study of another tenant in the filter is refused as an invalid choice: no rows leak.
    foreign = client.get(URL, {"study": tenant.study.pk})
    assert "ALP-101-001" not in foreign.content.decode()


def test_empty_state_says_what_to_expect(client, frozen_today):
    site = SiteOrganizationFactory(name="Empty Clinic")
    coordinator = member(site, Role.COORDINATOR, full_name="Lonely Coordinator")
    client.force_login(coordinator)
    response = client.get(URL)
    assert response.status_code == 200
    assert "No visits due in the next 14 days and none overdue" in response.content.decode()

    filtered = client.get(URL, {"due": "overdue"})
    assert "No visits due match these filters" in filtered.content.decode()


def test_nav_entry_for_site_people_only(client, tenant):
    client.force_login(tenant.coordinator)
    assert 'href="/visits/due/"' in client.get("/studies/").content.decode()
    client.force_login(tenant.pm)
    assert 'href="/visits/due/"' not in client.get("/studies/").content.decode()


@pytest.mark.parametrize("rows", [2, 20])
def test_query_count_is_the_same_at_2_and_20_rows(
    client, tenant, frozen_today, rows, django_assert_max_num_queries
):
    for index in range(rows - 1):
        study_site = tenant.study_site
        if index % 2:
            # other CROs' studies at the same site: more rows to prefetch, not more queries
            study_site = StudySiteFactory(
                study=StudyFactory(), site=tenant.site, status=StudySiteStatus.ENROLLING
            )
        visit(study_site, f"Q{index}", D(2026, 4, 2), D(2026, 4, 6))
    client.force_login(tenant.coordinator)
    # 10: the page's rows, then their studies (with CROs) and sites (prefetched)
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"ordering": "window_end"})
    assert len(subject_ids(response)) == rows


# --- the reminder ---------------------------------------------------------------------------


def run_on(day: dt.date) -> int:
    moment = dt.datetime.combine(day, dt.time(6, 45), tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        return subject_visit_due_reminders.delay().get()


def due_notifications():
    return list(
        Notification.objects.filter(kind="visit_due")
        .order_by("pk")
        .values_list("recipient__full_name", "title", "url")
    )


def test_coordinator_hears_once_when_the_window_opens_within_a_week(tenant, other_tenant):
    soon = visit(tenant.study_site, "V2", D(2026, 4, 8), D(2026, 4, 12))
    visit(tenant.study_site, "V3", D(2026, 4, 9), D(2026, 4, 13))  # 8 days away on 04-01

    assert run_on(D(2026, 4, 1)) == 1
    assert due_notifications() == [
        (
            "Alpha Coordinator",
            f"Visit V2 of {soon.subject.subject_identifier} opens 2026-04-08",
            f"/subjects/{soon.subject_id}/",
        )
    ]
    # Second run the same day, and the next day: nothing again for that visit.
    assert run_on(D(2026, 4, 1)) == 0
    assert run_on(D(2026, 4, 2)) == 1  # only V3, now 7 days away
    assert run_on(D(2026, 4, 3)) == 0
    assert Notification.objects.filter(kind="visit_due").count() == 2
    # Nobody of the other tenant, and nobody but coordinators at the site.
    recipients = {name for name, _, _ in due_notifications()}
    assert recipients == {"Alpha Coordinator"}
    assert not Notification.objects.filter(recipient=other_tenant.coordinator).exists()


def test_each_coordinator_of_the_site_hears(tenant):
    member(tenant.site, Role.COORDINATOR, full_name="Alpha Second Coordinator")
    visit(tenant.study_site, "V2", D(2026, 4, 3), D(2026, 4, 6))
    assert run_on(D(2026, 4, 1)) == 2
    assert {name for name, _, _ in due_notifications()} == {
        "Alpha Coordinator",
        "Alpha Second Coordinator",
    }
    assert run_on(D(2026, 4, 1)) == 0


def test_recorded_visits_and_closed_study_sites_are_skipped(tenant):
    visit(
        tenant.study_site,
        "V2",
        D(2026, 4, 3),
        D(2026, 4, 6),
        status=SubjectVisitStatus.MISSED,
    )
    closed_site = StudySiteFactory(
        study=StudyFactory(cro=tenant.cro), site=tenant.site, status=StudySiteStatus.CLOSED
    )
    visit(closed_site, "V3", D(2026, 4, 3), D(2026, 4, 6))

    assert run_on(D(2026, 4, 1)) == 0
    assert due_notifications() == []


def test_the_reminder_runs_daily_on_beat():
    from celery import current_app

    entry = current_app.conf.beat_schedule["trials.visit-due-reminders"]
    assert entry["task"] == "trials.tasks.subject_visit_due_reminders"
    assert entry["schedule"].hour == {6}
