"""API: lists with constant queries, workflow actions as POSTs, 403/404/409, idempotency."""

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from core.models import Notification
from payments.models import InvoiceStatus, PaymentRun, PaymentRunStatus, SiteInvoice
from tests.factories import PASSWORD
from tests.factories.payments import (
    EarningFactory,
    InvoiceLineFactory,
    PaymentRunFactory,
    SiteInvoiceFactory,
)

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("n", [1, 15])
def test_lists_run_a_constant_number_of_queries(tenant, budget, django_assert_max_num_queries, n):
    for _ in range(n):
        invoice = SiteInvoiceFactory(study_site=tenant.study_site, created_by=tenant.coordinator)
        InvoiceLineFactory(invoice=invoice, fee=budget.fees.get(item_category="pharmacy"))
        PaymentRunFactory(study_site=tenant.study_site, prepared_by=tenant.finance)
        EarningFactory(study_site=tenant.study_site, budget_version=budget)
    client = _client(tenant.finance)
    for url in (
        "/api/v1/budgets/",
        "/api/v1/earnings/",
        "/api/v1/invoices/",
        "/api/v1/payment-runs/",
    ):
        with django_assert_max_num_queries(8):
            response = client.get(url)
        assert response.status_code == 200, url
        assert response.json()["count"] >= 1


def test_money_is_a_decimal_string_with_its_currency(tenant, budget):
    EarningFactory(study_site=tenant.study_site, budget_version=budget, amount=Decimal("0.10"))
    row = _client(tenant.coordinator).get("/api/v1/earnings/").json()["results"][0]
    assert row["amount"] == "0.10" and row["currency"] == "USD"


def test_invoice_workflow_over_the_api(tenant, budget, approver):
    site = _client(tenant.coordinator)
    created = site.post("/api/v1/invoices/", {"study_site": tenant.study_site.pk}, format="json")
    assert created.status_code == 201
    invoice_id = created.json()["id"]
    bad = site.post(
        f"/api/v1/invoices/{invoice_id}/lines/",
        {
            "item_category": "travel",
            "service_date": "2026-01-10",
            "quantity": 1,
            "unit_amount": "-3",
            "currency": "EUR",
        },
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) >= {"unit_amount", "currency"}
    ok = site.post(
        f"/api/v1/invoices/{invoice_id}/lines/",
        {
            "item_category": "travel",
            "service_date": "2026-01-10",
            "quantity": 2,
            "unit_amount": "45.50",
        },
        format="json",
    )
    assert ok.json()["total"] == "91.00"
    assert site.post(f"/api/v1/invoices/{invoice_id}/submit/").status_code == 200
    assert site.post(f"/api/v1/invoices/{invoice_id}/submit/").status_code == 409
    assert (
        site.post(f"/api/v1/invoices/{invoice_id}/approve/", {"password": PASSWORD}).status_code
        == 403
    )
    finance = _client(tenant.finance)
    headers = {"HTTP_IDEMPOTENCY_KEY": "approve-1"}
    first = finance.post(
        f"/api/v1/invoices/{invoice_id}/approve/", {"password": PASSWORD}, format="json", **headers
    )
    assert first.status_code == 200 and first.json()["status"] == InvoiceStatus.APPROVED
    replay = finance.post(
        f"/api/v1/invoices/{invoice_id}/approve/", {"password": PASSWORD}, format="json", **headers
    )
    assert replay.status_code == 200 and replay.json() == first.json()
    again = finance.post(f"/api/v1/invoices/{invoice_id}/approve/", {"password": PASSWORD})
    assert again.status_code == 409


