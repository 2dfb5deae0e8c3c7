"""Site-payments objects of a tenant, for the access sweep."""

import datetime as dt
from decimal import Decimal

from payments.models import (
    BudgetVersion,
    InvoiceStatus,
    PaymentDispute,
    PaymentRun,
    PaymentRunLine,
    SiteInvoice,
)
from tests.factories.payments import (
    EarningFactory,
    InvoiceLineFactory,
    PaymentRunFactory,
    SiteInvoiceFactory,
    budget_for,
)


def _budget(tenant) -> BudgetVersion:
    version = BudgetVersion.objects.filter(budget__study_site=tenant.study_site).first()
    return version or budget_for(tenant.study_site, created_by=tenant.finance)


def _invoice(tenant) -> SiteInvoice:
    version = _budget(tenant)
    invoice = SiteInvoice.objects.filter(study_site=tenant.study_site).first()
    if invoice is None:
        invoice = SiteInvoiceFactory(
            study_site=tenant.study_site,
            number=f"INV-{tenant.study.protocol_number}-SECRET",
            created_by=tenant.coordinator,
            submitted_by=tenant.coordinator,
            status=InvoiceStatus.SUBMITTED,
            total=Decimal("120.00"),
        )
        InvoiceLineFactory(invoice=invoice, fee=version.fees.get(item_category="pharmacy"))
    return invoice


def _run(tenant) -> PaymentRun:
    _budget(tenant)
    run = PaymentRun.objects.filter(study_site=tenant.study_site).first()
    if run is None:
        run = PaymentRunFactory(study_site=tenant.study_site, prepared_by=tenant.finance)
        EarningFactory(
            study_site=tenant.study_site,
            description=f"{tenant.study.protocol_number} private earning",
            event_date=dt.date(2026, 1, 10),
        )
    return run


def _run_line(tenant) -> PaymentRunLine:
    run = _run(tenant)
    line = run.lines.first()
    if line is None:
        earning = tenant.study_site.earnings.first()
        line = PaymentRunLine.objects.create(
            run=run,
            earning=earning,
            description=earning.description,
            event_date=earning.event_date,
            gross=Decimal("0.00"),
            holdback=Decimal("0.00"),
            net=Decimal("0.00"),
            currency="USD",
        )
    return line


def _dispute(tenant) -> PaymentDispute:
    _run(tenant)
    dispute = PaymentDispute.objects.filter(study_site=tenant.study_site).first()
    if dispute is None:
        dispute = PaymentDispute.objects.create(
            study_site=tenant.study_site,
            earning=tenant.study_site.earnings.first(),
            comment=f"{tenant.study.protocol_number} private dispute comment",
            raised_by=tenant.coordinator,
        )
    return dispute


OBJECT_KWARGS = {
    "payment_run_line_id": lambda tenant: _run_line(tenant).pk,
    "payment_dispute_id": lambda tenant: _dispute(tenant).pk,
    "invoice_id": lambda tenant: _invoice(tenant).pk,
    "invoice_line_id": lambda tenant: _invoice(tenant).lines.first().pk,
    "payment_run_id": lambda tenant: _run(tenant).pk,
    "budget_version_id": lambda tenant: _budget(tenant).pk,
    "earning_id": lambda tenant: (_run(tenant), tenant.study_site.earnings.first().pk)[1],
}


def markers(tenant) -> list[str]:
    return [
        f"INV-{tenant.study.protocol_number}-SECRET",
        f"{tenant.study.protocol_number} private earning",
        f"{tenant.study.protocol_number} private dispute comment",
    ]
