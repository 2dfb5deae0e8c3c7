"""Beat: payment notices to finance, once per day per invoice and person."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.models import Notification
from payments.models import InvoiceStatus
from payments.tasks import payment_reminders_send
from tests.factories.payments import SiteInvoiceFactory

pytestmark = pytest.mark.django_db


def test_approved_invoice_unpaid_past_terms_notifies_finance_once_a_day(tenant, budget, approver):
    invoice = SiteInvoiceFactory(
        study_site=tenant.study_site,
        created_by=tenant.coordinator,
        submitted_by=tenant.coordinator,
        status=InvoiceStatus.APPROVED,
        total=Decimal("120.00"),
        approved_by=tenant.finance,
        approved_at=dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC),
    )
    with time_machine.travel(dt.datetime(2026, 1, 20, 7, tzinfo=dt.UTC)):  # within 30 days
        assert payment_reminders_send.delay().get() == 0
    with time_machine.travel(dt.datetime(2026, 2, 5, 7, tzinfo=dt.UTC)):
        assert payment_reminders_send.delay().get() == 2  # finance and the approver
        assert payment_reminders_send.delay().get() == 0
    with time_machine.travel(dt.datetime(2026, 2, 6, 7, tzinfo=dt.UTC)):
        assert payment_reminders_send.delay().get() == 2
    notices = Notification.objects.filter(kind="payments.invoice_overdue")
    assert {n.recipient for n in notices} == {tenant.finance, approver}
    assert invoice.number in notices.first().title
    assert not Notification.objects.filter(recipient=tenant.coordinator).exists()


def test_invoices_waiting_for_review_over_five_days_remind_finance(tenant, budget):
    SiteInvoiceFactory(
        study_site=tenant.study_site,
        created_by=tenant.coordinator,
        submitted_by=tenant.coordinator,
        status=InvoiceStatus.SUBMITTED,
        submitted_at=timezone.now() - dt.timedelta(days=7),
    )
    SiteInvoiceFactory(
        study_site=tenant.study_site,
        created_by=tenant.coordinator,
        submitted_by=tenant.coordinator,
        status=InvoiceStatus.SUBMITTED,
        submitted_at=timezone.now() - dt.timedelta(days=2),
    )
    assert payment_reminders_send.delay().get() == 1
    assert Notification.objects.get().kind == "payments.invoice_review_waiting"
