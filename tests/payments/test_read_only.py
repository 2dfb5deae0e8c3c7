"""A closed study-site is read-only: every payments write under it is refused (409 in the API,
a message on pages) and changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.exceptions import RecordLocked
from payments import services
from payments.models import (
    BudgetVersion,
    InvoiceStatus,
    PaymentDispute,
    PaymentRun,
    PaymentRunStatus,
    SiteInvoice,
)
from tests.factories import PASSWORD
from tests.factories.payments import EarningFactory
from trials.models import StudySite, StudySiteStatus

pytestmark = pytest.mark.django_db
PERIOD = {"period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 1, 31)}


def _close(tenant):
    StudySite.objects.filter(pk=tenant.study_site.pk).update(status=StudySiteStatus.CLOSED)
    tenant.study_site.refresh_from_db()


def _submitted_invoice(tenant):
    invoice = services.invoice_create(actor=tenant.coordinator, study_site=tenant.study_site)
    services.invoice_line_add(
        actor=tenant.coordinator,
        invoice=invoice,
        item_category="pharmacy",
        service_date=dt.date(2026, 1, 20),
        quantity=1,
        unit_amount="120.00",
    )
    return invoice


def test_budget_and_invoice_writes_are_refused_once_the_site_is_closed(tenant, budget):
    draft = _submitted_invoice(tenant)
    submitted = _submitted_invoice(tenant)
    services.invoice_submit(actor=tenant.coordinator, invoice=submitted)
    _close(tenant)
    attempts = [
        lambda: services.budget_version_create(
            actor=tenant.finance,
            study_site=tenant.study_site,
            effective_date=dt.date(2026, 2, 1),
            reason="Amendment 1",
            holdback_percent="5",
            payment_terms_days=30,
        ),
        lambda: services.invoice_create(actor=tenant.coordinator, study_site=tenant.study_site),
        lambda: services.invoice_line_add(
            actor=tenant.coordinator,
            invoice=draft,
            item_category="pharmacy",
            service_date=dt.date(2026, 1, 21),
            quantity=1,
            unit_amount="10.00",
        ),
        lambda: services.invoice_line_withdraw(
            actor=tenant.coordinator, line=draft.lines.first(), reason="typo"
        ),
        lambda: services.invoice_submit(actor=tenant.coordinator, invoice=draft),
        lambda: services.invoice_approve(
            actor=tenant.finance, invoice=submitted, password=PASSWORD
        ),
        lambda: services.invoice_reject(actor=tenant.finance, invoice=submitted, reason="no"),
        lambda: services.invoice_request_changes(
            actor=tenant.finance, invoice=submitted, comment="fix"
        ),
    ]
    for attempt in attempts:
        with pytest.raises(RecordLocked):
            attempt()
    assert BudgetVersion.objects.filter(budget__study_site=tenant.study_site).count() == 1
    assert SiteInvoice.objects.filter(study_site=tenant.study_site).count() == 2
    draft.refresh_from_db()
    submitted.refresh_from_db()
    assert (draft.status, draft.total) == (InvoiceStatus.DRAFT, Decimal("120.00"))
    assert submitted.status == InvoiceStatus.SUBMITTED


def test_runs_and_disputes_are_refused_once_the_site_is_closed(tenant, budget, approver):
    earning = EarningFactory(
        study_site=tenant.study_site, budget_version=budget, amount=Decimal("400.00")
    )
    draft = services.payment_run_build(actor=tenant.finance, study_site=tenant.study_site, **PERIOD)
    dispute = services.dispute_open(actor=tenant.coordinator, earning=earning, comment="Too low")
    _close(tenant)
    with pytest.raises(RecordLocked):
        services.payment_run_build(actor=tenant.finance, study_site=tenant.study_site, **PERIOD)
    with pytest.raises(RecordLocked):
        services.payment_run_approve(actor=approver, run=draft, password=PASSWORD)
    PaymentRun.objects.filter(pk=draft.pk).update(
        status=PaymentRunStatus.APPROVED, approved_by=approver
    )
    with pytest.raises(RecordLocked):
        services.payment_run_mark_paid(
            actor=tenant.finance, run=draft, payment_reference="X1", payment_date=dt.date.today()
        )
    with pytest.raises(RecordLocked):
        services.dispute_accept(actor=tenant.finance, dispute=dispute, amount="10", answer="ok")
    with pytest.raises(RecordLocked):
        services.dispute_reject(actor=tenant.finance, dispute=dispute, reason="no")
    with pytest.raises(RecordLocked):
        services.dispute_open(actor=tenant.coordinator, earning=earning, comment="again")
    draft.refresh_from_db()
    assert draft.status == PaymentRunStatus.APPROVED and draft.payment_reference == ""
    assert PaymentDispute.objects.get().status == "open"


def test_the_final_run_is_paid_before_close_and_the_api_answers_409_after(tenant, budget, approver):
    EarningFactory(study_site=tenant.study_site, budget_version=budget, amount=Decimal("400.00"))
    run = services.payment_run_build(actor=tenant.finance, study_site=tenant.study_site, **PERIOD)
    services.payment_run_approve(actor=approver, run=run, password=PASSWORD)
    _close(tenant)
    client = APIClient()
    client.force_authenticate(tenant.finance)
    response = client.post(
        f"/api/v1/payment-runs/{run.pk}/pay/",
        {"payment_reference": "BANK-1", "payment_date": str(dt.date.today())},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "read_only"
    run.refresh_from_db()
    assert run.status == PaymentRunStatus.APPROVED


def test_pages_show_the_read_only_message(client, tenant, budget):
    _close(tenant)
    client.force_login(tenant.coordinator)
    response = client.post(reverse("payments_invoice_create"), {"study_site": tenant.study_site.pk})
    assert "its records are read-only" in response.content.decode()
    assert not SiteInvoice.objects.exists()
