"""Work inbox rows of payments: invoices returned to the site and money overdue to it; the CRO
finance queue (invoices to approve, second approvals, runs to approve or pay, disputes)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from core.inbox import DUE_SOON, OVERDUE
from payments import inbox
from payments.models import DisputeStatus, InvoiceStatus, PaymentDispute, PaymentRunStatus
from tests.factories import StudyFactory, StudySiteFactory
from tests.factories.payments import (
    BudgetFactory,
    EarningFactory,
    PaymentRunFactory,
    SiteInvoiceFactory,
)

pytestmark = pytest.mark.django_db


def _invoice(tenant, status, *, study_site=None, days_ago=2, **fields):
    submitted = timezone.now() - dt.timedelta(days=days_ago)
    return SiteInvoiceFactory(
        study_site=study_site or tenant.study_site,
        created_by=tenant.coordinator,
        submitted_by=tenant.coordinator,
        submitted_at=submitted,
        status=status,
        total=Decimal("250.00"),
        **fields,
    )


def test_site_sees_invoices_sent_back_and_recently_rejected(tenant, other_tenant):
    returned = _invoice(
        tenant,
        InvoiceStatus.CHANGES_REQUESTED,
        review_comment="Attach the pharmacy receipts.",
        reviewed_by=tenant.finance,
    )
    rejected = _invoice(
        tenant, InvoiceStatus.REJECTED, review_comment="Not in the budget.", reviewed_by=tenant.pm
    )
    _invoice(tenant, InvoiceStatus.REJECTED, days_ago=60, review_comment="Old news.")
    _invoice(tenant, InvoiceStatus.SUBMITTED)
    _invoice(other_tenant, InvoiceStatus.CHANGES_REQUESTED, review_comment="Beta's")

    rows = {i.key: i for i in inbox.site_items(tenant.coordinator)}
    assert set(rows) == {
        f"payments.invoice_returned:{returned.pk}",
        f"payments.invoice_returned:{rejected.pk}",
    }
    back = rows[f"payments.invoice_returned:{returned.pk}"]
    assert back.title == (
        f"Revise and resubmit invoice {returned.number} (USD 250.00): changes requested"
    )
    assert back.urgency == DUE_SOON and "Attach the pharmacy receipts." in back.detail
    assert rows[f"payments.invoice_returned:{rejected.pk}"].title.endswith("was rejected")
    assert back.cro_name == tenant.cro.name and back.url == returned.get_absolute_url()


def test_site_sees_money_overdue_per_study_site_and_currency(tenant, other_tenant):
    today = timezone.localdate()
    BudgetFactory(study_site=tenant.study_site)
    for days in (100, 60):
        EarningFactory(
            study_site=tenant.study_site,
            event_date=today - dt.timedelta(days=days),
            amount=Decimal("150.00"),
        )
    # Within the 30 days of payment terms: not overdue yet.
    EarningFactory(study_site=tenant.study_site, event_date=today - dt.timedelta(days=5))
    BudgetFactory(study_site=other_tenant.study_site)
    EarningFactory(study_site=other_tenant.study_site, event_date=today - dt.timedelta(days=100))

    (row,) = [i for i in inbox.site_items(tenant.coordinator) if i.kind == "payment_overdue"]
    assert row.title == "USD 300.00 overdue to site 101: 2 items past the payment terms"
    assert row.urgency == OVERDUE
    assert row.due == today - dt.timedelta(days=70)  # the oldest: 100 days ago + 30 days terms
    assert row.url == f"/payments/study-sites/{tenant.study_site.pk}/"
    assert row.cro_name == tenant.cro.name
    (beta,) = inbox.site_items(other_tenant.coordinator)
    assert beta.cro_name == other_tenant.cro.name


def test_finance_queue_by_role(tenant, other_tenant, approver, approver2):
    submitted = _invoice(tenant, InvoiceStatus.SUBMITTED)
    second = _invoice(
        tenant,
        InvoiceStatus.AWAITING_SECOND_APPROVAL,
        first_approved_by=approver,
    )
    draft_run = PaymentRunFactory(study_site=tenant.study_site, prepared_by=tenant.finance)
    own_run = PaymentRunFactory(study_site=tenant.study_site, prepared_by=approver2)
    approved_run = PaymentRunFactory(
        study_site=tenant.study_site,
        prepared_by=tenant.finance,
        status=PaymentRunStatus.APPROVED,
        approved_by=approver,
        approved_at=timezone.now(),
    )
    earning = EarningFactory(study_site=tenant.study_site)
    dispute = PaymentDispute.objects.create(
        study_site=tenant.study_site,
        earning=earning,
        comment="The visit fee is 400.00, not 100.00.",
        raised_by=tenant.coordinator,
    )
    PaymentDispute.objects.create(
        study_site=tenant.study_site,
        earning=EarningFactory(study_site=tenant.study_site),
        comment="Settled.",
        raised_by=tenant.coordinator,
        status=DisputeStatus.REJECTED,
        answer="No.",
        answered_by=tenant.finance,
        answered_at=timezone.now(),
    )

    def keys(user):
        return {i.key for i in inbox.finance_items(user)}

    shared = {f"payments.invoice_review:{submitted.pk}", f"payments.dispute:{dispute.pk}"}
    # Finance reviews invoices and pays approved runs; it never approves runs.
    assert keys(tenant.finance) == shared | {f"payments.payment_run:{approved_run.pk}"}
    # An approver gives the second approval (unless they gave the first) and approves runs
    # someone else prepared.
    assert keys(approver) == shared | {
        f"payments.payment_run:{draft_run.pk}",
        f"payments.payment_run:{own_run.pk}",
    }
    assert keys(approver2) == shared | {
        f"payments.invoice_review:{second.pk}",
        f"payments.payment_run:{draft_run.pk}",
    }
    rows = {i.key: i for i in inbox.finance_items(approver2)}
    assert rows[f"payments.invoice_review:{second.pk}"].title.startswith(
        f"Second approval of invoice {second.number}"
    )
    assert rows[f"payments.payment_run:{draft_run.pk}"].title.startswith("Approve payment run")
    assert next(
        i for i in inbox.finance_items(tenant.finance) if i.kind == "payment_run"
    ).title.startswith("Pay payment run")
    assert inbox.finance_items(other_tenant.finance) == []
    assert inbox.finance_items(tenant.coordinator) == []


def _fill(tenant, n: int) -> None:
    today = timezone.localdate()
    for _ in range(n):
        study_site = StudySiteFactory(study=StudyFactory(cro=tenant.cro), site=tenant.site)
        BudgetFactory(study_site=study_site)
        EarningFactory(study_site=study_site, event_date=today - dt.timedelta(days=90))
        _invoice(tenant, InvoiceStatus.CHANGES_REQUESTED, study_site=study_site)
        _invoice(tenant, InvoiceStatus.SUBMITTED, study_site=study_site)
        PaymentRunFactory(study_site=study_site, prepared_by=tenant.finance)
        PaymentDispute.objects.create(
            study_site=study_site,
            earning=EarningFactory(study_site=study_site),
            comment="Check this line.",
            raised_by=tenant.coordinator,
        )


def test_query_budget_does_not_grow_with_the_rows(tenant, approver, django_assert_max_num_queries):
    _fill(tenant, 2)
    with django_assert_max_num_queries(10) as small:
        assert len(inbox.site_items(tenant.coordinator)) == 4
        assert len(inbox.finance_items(approver)) == 6
    _fill(tenant, 10)
    cache.clear()  # the overdue sums are cached for a minute; count them again with the new rows
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(inbox.site_items(tenant.coordinator)) == 24
        assert len(inbox.finance_items(approver)) == 36
