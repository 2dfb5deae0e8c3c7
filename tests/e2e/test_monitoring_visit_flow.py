import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from monitoring.models import ActionItem, FollowUpLetter, MonitoringVisit
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REQUIRED = {
    "attendees-names": "Dr. Alpha (PI), Alpha Coordinator",
    "informed_consent-consents_reviewed": "3",
    "informed_consent-summary": "All on the current ICF version.",
    "sdv-subjects_reviewed": "ALP-101-001",
    "sdv-visits_reviewed": "2",
    "sdv-data_points_verified": "40",
    "sdv-data_points_total": "50",
    "protocol_deviations-summary": "None.",
    "ae_review-summary": "No new AEs.",
    "ip_accountability-summary": "Reconciled.",
    "isf_review-summary": "Delegation log needs one signature.",
    "conclusions-summary": "Good visit.",
}


def sign_in(page: Page, base: str, user) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_visit_from_plan_to_closed_action_item(live_server, page: Page, console_errors, tenant):
    base = live_server.url
    # The CRA plans a visit.
    sign_in(page, base, tenant.cra)
    page.goto(f"{base}/monitoring/visits/new/")
    page.get_by_label("Visit type").select_option("imv")
    when = (timezone.now() + dt.timedelta(days=8)).strftime("%Y-%m-%dT10:00")
    page.get_by_label("Planned date and time").fill(when)
    page.get_by_label("Agenda").fill("SDV and ISF review")
    page.get_by_role("button", name="Plan visit").click()
    expect(page.locator(".alert-success")).to_contain_text("Visit planned")
    visit = MonitoringVisit.objects.get()
    visit_url = f"{base}/monitoring/visits/{visit.pk}/"

    # The coordinator confirms it from the dashboard.
    sign_in(page, base, tenant.coordinator)
    expect(page.get_by_text("Visits to confirm")).to_be_visible()
    page.goto(visit_url)
    page.get_by_role("button", name="Confirm this date").click()
    expect(page.locator(".alert-success")).to_contain_text("Visit confirmed")

    # The CRA completes the visit, writes the report (sections save in place), raises an
    # action item and signs.
    sign_in(page, base, tenant.cra)
    page.goto(visit_url)
    page.get_by_role("button", name="Mark visit completed").click()
    expect(page.locator(".alert-success")).to_contain_text("Visit completed")
    for section in dict.fromkeys(name.split("-")[0] for name in REQUIRED):
        for name, value in REQUIRED.items():
            if name.startswith(f"{section}-"):
                page.locator(f"[name='{name}']").fill(value)
        page.locator(f"#section-{section} button[type=submit]").click()
        expect(page.locator(f"#section-{section}").get_by_text("Section saved.")).to_be_visible()
    page.get_by_text("Raise an action item").click()
    page.get_by_label("What needs to be done").fill("Sign the delegation log")
    page.get_by_role("button", name="Raise action item").click()
    expect(page.locator(".alert-success")).to_contain_text("Action item raised.")
    page.get_by_label("Your password (e-signature)").fill(PASSWORD)
    page.get_by_role("button", name="Sign and submit report").click()
    expect(page.locator(".alert-success")).to_contain_text("Report signed and submitted")

    # The PM approves with an e-signature.
    sign_in(page, base, tenant.pm)
    page.get_by_role("link", name="Interim monitoring (IMV) · Alpha Clinic").click()
    page.get_by_label("Your password (e-signature)").fill(PASSWORD)
    page.get_by_role("button", name="Sign and approve").click()
    expect(page.locator(".alert-success")).to_contain_text("Report approved and signed")

    # The coordinator acknowledges the letter and resolves the action item.
    sign_in(page, base, tenant.coordinator)
    page.get_by_role("link", name="Interim monitoring (IMV) · ALPHA-001").click()
    expect(page.get_by_role("heading", name="Monitoring visit follow-up")).to_be_visible()
    expect(page.get_by_text("Sign the delegation log")).to_be_visible()
    page.get_by_role("button", name="Acknowledge letter").click()
    expect(page.locator(".alert-success")).to_contain_text("Letter acknowledged")
    page.goto(f"{base}/monitoring/action-items/")
    page.get_by_role("link", name="Sign the delegation log").click()
    page.get_by_label("How it was resolved").fill("Signed on site")
    page.get_by_role("button", name="Mark resolved").click()
    expect(page.locator(".alert-success")).to_contain_text("Marked resolved")

    # The CRA closes it.
    sign_in(page, base, tenant.cra)
    page.goto(f"{base}/monitoring/action-items/?status=resolved")
    page.get_by_role("link", name="Sign the delegation log").click()
    page.get_by_role("button", name="Close action item").click()
    expect(page.locator(".alert-success")).to_contain_text("Action item closed.")

    assert FollowUpLetter.objects.get().status == "acknowledged"
    assert ActionItem.objects.get().status == "closed"
    assert console_errors == []
