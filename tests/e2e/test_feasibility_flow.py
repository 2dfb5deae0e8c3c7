"""PM sends a questionnaire, the coordinator answers with pre-filled fields and submits, the
PM selects the site: the study-site exists as selected."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role
from feasibility import services
from tests.factories import PASSWORD, SiteOrganizationFactory, SiteProfileFactory, member
from tests.factories.feasibility import standard_question
from trials.models import StudySite

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()


def test_pm_sends_coordinator_answers_pm_selects(live_server, page: Page, console_errors, tenant):
    site = SiteOrganizationFactory(name="Harbor View Research")
    SiteProfileFactory(organization=site, capabilities=["pharmacy"], patient_population=8000)
    coordinator = member(site, Role.COORDINATOR, full_name="Harper Coordinator")
    questionnaire = services.questionnaire_create(
        actor=tenant.pm, study=tenant.study, title="Browser feasibility"
    )
    for key, weight, rule in (
        ("investigational-pharmacy", 50, {"expect": "yes"}),
        ("irb-type", 50, {"points": {"Local": 100, "Central": 50}}),
    ):
        services.questionnaire_item_add(
            actor=tenant.pm,
            questionnaire=questionnaire,
            question=standard_question(key),
            weight=weight,
            rule=rule,
        )
    base = live_server.url

    # The PM sends it.
    _sign_in(page, base, tenant.pm.email)
    page.goto(f"{base}/feasibility/")
    page.get_by_role("link", name="Browser feasibility").click()
    page.get_by_role("link", name="Send to sites").click()
    page.get_by_label("Harbor View Research").check()
    page.get_by_label("Due date").fill((timezone.localdate() + dt.timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Send questionnaire").click()
    expect(page.get_by_text("Sent to 1 site")).to_be_visible()

    # The coordinator finds it in the inbox, with the pharmacy answer pre-filled.
    _sign_in(page, base, coordinator.email)
    page.get_by_role("button", name="Start-up").click()  # the navigation menu
    page.get_by_role("link", name="Feasibility requests").click()
    page.get_by_role("link", name="Browser feasibility").click()
    expect(page.get_by_text("pre-filled from your site profile")).to_be_visible()
    expect(page.get_by_role("radio", name="Yes")).to_be_checked()
    page.get_by_role("radio", name="Local").check()
    page.get_by_role("button", name="Submit to").click()
    expect(page.get_by_text("Submitted — thank you")).to_be_visible()

    # The PM compares and selects the site (HTMX row update).
    _sign_in(page, base, tenant.pm.email)
    page.goto(f"{base}/feasibility/questionnaires/{questionnaire.pk}/responses/")
    expect(page.get_by_text("100 / 100 (100%)")).to_be_visible()
    page.get_by_label("Site number for Harbor View Research").fill("207")
    page.get_by_role("button", name="Select").click()
    expect(page.get_by_text("Site 207")).to_be_visible()

    study_site = StudySite.objects.get(study=tenant.study, site=site)
    assert (study_site.status, study_site.site_number) == ("selected", "207")
    assert console_errors == []
