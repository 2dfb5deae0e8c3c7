"""The read-only scorecards API: same numbers and the same access rule as the pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from scorecards.measures import today
from scorecards.services import last_complete_month, month_end, scorecard_snapshots_write
from tests.api.errors import error_of
from tests.factories import StudyFactory, UserFactory
from tests.scorecards.builders import AS_OF, busy_study_site, enrolled, enrolling

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def _scorecard_url(study_site) -> str:
    return reverse("api_scorecard_study_site", args=[study_site.pk])


def _ranking_url(study) -> str:
    return reverse("api_scorecard_study_ranking", args=[study.pk])


def test_the_study_site_scorecard_gives_every_measure_with_its_definition(client, tenant):
    study_site = enrolling(StudyFactory(), tenant.site, target=4)
    enrolled(study_site, AS_OF - 10 * DAY)
    client.force_login(tenant.coordinator)

    response = client.get(_scorecard_url(study_site), {"as_of": AS_OF.isoformat()})

    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == "2026-06-30"
    measures = {m["key"]: m for m in body["measures"]}
    assert len(measures) == 9
    assert measures["enrollment"]["value"] == 25.0
    assert measures["enrollment"]["numerator"] == 1
    assert measures["enrollment"]["denominator"] == 4
    assert measures["enrollment"]["display"] == "25.0%"
    assert measures["screen_failure"]["value"] == 0.0
    assert measures["queries_open_30"]["value"] is None  # nothing to measure: null, shown —
    assert measures["queries_open_30"]["display"] == "—"
    assert "24 hours" in measures["sae_on_time"]["definition"]


def test_the_study_site_scorecard_includes_the_monthly_trend(client, tenant):
    month = last_complete_month(today())
    study_site = enrolling(StudyFactory(), tenant.site, target=4)
    enrolled(study_site, month + 10 * DAY)
    scorecard_snapshots_write(month=month)
    client.force_login(tenant.coordinator)

    trend = client.get(_scorecard_url(study_site)).json()["trend"]

    assert [point["month"] for point in trend] == [month.isoformat()]
    assert trend[0]["as_of"] == month_end(month).isoformat()
    assert Decimal(str(trend[0]["values"]["enrollment"])) == Decimal("25")


def test_another_sites_scorecard_is_a_404_in_the_error_shape(client, tenant, other_tenant):
    for outsider in (other_tenant.coordinator, other_tenant.pm, other_tenant.sponsor_viewer):
        client.force_login(outsider)
        response = client.get(_scorecard_url(tenant.study_site))
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("value", ["2999-01-01", "yesterday"])
def test_a_wrong_as_of_date_is_a_400(client, tenant, value):
    client.force_login(tenant.pm)

    response = client.get(_scorecard_url(tenant.study_site), {"as_of": value})

    assert response.status_code == 400
    assert "as_of" in error_of(response)["fields"]


def test_the_ranking_lists_the_sites_best_first(client, tenant):
    high = enrolling(tenant.study, target=2)
    low = enrolling(tenant.study, target=10)
    enrolled(high, AS_OF - 3 * DAY)
    enrolled(low, AS_OF - 3 * DAY)
    client.force_login(tenant.pm)

    body = client.get(_ranking_url(tenant.study), {"as_of": AS_OF.isoformat()}).json()
    reversed_ = client.get(
        _ranking_url(tenant.study), {"as_of": AS_OF.isoformat(), "sort": "-enrollment"}
    ).json()

    assert body["count"] == 3
    assert body["sort"] == "enrollment"
    assert [row["study_site"]["id"] for row in body["results"]] == [
        high.pk,
        low.pk,
        tenant.study_site.pk,
    ]
    assert [row["rank"] for row in body["results"]] == [1, 2, 3]
    assert body["results"][0]["values"]["enrollment"] == 50.0
    assert [row["study_site"]["id"] for row in reversed_["results"]] == [
        tenant.study_site.pk,
        low.pk,
        high.pk,
    ]


def test_the_ranking_is_paginated(client, tenant):
    for _ in range(4):
        enrolling(tenant.study)
    client.force_login(tenant.pm)

    body = client.get(_ranking_url(tenant.study), {"page_size": 2, "page": 2}).json()

    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"] and body["previous"]


def test_the_ranking_refuses_an_unknown_sort(client, tenant):
    client.force_login(tenant.pm)

    response = client.get(_ranking_url(tenant.study), {"sort": "favourite"})

    assert response.status_code == 400
    assert "sort" in error_of(response)["fields"]


def test_the_ranking_is_not_for_sites_or_other_cros(client, tenant, other_tenant):
    for outsider in (tenant.coordinator, other_tenant.pm, other_tenant.sponsor_viewer):
        client.force_login(outsider)
        response = client.get(_ranking_url(tenant.study))
        assert response.status_code == 404, outsider
        assert error_of(response)["code"] == "not_found"


def test_anonymous_callers_get_401(client, tenant):
    assert client.get(_ranking_url(tenant.study)).status_code == 401


def test_both_endpoints_are_in_the_openapi_schema(client, tenant):
    client.force_login(tenant.pm)

    schema = client.get(reverse("api_schema"), {"format": "json"}).json()

    assert "/api/v1/scorecards/study-sites/{study_site_id}/" in schema["paths"]
    ranking = schema["paths"]["/api/v1/scorecards/studies/{study_id}/ranking/"]["get"]
    assert {p["name"] for p in ranking["parameters"]} >= {"study_id", "as_of", "sort", "page"}


def test_the_ranking_api_runs_a_constant_number_of_queries(
    client, tenant, django_assert_max_num_queries
):
    raiser = UserFactory()
    for _ in range(3):
        busy_study_site(tenant.study, raised_by=raiser)
    client.force_login(tenant.pm)
    url = _ranking_url(tenant.study)
    client.get(url)

    with django_assert_max_num_queries(25) as small:
        assert client.get(url, {"as_of": AS_OF.isoformat()}).status_code == 200
    for _ in range(6):
        busy_study_site(tenant.study, raised_by=raiser)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = client.get(url, {"as_of": AS_OF.isoformat()}).json()
    assert body["count"] == 10
