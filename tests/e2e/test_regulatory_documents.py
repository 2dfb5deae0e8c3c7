import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from tests.factories import PASSWORD, member
from tests.factories.regulatory import PDF_BYTES, DocumentRequirementFactory, document_type

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/")


def test_coordinator_uploads_regulatory_approves_checklist_turns_green(
    live_server, page: Page, console_errors, settings, tmp_path, tenant
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    regulatory = member(tenant.cro, Role.REGULATORY, full_name="Alpha Regulatory")
    DocumentRequirementFactory(
        study=tenant.study, document_type=document_type("delegation_log"), created_by=tenant.pm
    )
    upload = tmp_path / "delegation log.pdf"
    upload.write_bytes(PDF_BYTES)
    site_url = f"{live_server.url}/study-sites/{tenant.study_site.pk}"

    _sign_in(page, live_server.url, tenant.coordinator.email)
    page.goto(f"{site_url}/documents/")
    page.get_by_role("link", name="Upload", exact=True).click()
    page.get_by_label("File").set_input_files(str(upload))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="uploaded")).to_be_visible()
    expect(page.get_by_role("cell", name="Submitted")).to_be_visible()

    _sign_in(page, live_server.url, regulatory.email)
    page.get_by_role("button", name="Start-up").click()  # the navigation menu
    page.get_by_role("link", name="Document review").click()
    row = page.get_by_role("row").filter(has_text="Delegation of authority log")
    row.get_by_role("button", name="Approve").click()
    expect(row.get_by_text("Approved")).to_be_visible()  # swapped in place by HTMX

    page.goto(f"{site_url}/activation/")
    item = page.locator('[data-item="regulatory.documents_approved"]')
    expect(item).to_contain_text("Required documents approved (1 of 1)")
    expect(item).to_have_attribute("data-done", "true")
    expect(page.locator('[data-item="regulatory.irb_current"]')).to_have_attribute(
        "data-done", "false"
    )
    assert console_errors == []
