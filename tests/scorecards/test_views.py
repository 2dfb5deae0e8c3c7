"""The scorecard pages: what each side sees, what it never sees, ranking order and query
budgets."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from accounts.models import Role
from scorecards.measures import today
from scorecards.services import previous_months, scorecard_snapshots_write
from tests.factories import (
    CRAAssignmentFactory,
    SiteOrganizationFactory,
    StudyFactory,
    UserFactory,
    member,
)
from tests.scorecards.builders import (
    AS_OF,
    at,
    busy_study_site,
    enrolled,
    enrolling,
    query,
    screen_failed,
)

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def _ranked_sites(response) -> list[str]:
    """The study-site ids in the order the ranking table shows them."""
    return re.findall(r'<tr data-study-site="(\d+)"', response.content.decode())


def _page(client, user, name, **kwargs):
    client.force_login(user)
    return client.get(reverse(name, kwargs=kwargs))


# --- what each side sees ---------------------------------------------------------------------


def test_a_coordinator_sees_the_scorecard_of_their_study_site_with_definitions(client, tenant):
    study_site = enrolling(StudyFactory(), tenant.site, target=4)
    enrolled(study_site, AS_OF - 10 * DAY)

    response = _page(
        client, tenant.coordinator, "scorecard_study_site", study_site_id=study_site.pk
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Enrollment vs target" in body
    assert "25.0%" in body and "1 of 4 enrolled" in body
    assert "Shown as — when no target is set" in body  # the definition is on the page
    assert "no query raised" in body  # a measure with nothing to measure reads —
    assert "Ranking of the study" not in body  # a site is never shown the CRO ranking


def test_a_site_cannot_see_another_sites_scorecard(client, tenant):
    other_site = SiteOrganizationFactory(name="Elsewhere Clinic")
    theirs = enrolling(tenant.study, other_site)

    client.force_login(tenant.coordinator)

    assert client.get(reverse("scorecard_study_site", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("scorecard_site", args=[other_site.pk])).status_code == 404


def test_a_site_user_never_gets_the_study_ranking(client, tenant):
    response = _page(
        client, tenant.coordinator, "scorecard_study_ranking", study_id=tenant.study.pk
    )

    assert response.status_code == 404


def test_the_scorecards_entry_takes_a_site_user_to_their_site(client, tenant):
    response = _page(client, tenant.coordinator, "scorecards")

    assert response.status_code == 302
    assert response["Location"] == reverse("scorecard_site", args=[tenant.site.pk])


def test_the_site_scorecard_has_a_row_per_study_and_a_site_wide_line(client, tenant):
    second_study = StudyFactory(protocol_number="SECOND-77")
    first = enrolling(tenant.study, SiteOrganizationFactory(), target=10)
    tenant.study_site.enrollment_target = 10
    tenant.study_site.save(update_fields=["enrollment_target"])
    second = enrolling(second_study, tenant.site, target=30)
    enrolled(tenant.study_site, AS_OF - 5 * DAY)
    enrolled(second, AS_OF - 5 * DAY)
    enrolled(first, AS_OF - 5 * DAY)  # another site: not part of this scorecard

    client.force_login(tenant.coordinator)
    response = client.get(reverse("scorecard_site", args=[tenant.site.pk]), {"as_of": AS_OF})

    body = response.content.decode()
    assert response.status_code == 200
    assert tenant.study.protocol_number in body and "SECOND-77" in body
    assert "10.0%" in body and "3.3%" in body
    footer = body.split("<tfoot>")[1]
    assert "All studies shown" in footer and "5.0%" in footer  # 2 of 40, pooled


def test_a_cro_sees_only_its_own_studies_of_a_site_that_works_with_two_cros(
    client, tenant, other_tenant
):
    # The tenant's site also runs a study for the other CRO.
    shared = enrolling(other_tenant.study, tenant.site, target=5)

    client.force_login(tenant.pm)
    response = client.get(reverse("scorecard_site", args=[tenant.site.pk]))
    assert response.status_code == 200
    assert tenant.study.protocol_number in response.content.decode()
    assert other_tenant.study.protocol_number not in response.content.decode()
    assert client.get(reverse("scorecard_study_site", args=[shared.pk])).status_code == 404

    client.force_login(other_tenant.pm)
    response = client.get(reverse("scorecard_site", args=[tenant.site.pk]))
    assert other_tenant.study.protocol_number in response.content.decode()
    assert tenant.study.protocol_number not in response.content.decode()


def test_a_cro_cannot_see_another_cros_sites(client, tenant, other_tenant):
    client.force_login(tenant.pm)

    for name, kwargs in (
        ("scorecard_study_site", {"study_site_id": other_tenant.study_site.pk}),
        ("scorecard_site", {"site_id": other_tenant.site.pk}),
        ("scorecard_study_ranking", {"study_id": other_tenant.study.pk}),
    ):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404, name


def test_a_sponsor_viewer_sees_the_ranking_of_its_study_only(client, tenant, other_tenant):
    client.force_login(tenant.sponsor_viewer)

    assert client.get(reverse("scorecard_study_ranking", args=[tenant.study.pk])).status_code == 200
    assert (
        client.get(reverse("scorecard_study_ranking", args=[other_tenant.study.pk])).status_code
        == 404
    )


def test_a_cra_ranks_only_the_sites_they_monitor(client, tenant):
    monitored = enrolling(tenant.study)
    not_mine = enrolling(tenant.study)
    cra = member(tenant.cro, Role.CRA)
    CRAAssignmentFactory(study_site=monitored, cra=cra)

    response = _page(client, cra, "scorecard_study_ranking", study_id=tenant.study.pk)

    assert _ranked_sites(response) == [str(monitored.pk)]
    assert str(not_mine.pk) not in _ranked_sites(response)


def test_the_cro_landing_page_lists_its_studies_to_rank(client, tenant, other_tenant):
    response = _page(client, tenant.pm, "scorecards")

    body = response.content.decode()
    assert reverse("scorecard_study_ranking", args=[tenant.study.pk]) in body
    assert other_tenant.study.protocol_number not in body


# --- ranking ---------------------------------------------------------------------------------


def _three_sites(tenant):
    """Enrollment 50%, 20% and none; screen failures 0%, 50% and — ."""
    high = enrolling(tenant.study, target=4, site_number="301")
    low = enrolling(tenant.study, target=10, site_number="302")
    empty = enrolling(tenant.study, target=10, site_number="303")
    enrolled(high, AS_OF - 9 * DAY)
    enrolled(high, AS_OF - 8 * DAY)
    enrolled(low, AS_OF - 9 * DAY)
    enrolled(low, AS_OF - 9 * DAY)
    screen_failed(low, AS_OF - 9 * DAY)
    screen_failed(low, AS_OF - 9 * DAY)
    return high, low, empty


def test_the_ranking_puts_the_best_first_and_reverses_on_request(client, tenant):
    high, low, empty = _three_sites(tenant)
    client.force_login(tenant.pm)
    url = reverse("scorecard_study_ranking", args=[tenant.study.pk])

    by_enrollment = client.get(url, {"as_of": AS_OF})
    reversed_ = client.get(url, {"as_of": AS_OF, "sort": "-enrollment"})
    by_failures = client.get(url, {"as_of": AS_OF, "sort": "screen_failure"})

    # The tenant's own study-site has a target of 12 and nobody enrolled by then: 0%.
    own = str(tenant.study_site.pk)
    assert _ranked_sites(by_enrollment) == [str(high.pk), str(low.pk), own, str(empty.pk)]
    # Ties keep site-number order (101 before 303), so reversed the empty site leads.
    assert _ranked_sites(reversed_) == [str(empty.pk), own, str(low.pk), str(high.pk)]
    # Lower is better for screen failures; study-sites with nothing to measure come last.
    assert _ranked_sites(by_failures) == [str(high.pk), str(low.pk), own, str(empty.pk)]
    assert 'aria-sort="ascending"' in by_failures.content.decode()


def test_equal_values_share_a_rank(client, tenant):
    high, low, empty = _three_sites(tenant)
    client.force_login(tenant.pm)

    response = client.get(
        reverse("scorecard_study_ranking", args=[tenant.study.pk]),
        {"as_of": AS_OF, "sort": "enrollment"},
    )

    ranks = re.findall(r'<td class="text-end fw-semibold">([^<]+)</td>', response.content.decode())
    assert ranks == ["1", "2", "3", "3"]  # empty and the tenant's own site: both 0%


def test_an_unknown_sort_falls_back_to_enrollment(client, tenant):
    high, low, empty = _three_sites(tenant)
    client.force_login(tenant.pm)

    response = client.get(
        reverse("scorecard_study_ranking", args=[tenant.study.pk]),
        {"as_of": AS_OF, "sort": "nonsense"},
    )

    assert response.status_code == 200
    assert _ranked_sites(response)[:2] == [str(high.pk), str(low.pk)]


def test_the_ranking_paginates(client, tenant):
    for _ in range(26):
        enrolling(tenant.study)
    client.force_login(tenant.pm)
    url = reverse("scorecard_study_ranking", args=[tenant.study.pk])

    first, second = client.get(url), client.get(url, {"page": 2})

    assert len(_ranked_sites(first)) == 25
    assert len(_ranked_sites(second)) == 2
    assert "Page 1 of 2" in first.content.decode()


# --- the as-of date --------------------------------------------------------------------------


def test_the_as_of_date_changes_what_is_counted(client, tenant):
    study_site = enrolling(StudyFactory(), tenant.site, target=4)
    enrolled(study_site, AS_OF - 40 * DAY)
    enrolled(study_site, AS_OF - 10 * DAY)
    client.force_login(tenant.coordinator)
    url = reverse("scorecard_study_site", args=[study_site.pk])

    assert "2 of 4 enrolled" in client.get(url, {"as_of": AS_OF}).content.decode()
    assert "1 of 4 enrolled" in client.get(url, {"as_of": AS_OF - 20 * DAY}).content.decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [("2999-01-01", "Choose today or a day in the past."), ("not-a-date", "Enter a valid date.")],
)
def test_a_wrong_as_of_date_is_explained_and_today_is_shown(client, tenant, value, message):
    client.force_login(tenant.coordinator)

    response = client.get(
        reverse("scorecard_study_site", args=[tenant.study_site.pk]), {"as_of": value}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Enrollment vs target" in response.content.decode()


# --- trends ----------------------------------------------------------------------------------


def test_the_trend_charts_draw_the_monthly_snapshots(client, tenant):
    earlier, last = previous_months(today(), 2)  # the last two complete months
    study_site = enrolling(StudyFactory(), tenant.site, target=4)
    enrolled(study_site, earlier + 10 * DAY)
    enrolled(study_site, last + 10 * DAY)
    scorecard_snapshots_write(month=earlier)
    scorecard_snapshots_write(month=last)
    client.force_login(tenant.coordinator)

    body = client.get(reverse("scorecard_study_site", args=[study_site.pk])).content.decode()

    assert f"{earlier:%b %Y}: 25.0%" in body
    assert f"{last:%b %Y}: 50.0%" in body
    assert "<polyline" in body


def test_without_snapshots_the_page_says_when_trends_start(client, tenant):
    response = _page(
        client, tenant.coordinator, "scorecard_study_site", study_site_id=tenant.study_site.pk
    )

    assert "No monthly snapshot yet" in response.content.decode()


# --- navigation and dashboard ----------------------------------------------------------------


def test_navigation_and_dashboard_panel_lead_to_the_scorecards(client, tenant):
    client.force_login(tenant.pm)

    body = client.get(reverse("dashboard")).content.decode()

    assert f'href="{reverse("scorecards")}"' in body
    assert reverse("scorecard_study_ranking", args=[tenant.study.pk]) in body


def test_a_site_dashboard_links_to_its_own_scorecard(client, tenant):
    client.force_login(tenant.coordinator)

    body = client.get(reverse("dashboard")).content.decode()

    assert "Our scorecard" in body
    assert reverse("scorecard_study_ranking", args=[tenant.study.pk]) not in body


def test_the_study_page_links_to_the_site_ranking_for_the_cro_only(client, tenant):
    ranking = reverse("scorecard_study_ranking", args=[tenant.study.pk])

    client.force_login(tenant.pm)
    assert ranking in client.get(reverse("study_detail", args=[tenant.study.pk])).content.decode()
    client.force_login(tenant.coordinator)
    assert (
        ranking not in client.get(reverse("study_detail", args=[tenant.study.pk])).content.decode()
    )


# --- query budgets ---------------------------------------------------------------------------


def _grow(tenant, count, raiser):
    for _ in range(count):
        busy_study_site(tenant.study, raised_by=raiser)


def test_the_ranking_page_runs_a_constant_number_of_queries(
    client, tenant, django_assert_max_num_queries
):
    raiser = UserFactory()
    _grow(tenant, 3, raiser)
    client.force_login(tenant.pm)
    url = reverse("scorecard_study_ranking", args=[tenant.study.pk])
    client.get(url)  # warm the session and the navigation caches

    with django_assert_max_num_queries(30) as small:
        assert client.get(url, {"as_of": AS_OF}).status_code == 200
    _grow(tenant, 6, raiser)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url, {"as_of": AS_OF})
    assert len(_ranked_sites(response)) == 10


def test_the_site_page_runs_a_constant_number_of_queries(
    client, tenant, django_assert_max_num_queries
):
    raiser = UserFactory()
    busy_study_site(StudyFactory(), tenant.site, raised_by=raiser)
    scorecard_snapshots_write(month=dt.date(2026, 5, 1), today=dt.date(2026, 7, 1))
    client.force_login(tenant.coordinator)
    url = reverse("scorecard_site", args=[tenant.site.pk])
    client.get(url)

    with django_assert_max_num_queries(40) as small:
        assert client.get(url, {"as_of": AS_OF}).status_code == 200
    for _ in range(3):
        busy_study_site(StudyFactory(), tenant.site, raised_by=raiser)
    scorecard_snapshots_write(month=dt.date(2026, 5, 1), today=dt.date(2026, 7, 1))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url, {"as_of": AS_OF})
    assert response.content.decode().count('href="/scorecards/study-sites/') == 5


def test_the_study_site_page_runs_a_constant_number_of_queries(
    client, tenant, django_assert_max_num_queries
):
    raiser = UserFactory()
    study_site = busy_study_site(tenant.study, raised_by=raiser)
    client.force_login(tenant.pm)
    url = reverse("scorecard_study_site", args=[study_site.pk])
    client.get(url)

    with django_assert_max_num_queries(30) as small:
        client.get(url, {"as_of": AS_OF})
    for _ in range(2):  # double its records
        busy_study_site(tenant.study, raised_by=raiser)
    subject = study_site.subjects.first()
    for days in (30, 20, 10):
        query(subject, at(AS_OF - days * DAY))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url, {"as_of": AS_OF}).status_code == 200
