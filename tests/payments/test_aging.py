"""Aging of unpaid items against payment terms: buckets, the report page and its SVG chart,
the streamed CSV export, the overdue-payables panel and reminders to the site."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from core.models import Notification
from payments import selectors, services
from payments.models import InvoiceStatus
from payments.tasks import payment_reminders_send
from tests.factories import PASSWORD
from tests.factories.payments import EarningFactory, InvoiceLineFactory, SiteInvoiceFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 6, 30, 9, tzinfo=dt.UTC)


def _earn(tenant, budget, amount, event_date):
    return EarningFactory(
        study_site=tenant.study_site,
        budget_version=budget,
        amount=Decimal(amount),
        event_date=event_date,
    )


def _aged(tenant, budget):
    """Terms 30 days. Due dates: Jul 10 (not due), Jun 30 (due today: not due), Jun 29 (1 day),
    May 31 (30 days), May 30 (31), Apr 1 (90), Mar 31 (91)."""
    days_before_today = {"1.00": -10, "2.00": 0, "4.00": 1, "8.00": 30, "16.00": 31}
    for amount, overdue in days_before_today.items():
        _earn(tenant, budget, amount, TODAY - dt.timedelta(days=30 + overdue))
    _earn(tenant, budget, "32.00", TODAY - dt.timedelta(days=120))  # 90 days overdue
    _earn(tenant, budget, "64.00", TODAY - dt.timedelta(days=121))  # 91 days overdue


@time_machine.travel(NOW)
def test_items_fall_into_buckets_at_the_exact_day_boundaries(tenant, budget, approver):
    _aged(tenant, budget)
    invoice = SiteInvoiceFactory(
        study_site=tenant.study_site,
        created_by=tenant.coordinator,
        submitted_by=tenant.coordinator,
        status=InvoiceStatus.APPROVED,
        approved_by=tenant.finance,
        approved_at=dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC),  # due May 31: 30 days overdue
    )
    InvoiceLineFactory(
        invoice=invoice,
        fee=budget.fees.get(item_category="pharmacy"),
        amount=Decimal("0.50"),
        unit_amount=Decimal("0.50"),
    )
    (total,) = selectors.aging_totals(actor=tenant.finance)
    amounts = {key: amount for key, _, amount in total.buckets}
    assert amounts == {
        "not_due": Decimal("3.00"),
        "d0_30": Decimal("12.50"),
        "d31_60": Decimal("16.00"),
        "d61_90": Decimal("32.00"),
        "d90_plus": Decimal("64.00"),
    }
    assert (total.items, total.overdue) == (8, Decimal("124.50"))
    assert selectors.overdue_payables(actor=tenant.finance) == {
        "totals": [("USD", Decimal("124.50"))],
        "items": 6,
    }
    # Paid items leave the report.
    run = services.payment_run_build(
        actor=tenant.finance, study_site=tenant.study_site, period_start=TODAY, period_end=TODAY
    )
    services.payment_run_approve(actor=approver, run=run, password=PASSWORD)
    services.payment_run_mark_paid(
        actor=tenant.finance, run=run, payment_reference="R", payment_date=TODAY
    )
    assert selectors.aging_totals(actor=tenant.finance) == []


@time_machine.travel(NOW)
def test_other_tenants_see_none_of_it(tenant, other_tenant, budget):
    _aged(tenant, budget)
    assert selectors.aging_totals(actor=other_tenant.finance) == []
    assert selectors.overdue_payables(actor=other_tenant.finance)["items"] == 0


@pytest.mark.parametrize("n", [1, 12])
@time_machine.travel(NOW)
def test_report_page_draws_the_chart_with_constant_queries(
    client, tenant, budget, django_assert_max_num_queries, n
):
    for index in range(n):
        _earn(tenant, budget, "100.00", TODAY - dt.timedelta(days=40 + index))
    for user in (tenant.finance, tenant.coordinator):
        client.force_login(user)
        with django_assert_max_num_queries(14):
            response = client.get(reverse("payments_aging"))
        page = response.content.decode()
        assert response.status_code == 200
        assert "<svg" in page and "<rect" in page and "0–30" in page
        assert f"USD {n * 100:,}.00" in page  # the per-currency total
        assert tenant.site.name in page


@time_machine.travel(NOW)
def test_csv_export_streams_every_unpaid_item_of_the_study(
    client, tenant, other_tenant, budget, django_assert_max_num_queries
):
    _aged(tenant, budget)
    url = reverse("payments_aging_csv", kwargs={"study_id": tenant.study.pk})
    client.force_login(tenant.finance)
    with django_assert_max_num_queries(12):
        response = client.get(url)
        body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 7
    oldest = next(r for r in rows if r["amount"] == "64.00")
    assert (oldest["days_overdue"], oldest["bucket"]) == ("91", "Over 90 days overdue")
    client.force_login(other_tenant.finance)
    assert client.get(url).status_code == 404


@time_machine.travel(NOW)
def test_finance_dashboard_lists_overdue_payables(client, tenant, budget):
    _aged(tenant, budget)
    client.force_login(tenant.finance)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Overdue payables" in page and "USD 124.00 past payment terms" in page


def test_the_site_is_reminded_of_overdue_payments_once_a_day(tenant, budget):
    _earn(tenant, budget, "400.00", dt.date(2026, 1, 5))  # due Feb 4
    _earn(tenant, budget, "100.00", dt.date(2026, 1, 10))  # due Feb 9
    with time_machine.travel(dt.datetime(2026, 2, 3, 7, tzinfo=dt.UTC)):
        payment_reminders_send.delay().get()
        assert not Notification.objects.filter(kind="payments.earnings_overdue").exists()
    with time_machine.travel(dt.datetime(2026, 2, 10, 7, tzinfo=dt.UTC)):
        payment_reminders_send.delay().get()
        payment_reminders_send.delay().get()  # a second beat sends nothing new
    notices = Notification.objects.filter(kind="payments.earnings_overdue")
    assert {n.recipient for n in notices} == {tenant.coordinator, tenant.site_admin}
    assert "2 earnings unpaid past terms (500.00 USD)" in notices.first().title
    with time_machine.travel(dt.datetime(2026, 2, 11, 7, tzinfo=dt.UTC)):
        payment_reminders_send.delay().get()
    assert Notification.objects.filter(kind="payments.earnings_overdue").count() == 4


def test_an_overdue_approved_invoice_reminds_the_site_per_invoice(tenant, budget):
    invoice = SiteInvoiceFactory(
        study_site=tenant.study_site,
        created_by=tenant.coordinator,
        submitted_by=tenant.coordinator,
        status=InvoiceStatus.APPROVED,
        approved_by=tenant.finance,
        approved_at=dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC),
    )
    InvoiceLineFactory(invoice=invoice, fee=budget.fees.get(item_category="pharmacy"))
    with time_machine.travel(dt.datetime(2026, 2, 5, 7, tzinfo=dt.UTC)):
        payment_reminders_send.delay().get()
        payment_reminders_send.delay().get()
    notices = Notification.objects.filter(kind="payments.invoice_overdue_site")
    assert {n.recipient for n in notices} == {tenant.coordinator, tenant.site_admin}
    assert invoice.number in notices.first().title and "due 2026-02-01" in notices.first().title


def test_report_totals_are_counted_at_most_once_a_minute_and_say_when(client, tenant, budget):
    """The totals sum every unpaid item the person sees, so they are kept for a minute; the
    page says when they were counted, and a minute later it counts again."""
    cache.clear()
    client.force_login(tenant.finance)
    with time_machine.travel(NOW, tick=False):
        _earn(tenant, budget, "100.00", TODAY - dt.timedelta(days=40))
        first = client.get(reverse("payments_aging")).content.decode()
        _earn(tenant, budget, "50.00", TODAY - dt.timedelta(days=41))
        cached = client.get(reverse("payments_aging")).content.decode()
    assert "USD 100.00 unpaid" in first and "Totals counted at" in first
    assert "USD 100.00 unpaid" in cached  # within the minute: the same count
    cache.clear()  # what the 60-second expiry does (the cache's clock is Redis's, not ours)
    with time_machine.travel(NOW + dt.timedelta(seconds=61), tick=False):
        later = client.get(reverse("payments_aging")).content.decode()
    assert "USD 150.00 unpaid" in later
