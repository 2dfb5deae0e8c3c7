"""Pages: what each role sees and can do, bad input kept next to the field, query budgets."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payments.models import BudgetVersion, InvoiceLine, InvoiceStatus, PaymentRunStatus
from tests.factories import PASSWORD, StudySiteFactory
from tests.factories.payments import PDF_BYTES, EarningFactory, budget_for

pytestmark = pytest.mark.django_db


def _sites_with_budgets(tenant, n):
    from tests.factories import SiteOrganizationFactory

    for _ in range(n):
        study_site = StudySiteFactory(study=tenant.study, site=SiteOrganizationFactory())
        version = budget_for(study_site, created_by=tenant.finance)
        EarningFactory(study_site=study_site, budget_version=version, amount=Decimal("10.00"))


@pytest.mark.parametrize("n", [1, 12])
def test_overview_query_budget_is_constant(
    client, tenant, budget, django_assert_max_num_queries, n
):
    _sites_with_budgets(tenant, n)
    client.force_login(tenant.finance)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("payments_overview"))
    assert response.status_code == 200
    assert tenant.study.protocol_number in response.content.decode()


def test_the_site_sees_every_cent_per_study(client, tenant, budget):
    EarningFactory(
        study_site=tenant.study_site,
        budget_version=budget,
        amount=Decimal("400.00"),
        description="ALP-101-001 · SCR Screening",
        event_date=dt.date(2025, 1, 2),
    )
    client.force_login(tenant.coordinator)
    body = client.get(reverse("payments_overview")).content.decode()
    assert "USD 400.00" in body
    page = client.get(
        reverse("payments_study_site", kwargs={"study_site_id": tenant.study_site.pk})
    )
    text = page.content.decode()
    assert "ALP-101-001 · SCR Screening" in text
    assert "days overdue" in text  # due 30 days after 2025-01-02, unpaid
    download = client.get(reverse("payments_overview_csv"))
    assert download.streaming  # written as the client reads it
    csv = b"".join(download.streaming_content).decode()
    assert "400.00" in csv and tenant.study.protocol_number in csv


def test_finance_enters_and_amends_the_budget_on_the_budget_page(client, tenant):
    client.force_login(tenant.finance)
    url = reverse("payments_budget", kwargs={"study_site_id": tenant.study_site.pk})
    assert "Enter the budget" in client.get(url).content.decode()
    definition = tenant.subject_visit.definition
    post = reverse("payments_budget_version_create", kwargs={"study_site_id": tenant.study_site.pk})
    data = {
        "effective_date": "2025-01-01",
        "currency": "USD",
        "holdback_percent": "10",
        "payment_terms_days": "30",
        "screen_failure_fee": "150.00",
        "reason": "CTA signed",
        f"visit_{definition.pk}": "-4",
        "item_pharmacy": "500",
    }
    response = client.post(post, data)
    assert response.status_code == 400
    assert "Enter an amount of 0 or more." in response.content.decode()
    assert 'value="CTA signed"' in response.content.decode()
    assert not BudgetVersion.objects.exists()
    data[f"visit_{definition.pk}"] = "400.00"
    assert client.post(post, data).status_code == 302
    data.update({"effective_date": "2026-01-01", "reason": "Amendment 1", "holdback_percent": "5"})
    assert client.post(post, data).status_code == 302
    text = client.get(url).content.decode()
    assert "Version 2" in text and "Amendment 1" in text and "USD 400.00" in text


def test_coordinators_see_the_budget_but_cannot_change_it(client, tenant, budget):
    client.force_login(tenant.coordinator)
    url = reverse("payments_budget", kwargs={"study_site_id": tenant.study_site.pk})
    assert "Amend the budget" not in client.get(url).content.decode()
    post = reverse("payments_budget_version_create", kwargs={"study_site_id": tenant.study_site.pk})
    response = client.post(
        post,
        {
            "effective_date": "2026-01-01",
            "holdback_percent": "5",
            "payment_terms_days": "30",
            "reason": "mine",
        },
    )
    assert response.status_code == 403
    assert BudgetVersion.objects.count() == 1


def test_invoice_pages_from_draft_to_approval(client, tenant, budget):
    client.force_login(tenant.coordinator)
    response = client.post(reverse("payments_invoice_create"), {"study_site": tenant.study_site.pk})
    invoice_url = response["Location"]
    invoice_id = int(invoice_url.rstrip("/").split("/")[-1])
    add = reverse("payments_invoice_line_add", kwargs={"invoice_id": invoice_id})
    bad = client.post(
        add,
        {
            "line-item_category": "pharmacy",
            "line-service_date": "2026-01-05",
            "line-quantity": "2",
            "line-unit_amount": "12,5",
            "line-attachment": SimpleUploadedFile("x.exe", b"MZ"),
        },
    )
    assert bad.status_code == 400
    assert "Attach a PDF, PNG or JPEG file." in bad.content.decode()
    assert "Enter the amount as a number" in bad.content.decode()
    assert not InvoiceLine.objects.exists()
    ok = client.post(
        add,
        {
            "line-item_category": "pharmacy",
            "line-service_date": "2026-01-05",
            "line-quantity": "2",
            "line-unit_amount": "62.50",
            "line-attachment": SimpleUploadedFile("r.pdf", PDF_BYTES, "application/pdf"),
        },
    )
    assert ok.status_code == 302
    line = InvoiceLine.objects.get()
    download = client.get(
        reverse("payments_invoice_line_attachment", kwargs={"invoice_line_id": line.pk})
    )
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES
    client.post(reverse("payments_invoice_submit", kwargs={"invoice_id": invoice_id}))
    client.force_login(tenant.finance)
    page = client.get(invoice_url).content.decode()
    assert "USD 125.00" in page and "Approve and sign" in page
    wrong = client.post(
        reverse("payments_invoice_approve", kwargs={"invoice_id": invoice_id}),
        {"sign-password": "nope"},
    )
    assert wrong.status_code == 400 and "Enter your password to sign." in wrong.content.decode()
    client.post(
        reverse("payments_invoice_approve", kwargs={"invoice_id": invoice_id}),
        {"sign-password": PASSWORD},
    )
    line.invoice.refresh_from_db()
    assert line.invoice.status == InvoiceStatus.APPROVED
    assert tenant.finance.printed_name in client.get(invoice_url).content.decode()


@pytest.mark.parametrize("n", [1, 15])
def test_invoice_and_run_lists_query_budget_is_constant(
    client, tenant, budget, django_assert_max_num_queries, n
):
    from tests.factories.payments import PaymentRunFactory, SiteInvoiceFactory

    for _ in range(n):
        SiteInvoiceFactory(study_site=tenant.study_site, created_by=tenant.coordinator)
        PaymentRunFactory(study_site=tenant.study_site, prepared_by=tenant.finance)
    client.force_login(tenant.finance)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("payments_invoice_list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("payments_run_list")).status_code == 200
    with django_assert_max_num_queries(18):
        assert client.get(reverse("dashboard")).status_code == 200


def test_run_pages_build_approve_pay(client, tenant, budget, approver):
    EarningFactory(study_site=tenant.study_site, budget_version=budget, amount=Decimal("400.00"))
    client.force_login(tenant.finance)
    response = client.post(
        reverse("payments_run_create"),
        {
            "study_site": tenant.study_site.pk,
            "period_start": "2026-01-01",
            "period_end": "2026-01-31",
        },
    )
    run_url = response["Location"]
    run_id = int(run_url.rstrip("/").split("/")[-1])
    assert "USD 360.00" in client.get(run_url).content.decode()
    client.force_login(approver)
    client.post(
        reverse("payments_run_approve", kwargs={"payment_run_id": run_id}),
        {"sign-password": PASSWORD},
    )
    client.force_login(tenant.finance)
    bad = client.post(
        reverse("payments_run_pay", kwargs={"payment_run_id": run_id}),
        {"pay-payment_reference": "", "pay-payment_date": "2026-02-01"},
    )
    assert bad.status_code == 400
    client.post(
        reverse("payments_run_pay", kwargs={"payment_run_id": run_id}),
        {"pay-payment_reference": "WIRE-1", "pay-payment_date": "2026-02-01"},
    )
    client.force_login(tenant.coordinator)
    page = client.get(run_url).content.decode()
    assert "Remittance" in page and "WIRE-1" in page
    from payments.models import PaymentRun

    assert PaymentRun.objects.get().status == PaymentRunStatus.PAID
