"""Payment runs: building, separation of duties, paying exactly once, holdback, remittance."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.models import Notification
from payments import services
from payments.models import (
    Earning,
    EarningKind,
    InvoiceStatus,
    PaymentRun,
    PaymentRunLine,
    PaymentRunStatus,
)
from tests.factories import PASSWORD, MilestoneFactory
from tests.factories.payments import EarningFactory

pytestmark = pytest.mark.django_db

PERIOD = {"period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 1, 31)}


def _earn(tenant, budget, amount, **fields):
    return EarningFactory(
        study_site=tenant.study_site,
        budget_version=budget,
        amount=Decimal(amount),
        **fields,
    )


def _approved_invoice(tenant, amount="120.00"):
    invoice = services.invoice_create(actor=tenant.coordinator, study_site=tenant.study_site)
    services.invoice_line_add(
        actor=tenant.coordinator,
        invoice=invoice,
        item_category="pharmacy",
        service_date=dt.date(2026, 1, 20),
        quantity=1,
        unit_amount=amount,
    )
    services.invoice_submit(actor=tenant.coordinator, invoice=invoice)
    return services.invoice_approve(actor=tenant.finance, invoice=invoice, password=PASSWORD)


def _build(tenant, **period):
    return services.payment_run_build(
        actor=tenant.finance, study_site=tenant.study_site, **(period or PERIOD)
    )


def test_a_run_gathers_unpaid_earnings_and_approved_invoice_lines_with_holdback(tenant, budget):
    _earn(tenant, budget, "400.00")
    _earn(tenant, budget, "333.35")
    _earn(tenant, budget, "999.00", event_date=dt.date(2026, 2, 10))  # after the period
    _approved_invoice(tenant, "120.00")
    run = _build(tenant)
    assert run.status == PaymentRunStatus.DRAFT
    assert run.lines.count() == 3
    # 10 % holdback per line, ROUND_HALF_UP: 40.00 + 33.34 (33.335 rounds up); none on invoices.
    assert run.gross == Decimal("853.35")
    assert run.holdback == Decimal("73.34")
    assert run.net == Decimal("780.01")
    assert run.holdback + run.net == run.gross


def test_a_line_goes_into_one_run_only(tenant, budget):
    earning = _earn(tenant, budget, "400.00")
    run = _build(tenant)
    with pytest.raises(ApplicationError):
        _build(tenant)  # nothing left to pay
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentRunLine.objects.create(
            run=run,
            earning=earning,
            description="again",
            event_date=earning.event_date,
            gross=earning.amount,
            holdback=Decimal(0),
            net=earning.amount,
            currency="USD",
        )


@pytest.mark.parametrize("who", ["coordinator", "cra", "pm", "sponsor_viewer", "cro_admin"])
def test_only_cro_finance_builds_runs(tenant, budget, who):
    _earn(tenant, budget, "400.00")
    with pytest.raises(PermissionDenied):
        services.payment_run_build(
            actor=getattr(tenant, who), study_site=tenant.study_site, **PERIOD
        )
    assert not PaymentRun.objects.exists()


def test_a_finance_approver_other_than_the_preparer_approves_and_finance_pays(
    tenant, budget, approver, mailoutbox, django_capture_on_commit_callbacks
):
    _earn(tenant, budget, "400.00")
    _approved_invoice(tenant)
    run = _build(tenant)
    with pytest.raises(PermissionDenied):  # finance without the approver role
        services.payment_run_approve(actor=tenant.finance, run=run, password=PASSWORD)
    with pytest.raises(TransitionNotAllowed):  # not approved yet
        services.payment_run_mark_paid(
            actor=tenant.finance, run=run, payment_reference="X", payment_date=dt.date(2026, 2, 1)
        )
    services.payment_run_approve(actor=approver, run=run, password=PASSWORD)
    with pytest.raises(PermissionDenied):  # approvers do not pay
        services.payment_run_mark_paid(
            actor=approver, run=run, payment_reference="X", payment_date=dt.date(2026, 2, 1)
        )
    with pytest.raises(ApplicationError) as refused:
        services.payment_run_mark_paid(
            actor=tenant.finance, run=run, payment_reference=" ", payment_date=dt.date(2026, 2, 1)
        )
    assert "payment_reference" in refused.value.fields
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_run_mark_paid(
            actor=tenant.finance,
            run=run,
            payment_reference="WIRE-778",
            payment_date=dt.date(2026, 2, 1),
        )
    run.refresh_from_db()
    assert run.status == PaymentRunStatus.PAID
    assert run.payment_reference == "WIRE-778"
    assert tenant.study_site.invoices.get().status == InvoiceStatus.PAID
    with pytest.raises(TransitionNotAllowed):
        services.payment_run_mark_paid(
            actor=tenant.finance,
            run=run,
            payment_reference="WIRE-779",
            payment_date=dt.date(2026, 2, 1),
        )
    # The remittance notice: in-app and by email, every line, once per site person.
    notices = Notification.objects.filter(kind="payments.remittance")
    assert {n.recipient for n in notices} == {tenant.coordinator, tenant.site_admin}
    body = notices.first().body
    assert "WIRE-778" in body and "Pharmacy" in body and "400.00" in body
    assert len([m for m in mailoutbox if "Remittance" in m.subject]) == 2
    for _ in range(3):  # retries and duplicate deliveries send nothing more
        services.remittance_send(payment_run_id=run.pk)
    assert Notification.objects.filter(kind="payments.remittance").count() == 2
    assert len([m for m in mailoutbox if "Remittance" in m.subject]) == 2


def test_the_preparer_cannot_approve_their_own_run(tenant, budget, approver):
    _earn(tenant, budget, "400.00")
    run = services.payment_run_build(actor=approver, study_site=tenant.study_site, **PERIOD)
    with pytest.raises(PermissionDenied):
        services.payment_run_approve(actor=approver, run=run, password=PASSWORD)
    run.refresh_from_db()
    assert run.status == PaymentRunStatus.DRAFT


def test_holdback_is_released_at_close_out_as_its_own_line(tenant, budget, approver):
    _earn(tenant, budget, "400.00")
    _earn(tenant, budget, "250.00")
    first = _build(tenant)
    assert first.holdback == Decimal("65.00")
    MilestoneFactory(
        study=tenant.study,
        study_site=tenant.study_site,
        kind="cov",
        actual_date=dt.date(2026, 2, 20),
    )
    _earn(tenant, budget, "100.00", event_date=dt.date(2026, 2, 15))
    second = _build(tenant, period_start=dt.date(2026, 2, 1), period_end=dt.date(2026, 2, 28))
    release = second.lines.get(earning__kind=EarningKind.HOLDBACK_RELEASE)
    # Everything withheld so far (65.00 earlier, 10.00 on this run's own line) comes back.
    assert release.gross == release.net == Decimal("75.00")
    assert release.holdback == Decimal("0.00")
    assert second.holdback == Decimal("10.00")
    assert second.net == Decimal("165.00")
    assert Earning.objects.filter(kind=EarningKind.HOLDBACK_RELEASE).count() == 1


def test_a_reversal_after_payment_is_deducted_in_the_next_run(tenant, budget):
    earning = _earn(
        tenant, budget, "400.00", kind=EarningKind.VISIT, subject_visit=tenant.subject_visit
    )
    _build(tenant)
    services._reverse(earning, reason="visit corrected")
    Earning.objects.filter(kind=EarningKind.REVERSAL).update(event_date=dt.date(2026, 2, 2))
    run = _build(tenant, period_start=dt.date(2026, 2, 1), period_end=dt.date(2026, 2, 28))
    assert (run.gross, run.holdback, run.net) == (
        Decimal("-400.00"),
        Decimal("-40.00"),
        Decimal("-360.00"),
    )


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_payments_of_the_same_run_produce_exactly_one(
    tenant, budget, approver, settings
):
    _earn(tenant, budget, "400.00")
    run = _build(tenant)
    services.payment_run_approve(actor=approver, run=run, password=PASSWORD)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pay(reference):
        try:
            barrier.wait()
            services.payment_run_mark_paid(
                actor=tenant.finance,
                run=run,
                payment_reference=reference,
                payment_date=dt.date(2026, 2, 1),
            )
            outcomes.append("paid")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(f"REF-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["paid", "refused"]
    run.refresh_from_db()
    assert run.status == PaymentRunStatus.PAID
    assert Notification.objects.filter(kind="payments.remittance").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_builds_never_put_a_line_in_two_runs(tenant, budget):
    _earn(tenant, budget, "400.00")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def build():
        try:
            barrier.wait()
            _build(tenant)
            outcomes.append("built")
        except ApplicationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["built", "refused"]
    assert PaymentRunLine.objects.count() == 1
