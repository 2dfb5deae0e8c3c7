"""factory-boy factories for site payments."""

import datetime as dt
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from factory.django import DjangoModelFactory

from payments.models import (
    Budget,
    BudgetVersion,
    Earning,
    EarningKind,
    Fee,
    FeeKind,
    InvoiceLine,
    ItemCategory,
    PaymentRun,
    SiteInvoice,
)
from tests.factories import StudySiteFactory, UserFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class BudgetFactory(DjangoModelFactory):
    class Meta:
        model = Budget

    study_site = factory.SubFactory(StudySiteFactory)
    currency = "USD"


class BudgetVersionFactory(DjangoModelFactory):
    class Meta:
        model = BudgetVersion

    budget = factory.SubFactory(BudgetFactory)
    number = factory.Sequence(lambda n: n + 1)
    effective_date = dt.date(2025, 1, 1)
    reason = "Signed clinical trial agreement"
    holdback_percent = Decimal("10.00")
    payment_terms_days = 30
    screen_failure_fee = Decimal("150.00")
    created_by = factory.SubFactory(UserFactory)


class FeeFactory(DjangoModelFactory):
    class Meta:
        model = Fee

    version = factory.SubFactory(BudgetVersionFactory)
    kind = FeeKind.ITEM
    item_category = ItemCategory.PHARMACY
    amount = Decimal("500.00")


def budget_for(study_site, *, created_by, visit_fee=Decimal("400.00"), **version_fields):
    """A budget (version 1) for ``study_site`` with a fee for every visit of the schedule, SIV and
    close-out milestone fees, and every invoiceable item (most per unit 500.00)."""
    budget = Budget.objects.filter(study_site=study_site).first() or BudgetFactory(
        study_site=study_site, currency=study_site.study.currency
    )
    number = budget.versions.count() + 1
    version = BudgetVersionFactory(
        budget=budget, number=number, created_by=created_by, **version_fields
    )
    for definition in study_site.study.visit_definitions.all():
        FeeFactory(
            version=version,
            kind=FeeKind.VISIT,
            visit_definition=definition,
            item_category="",
            amount=visit_fee,
        )
    FeeFactory(
        version=version,
        kind=FeeKind.MILESTONE,
        milestone_kind="siv",
        item_category="",
        amount=Decimal("2500.00"),
    )
    FeeFactory(
        version=version,
        kind=FeeKind.MILESTONE,
        milestone_kind="cov",
        item_category="",
        amount=Decimal("1500.00"),
    )
    for category in ItemCategory.values:
        FeeFactory(version=version, kind=FeeKind.ITEM, item_category=category)
    return version


class EarningFactory(DjangoModelFactory):
    class Meta:
        model = Earning

    study_site = factory.SubFactory(StudySiteFactory)
    kind = EarningKind.MILESTONE
    event_date = dt.date(2026, 1, 15)
    description = factory.Sequence(lambda n: f"Earning {n}")
    amount = Decimal("100.00")
    currency = "USD"


class SiteInvoiceFactory(DjangoModelFactory):
    class Meta:
        model = SiteInvoice

    study_site = factory.SubFactory(StudySiteFactory)
    number = factory.Sequence(lambda n: f"INV-T-{n:04d}")
    currency = "USD"
    created_by = factory.SubFactory(UserFactory)


class InvoiceLineFactory(DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(SiteInvoiceFactory)
    fee = factory.SubFactory(FeeFactory)
    item_category = ItemCategory.PHARMACY
    service_date = dt.date(2026, 1, 20)
    quantity = 1
    unit_amount = Decimal("120.00")
    amount = Decimal("120.00")
    currency = "USD"
    attachment = factory.LazyFunction(lambda: ContentFile(PDF_BYTES, name="receipt.pdf"))
    attachment_name = "receipt.pdf"


class PaymentRunFactory(DjangoModelFactory):
    class Meta:
        model = PaymentRun

    study_site = factory.SubFactory(StudySiteFactory)
    period_start = dt.date(2026, 1, 1)
    period_end = dt.date(2026, 1, 31)
    currency = "USD"
    prepared_by = factory.SubFactory(UserFactory)
