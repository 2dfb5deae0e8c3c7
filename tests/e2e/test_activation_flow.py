"""Site activation end to end: the coordinator uploads a required document, the regulatory
specialist approves it, the PM records the signed agreement and activates the site. The IRB
approval is still open in this fixture, so the PM (the study lead) overrides it with a reason,
which the audit trail shows."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role
from tests.factories import PASSWORD, member
from tests.factories.regulatory import PDF_BYTES, DocumentRequirementFactory, document_type
from trials.models import StudySite, StudySiteStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
OVERRIDE_REASON = "IRB approval letter filed on paper; upload follows this week"


def _sign_in(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/")


def test_document_approved_agreement_recorded_site_activated(
    live_server, page: Page, console_errors, settings, tmp_path, tenant
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    StudySite.objects.filter(pk=tenant.study_site.pk).update(status=StudySiteStatus.CONTRACTED)
    regulatory = member(tenant.cro, Role.REGULATORY, full_name="Alpha Regulatory")
    DocumentRequirementFactory(
        study=tenant.study, document_type=document_type("delegation_log"), created_by=tenant.pm
    )
    upload = tmp_path / "delegation log.pdf"
    upload.write_bytes(PDF_BYTES)
    site_url = f"{live_server.url}/study-sites/{tenant.study_site.pk}"

    # the coordinator uploads the delegation of authority log
    _sign_in(page, live_server.url, tenant.coordinator.email)
    page.goto(f"{site_url}/documents/")
    page.get_by_role("link", name="Upload", exact=True).click()
    page.get_by_label("File").set_input_files(str(upload))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="uploaded")).to_be_visible()

    # the regulatory specialist approves it from the review queue
    _sign_in(page, live_server.url, regulatory.email)
    page.get_by_role("button", name="Start-up").click()
    page.get_by_role("link", name="Document review").click()
    row = page.get_by_role("row").filter(has_text="Delegation of authority log")
    row.get_by_role("button", name="Approve").click()
    expect(row.get_by_text("Approved")).to_be_visible()

    # the PM records the signed agreement, then activates with an override of what is open
    _sign_in(page, live_server.url, tenant.pm.email)
    page.goto(f"{site_url}/")
    checklist = page.locator(".card").filter(has_text="Before “Activated”")
    expect(checklist).to_contain_text("Clinical trial agreement signed")
    expect(
        checklist.locator("li").filter(has_text="Clinical trial agreement signed")
    ).to_contain_text("Open")
    today = timezone.localdate().isoformat()
    page.get_by_label("Agreement signed on").fill(today)
    page.get_by_role("button", name="Record signing date").click()
    expect(page.get_by_text("Agreement signing date recorded.")).to_be_visible()
    expect(page.get_by_test_id("agreement-status")).to_contain_text(f"Signed on {today}")
    expect(
        checklist.locator("li").filter(has_text="Clinical trial agreement signed")
    ).to_contain_text("Done")
    expect(
        checklist.locator("li").filter(has_text="Required documents approved (1 of 1)")
    ).to_contain_text("Done")

    page.get_by_label("New status").select_option("activated")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text("Open checklist items:")).to_be_visible()  # the gate holds
    expect(page.locator("h1")).to_contain_text("Contracted")
    # the refused form answers 400 on purpose; chromium logs that as a console error
    assert console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    console_errors.clear()
    page.get_by_label("New status").select_option("activated")
    page.get_by_label("Reason", exact=True).fill(OVERRIDE_REASON)
    page.get_by_label("Override open checklist items").check()
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text("Site status changed.")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("Activated")

    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_text(f"{OVERRIDE_REASON}").first).to_be_visible()
    expect(page.get_by_text("Override of open checklist items").first).to_be_visible()
    assert console_errors == []
