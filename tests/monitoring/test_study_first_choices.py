"""The visit planning and action item forms of someone who may pick many study-sites ask for the
study first (core/choices.py); the limit is lowered to 1 so that a small tenant shows it."""

import datetime as dt

import pytest
from django.utils import timezone

from monitoring.models import ActionItem, MonitoringVisit
from tests.factories import StudyFactory, StudySiteFactory, StudyTeamMemberFactory
from tests.html import select_options
from trials.models import TeamRole

pytestmark = pytest.mark.django_db

VISITS_NEW = "/monitoring/visits/new/"
ITEMS_NEW = "/monitoring/action-items/new/"


@pytest.fixture
def second_study(tenant):
    """A second study of the tenant's CRO, led by its PM, at two sites: with the tenant's own
    study-site the PM plans visits at three study-sites of two studies."""
    study = StudyFactory(cro=tenant.cro, sponsor=tenant.sponsor, protocol_number="ALPHA-002")
    StudyTeamMemberFactory(study=study, user=tenant.pm, role=TeamRole.LEAD)
    sites = [StudySiteFactory(study=study, site_number=number) for number in ("201", "202")]
    return study, sites


def _visit(study_site, **extra) -> dict:
    when = (timezone.now() + dt.timedelta(days=9)).strftime("%Y-%m-%dT10:00")
    return {
        "study_site": study_site.pk,
        "visit_type": "imv",
        "mode": "on_site",
        "planned_at": when,
        "duration_minutes": 240,
        **extra,
    }


def _item(study_site) -> dict:
    return {
        "study_site": study_site.pk,
        "description": "File the signed delegation log",
        "category": "isf",
        "owner": "site",
        "due_date": (timezone.localdate() + dt.timedelta(days=14)).isoformat(),
    }


@pytest.mark.parametrize("url", [VISITS_NEW, ITEMS_NEW])
def test_past_the_limit_the_form_lists_studies_and_no_study_site(
    client, tenant, second_study, study_first, url
):
    study, _ = second_study
    client.force_login(tenant.pm)
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert select_options(body, "study_site") == [("", True, "Choose a study first")]
    assert "site 101" not in body and "site 201" not in body
    assert select_options(body, "study") == [
        ("", True, "Choose a study"),
        (str(tenant.study.pk), False, "ALPHA-001"),
        (str(study.pk), False, "ALPHA-002"),
    ]
    assert '<label class="form-label" for="id_step_study">Study</label>' in body
    assert "Show its sites" in body


@pytest.mark.parametrize("url", [VISITS_NEW, ITEMS_NEW])
def test_a_chosen_study_lists_only_its_sites(client, tenant, second_study, study_first, url):
    study, (first, second) = second_study
    client.force_login(tenant.pm)
    body = client.get(f"{url}?study={study.pk}").content.decode()
    offered = select_options(body, "study_site")
    assert [value for value, _, _ in offered] == [str(first.pk), str(second.pk)]
    assert offered[0][2].startswith("ALPHA-002 · site 201 · ")
    assert "Choose a study first" not in body
    assert (str(study.pk), True, "ALPHA-002") in select_options(body, "study")


def test_a_link_naming_a_study_site_lists_its_study(client, tenant, second_study, study_first):
    _, (first, second) = second_study
    client.force_login(tenant.pm)
    body = client.get(f"{VISITS_NEW}?study_site={second.pk}").content.decode()
    offered = select_options(body, "study_site")
    assert [(value, selected) for value, selected, _ in offered] == [
        (str(first.pk), False),
        (str(second.pk), True),
    ]


def test_another_tenants_study_lists_nothing(
    client, tenant, other_tenant, second_study, study_first
):
    client.force_login(tenant.pm)
    body = client.get(f"{VISITS_NEW}?study={other_tenant.study.pk}").content.decode()
    assert select_options(body, "study_site") == [("", True, "Choose a study first")]
    assert "BETA-001" not in body


def test_posting_a_study_site_plans_the_visit_without_a_chosen_study(
    client, tenant, second_study, study_first
):
    _, (_, second) = second_study
    client.force_login(tenant.pm)
    response = client.post(VISITS_NEW, _visit(second, agenda="SDV"))
    visit = MonitoringVisit.objects.get()
    assert response.status_code == 302 and response.url == visit.get_absolute_url()
    assert visit.study_site == second


def test_posting_to_the_chosen_study_raises_the_action_item(
    client, tenant, second_study, study_first
):
    study, (first, _) = second_study
    client.force_login(tenant.pm)
    response = client.post(f"{ITEMS_NEW}?study={study.pk}", _item(first))
    item = ActionItem.objects.get()
    assert response.status_code == 302 and response.url == item.get_absolute_url()
    assert item.study_site == first


@pytest.mark.parametrize("url, data", [(VISITS_NEW, _visit), (ITEMS_NEW, _item)])
def test_a_study_site_outside_the_allowed_set_is_a_form_error(
    client, tenant, other_tenant, second_study, study_first, url, data
):
    study, _ = second_study
    client.force_login(tenant.pm)
    # Another tenant's study-site, with or without a study chosen.
    for target in (url, f"{url}?study={study.pk}"):
        response = client.post(target, data(other_tenant.study_site))
        assert response.status_code == 200
        assert "Select a valid choice." in response.content.decode()
    # A study-site of the other study than the one chosen.
    response = client.post(f"{url}?study={study.pk}", data(tenant.study_site))
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    # No study-site at all while the study is still to be chosen.
    response = client.post(url, {**data(tenant.study_site), "study_site": ""})
    body = response.content.decode()
    assert response.status_code == 200 and "This field is required." in body
    assert 'id="id_study_site_error"' in body
    assert not MonitoringVisit.objects.exists() and not ActionItem.objects.exists()


@pytest.mark.parametrize("url", [VISITS_NEW, ITEMS_NEW])
def test_below_the_limit_every_study_site_is_offered_at_once(client, tenant, second_study, url):
    _, (first, second) = second_study
    client.force_login(tenant.pm)
    body = client.get(f"{url}?study={second_study[0].pk}").content.decode()
    offered = select_options(body, "study_site")
    assert [value for value, _, _ in offered] == [
        str(tenant.study_site.pk),
        str(first.pk),
        str(second.pk),
    ]
    assert offered[0][2] == "ALPHA-001 · site 101 · Alpha Clinic"
    assert "Choose a study" not in body and "Show its sites" not in body
    assert 'name="study"' not in body


def test_below_the_limit_the_cra_still_plans_a_visit(client, tenant):
    client.force_login(tenant.cra)
    response = client.post(VISITS_NEW, _visit(tenant.study_site))
    assert response.status_code == 302
    assert MonitoringVisit.objects.get().study_site == tenant.study_site
