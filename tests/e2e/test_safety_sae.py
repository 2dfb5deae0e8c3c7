import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role
from safety.models import AdverseEvent, AdverseEventStatus
from tests.factories import PASSWORD, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_the_coordinator_reports_an_sae_and_the_safety_user_acknowledges_it(
    live_server, page: Page, console_errors, tenant
):
    safety = member(tenant.cro, Role.SAFETY, full_name="Alpha Safety Officer")
    now = timezone.now()

    # The coordinator reports a serious event for the subject, two hours after learning of it.
    sign_in(page, live_server.url, tenant.coordinator.email)
    page.goto(f"{live_server.url}/safety/new/?subject={tenant.subject.pk}")
    expect(page.get_by_text(tenant.subject.subject_identifier).first).to_be_visible()
    page.get_by_label("Event term").fill("Pulmonary embolism")
    page.get_by_label("Onset date").fill((now - dt.timedelta(days=1)).strftime("%Y-%m-%d"))
    page.get_by_label("Severity").select_option("severe")
    page.get_by_label("Requires or prolongs hospitalization").check()
    page.get_by_label("Site became aware at").fill(
        (now - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("Relationship to study treatment").select_option("possible")
    page.get_by_label("Outcome").select_option("recovering")
    page.get_by_role("button", name="Record and submit SAE to CRO").click()

    expect(page.get_by_text("submitted to the CRO")).to_be_visible()
    expect(page.locator("#status-card")).to_contain_text("Reported within 24 h")
    expect(page.get_by_role("button", name="Acknowledge receipt")).to_have_count(0)

    # The CRO safety officer finds it on the dashboard and acknowledges it in place.
    sign_in(page, live_server.url, safety.email)
    panel = page.get_by_role("region", name="SAEs to acknowledge")
    expect(panel).to_contain_text("Pulmonary embolism")
    panel.get_by_role("link", name="Pulmonary embolism").click()
    page.get_by_role("button", name="Acknowledge receipt").click()
    card = page.locator("#status-card")
    expect(card).to_contain_text("Acknowledged")
    expect(card).to_contain_text("by Alpha Safety Officer")
    expect(page.get_by_role("button", name="Acknowledge receipt")).to_have_count(0)

    ae = AdverseEvent.objects.get(term="Pulmonary embolism")
    assert ae.status == AdverseEventStatus.ACKNOWLEDGED
    assert ae.is_late is False and ae.acknowledged_by == safety
    assert console_errors == []
