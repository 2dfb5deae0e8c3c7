"""Browser: a coordinator submits an invoice, finance approves it, a run is built, approved by
the finance approver, marked paid, and the coordinator sees the remittance."""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from tests.factories import PASSWORD, member
from tests.factories.payments import budget_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _login(page: Page, base: str, user) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_invoice_to_remittance(live_server, page: Page, console_errors, tenant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    approver = member(tenant.cro, Role.FINANCE_APPROVER, full_name="Alpha Approver")
    budget_for(tenant.study_site, created_by=tenant.finance, effective_date=dt.date(2025, 1, 1))
    base = live_server.url
    service_date = (dt.date.today() - dt.timedelta(days=3)).isoformat()

    _login(page, base, tenant.coordinator)
    page.goto(f"{base}/payments/invoices/")
    page.get_by_role("link", name="New invoice").click()
    page.get_by_role("button", name="Create draft").click()
    page.get_by_label("Item").select_option("pharmacy")
    page.get_by_label("Date of service").fill(service_date)
    page.get_by_label("Quantity").fill("2")
    page.get_by_label("Amount per unit").fill("62.50")
    page.get_by_role("button", name="Add line").click()
    expect(page.get_by_test_id("invoice-total")).to_have_text("USD 125.00")
    page.get_by_role("button", name="Submit invoice").click()
    expect(page.get_by_text("Invoice submitted to CRO finance.")).to_be_visible()
    invoice_url = page.url

    _login(page, base, tenant.finance)
    page.goto(invoice_url)
    page.get_by_label("Your password (e-signature)").fill(PASSWORD)
    page.get_by_role("button", name="Approve and sign").click()
    expect(page.get_by_text("Invoice approved and signed.")).to_be_visible()
    page.goto(f"{base}/payments/runs/new/")
    page.get_by_label("Study and site").select_option(str(tenant.study_site.pk))
    page.get_by_label("Period from").fill((dt.date.today() - dt.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Build run").click()
    expect(page.get_by_test_id("run-net")).to_have_text("USD 125.00")
    run_url = page.url

    _login(page, base, approver)
    page.goto(run_url)
    page.get_by_label("Your password (e-signature)").fill(PASSWORD)
    page.get_by_role("button", name="Approve and sign").click()
    expect(page.get_by_text("Payment run approved and signed.")).to_be_visible()

    _login(page, base, tenant.finance)
    page.goto(run_url)
    page.get_by_label("Payment reference").fill("WIRE-E2E-1")
    page.get_by_role("button", name="Mark paid").click()
    expect(page.get_by_text("Payment recorded")).to_be_visible()

    _login(page, base, tenant.coordinator)
    page.goto(f"{base}/inbox/")
    page.get_by_role("link", name="Remittance").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remittance")
    expect(page.get_by_text("Ref WIRE-E2E-1")).to_be_visible()
    expect(page.get_by_text("Pharmacy × 2")).to_be_visible()
    assert console_errors == []