def test_payment_run_over_the_api_pays_once_with_idempotency(
    tenant, budget, approver, django_capture_on_commit_callbacks
):
    EarningFactory(study_site=tenant.study_site, budget_version=budget, amount=Decimal("400.00"))
    finance = _client(tenant.finance)
    built = finance.post(
        "/api/v1/payment-runs/",
        {
            "study_site": tenant.study_site.pk,
            "period_start": "2026-01-01",
            "period_end": "2026-01-31",
        },
        format="json",
    )
    assert built.status_code == 201
    body = built.json()
    assert (body["gross"], body["holdback"], body["net"]) == ("400.00", "40.00", "360.00")
    run_id = body["id"]
    assert (
        finance.post(f"/api/v1/payment-runs/{run_id}/approve/", {"password": PASSWORD}).status_code
        == 403
    )  # noqa: E501
    approved = _client(approver).post(
        f"/api/v1/payment-runs/{run_id}/approve/", {"password": PASSWORD}, format="json"
    )
    assert approved.json()["status"] == PaymentRunStatus.APPROVED
    pay = {"payment_reference": "WIRE-9", "payment_date": "2026-02-01"}
    headers = {"HTTP_IDEMPOTENCY_KEY": "pay-run-1"}
    with django_capture_on_commit_callbacks(execute=True):
        first = finance.post(f"/api/v1/payment-runs/{run_id}/pay/", pay, format="json", **headers)
    replay = finance.post(f"/api/v1/payment-runs/{run_id}/pay/", pay, format="json", **headers)
    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json()
    assert (
        finance.post(f"/api/v1/payment-runs/{run_id}/pay/", pay, format="json").status_code == 409
    )
    assert PaymentRun.objects.get().status == PaymentRunStatus.PAID
    assert Notification.objects.filter(kind="payments.remittance").count() == 2


def test_run_list_counts_the_lines_and_the_run_gives_them(tenant, budget):
    for amount in ("100.00", "250.00"):
        EarningFactory(study_site=tenant.study_site, budget_version=budget, amount=Decimal(amount))
    finance = _client(tenant.finance)
    built = finance.post(
        "/api/v1/payment-runs/",
        {
            "study_site": tenant.study_site.pk,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
        },
        format="json",
    ).json()

    listed = finance.get("/api/v1/payment-runs/").json()["results"]
    detail = finance.get(f"/api/v1/payment-runs/{built['id']}/").json()

    assert [(run["id"], run["line_count"], run["gross"]) for run in listed] == [
        (built["id"], 2, "350.00")
    ]
    assert "lines" not in listed[0]
    assert sorted(line["gross"] for line in detail["lines"]) == ["100.00", "250.00"]


def test_another_tenant_gets_404_and_changes_nothing(tenant, other_tenant, budget):
    invoice = SiteInvoiceFactory(
        study_site=tenant.study_site,
        created_by=tenant.coordinator,
        submitted_by=tenant.coordinator,
        status=InvoiceStatus.SUBMITTED,
    )
    outsider = _client(other_tenant.finance)
    assert outsider.get(f"/api/v1/invoices/{invoice.pk}/").status_code == 404
    response = outsider.post(f"/api/v1/invoices/{invoice.pk}/approve/", {"password": PASSWORD})
    assert response.status_code == 404
    assert outsider.get("/api/v1/invoices/").json()["count"] == 0
    assert SiteInvoice.objects.get().status == InvoiceStatus.SUBMITTED


def test_sponsor_viewers_never_write(tenant, budget):
    response = _client(tenant.sponsor_viewer).post(
        "/api/v1/payment-runs/",
        {
            "study_site": tenant.study_site.pk,
            "period_start": "2026-01-01",
            "period_end": "2026-01-31",
        },
        format="json",
    )
    assert response.status_code == 403
    assert not PaymentRun.objects.exists()


def test_budget_amendment_over_the_api(tenant, budget):
    response = _client(tenant.finance).post(
        "/api/v1/budgets/",
        {
            "study_site": tenant.study_site.pk,
            "effective_date": str(dt.date(2026, 1, 1)),
            "reason": "Amendment 2",
            "holdback_percent": "25",
            "payment_terms_days": 45,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "holdback_percent" in response.json()["error"]["fields"]
    response = _client(tenant.finance).post(
        "/api/v1/budgets/",
        {
            "study_site": tenant.study_site.pk,
            "effective_date": "2026-01-01",
            "reason": "Amendment 2",
            "holdback_percent": "5",
            "payment_terms_days": 45,
            "item_caps": {"travel": "80.00"},
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["number"] == 2
