"""The payment run build form of CRO finance with many study-sites asks for the study first
(core/choices.py); the limit is lowered to 1 so that a small tenant shows it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payments.models import PaymentRun
from tests.factories import StudyFactory, StudySiteFactory
from tests.factories.payments import BudgetFactory, EarningFactory
from tests.html import select_options

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_study(tenant, budget):
    """A second study of the tenant's CRO at two sites with budgets: with the tenant's own
    study-site (whose budget is the ``budget`` fixture) finance builds runs for three
    study-sites of two studies."""
    study = StudyFactory(cro=tenant.cro, sponsor=tenant.sponsor, protocol_number="ALPHA-002")
    sites = [StudySiteFactory(study=study, site_number=number) for number in ("201", "202")]
    for study_site in sites:
        BudgetFactory(study_site=study_site)
    return study, sites


def _run(study_site) -> dict:
    return {
        "study_site": study_site.pk,
        "period_start": "2026-01-01",
        "period_end": "2026-01-31",
    }


def test_past_the_limit_the_form_lists_studies_and_no_study_site(
    client, tenant, second_study, study_first
):
    study, _ = second_study
    client.force_login(tenant.finance)
    response = client.get(reverse("payments_run_create"))
    assert response.status_code == 200
    body = response.content.decode()
    assert select_options(body, "study_site") == [("", True, "Choose a study first")]
    assert "(site 101)" not in body and "(site 201)" not in body
    assert select_options(body, "study") == [
        ("", True, "Choose a study"),
        (str(tenant.study.pk), False, "ALPHA-001"),
        (str(study.pk), False, "ALPHA-002"),
    ]
    assert '<label class="form-label" for="id_step_study">Study</label>' in body
    assert "Show its sites" in body


def test_a_chosen_study_lists_only_its_sites(client, tenant, second_study, study_first):
    study, (first, second) = second_study
    client.force_login(tenant.finance)
    body = client.get(f"{reverse('payments_run_create')}?study={study.pk}").content.decode()
    offered = select_options(body, "study_site")
    assert [value for value, _, _ in offered] == [str(first.pk), str(second.pk)]
    assert offered[0][2].startswith("ALPHA-002 · ") and offered[0][2].endswith("(site 201)")
    assert "Choose a study first" not in body
    assert (str(study.pk), True, "ALPHA-002") in select_options(body, "study")


def test_a_link_naming_a_study_site_lists_its_study(client, tenant, second_study, study_first):
    _, (first, second) = second_study
    client.force_login(tenant.finance)
    url = f"{reverse('payments_run_create')}?study_site={second.pk}"
    offered = select_options(client.get(url).content.decode(), "study_site")
    assert [(value, selected) for value, selected, _ in offered] == [
        (str(first.pk), False),
        (str(second.pk), True),
    ]


def test_posting_a_study_site_builds_the_run(client, tenant, budget, second_study, study_first):
    EarningFactory(study_site=tenant.study_site, budget_version=budget, amount=Decimal("400.00"))
    client.force_login(tenant.finance)
    response = client.post(reverse("payments_run_create"), _run(tenant.study_site))
    run = PaymentRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert run.study_site == tenant.study_site
    assert "USD 360.00" in client.get(response["Location"]).content.decode()


def test_a_study_site_outside_the_allowed_set_is_a_form_error(
    client, tenant, other_tenant, second_study, study_first
):
    from tests.factories.payments import budget_for

    budget_for(other_tenant.study_site, created_by=other_tenant.finance)
    study, (first, _) = second_study
    url = reverse("payments_run_create")
    client.force_login(tenant.finance)
    # Another tenant's study-site (it has a budget), with or without a study chosen.
    for target in (url, f"{url}?study={study.pk}"):
        response = client.post(target, _run(other_tenant.study_site))
        assert response.status_code == 200
        assert "Select a valid choice." in response.content.decode()
    # A study-site of the other study than the one chosen.
    response = client.post(f"{url}?study={study.pk}", _run(tenant.study_site))
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    # No study-site at all while the study is still to be chosen.
    response = client.post(url, {**_run(first), "study_site": ""})
    body = response.content.decode()
    assert response.status_code == 200 and "This field is required." in body
    assert 'id="id_study_site_error"' in body
    assert not PaymentRun.objects.exists()


def test_below_the_limit_every_study_site_is_offered_at_once(client, tenant, second_study):
    study, (first, second) = second_study
    client.force_login(tenant.finance)
    body = client.get(f"{reverse('payments_run_create')}?study={study.pk}").content.decode()
    offered = select_options(body, "study_site")
    assert [value for value, _, _ in offered] == [
        str(tenant.study_site.pk),
        str(first.pk),
        str(second.pk),
    ]
    assert offered[0][2] == "ALPHA-001 · Alpha Clinic (site 101)"
    assert "Choose a study" not in body and "Show its sites" not in body
    assert 'name="study"' not in body
