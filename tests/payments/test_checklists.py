"""Activation ("Budget in place") and close-out ("Final payment run paid") checklist items."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from core import checklists
from payments import services
from payments.checklists import close_out_items
from payments.models import EarningKind
from tests.factories import PASSWORD, MilestoneFactory
from tests.factories.payments import EarningFactory, budget_for

pytestmark = pytest.mark.django_db
PERIOD = {"period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 3, 31)}


def _item(checklist, study_site, key):
    return next(i for i in checklists.items(checklist, study_site) if i.key == key)


def test_budget_in_place_needs_a_version_in_force(tenant):
    item = _item(checklists.ACTIVATION, tenant.study_site, "payments.budget")
    assert (item.label, item.done) == ("Budget in place", False)
    budget_for(tenant.study_site, created_by=tenant.finance, effective_date=dt.date(2026, 6, 1))
    with time_machine.travel(dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)):
        assert not _item(checklists.ACTIVATION, tenant.study_site, "payments.budget").done
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)):
        assert _item(checklists.ACTIVATION, tenant.study_site, "payments.budget").done


def _pay(tenant, approver, run):
    services.payment_run_approve(actor=approver, run=run, password=PASSWORD)
    return services.payment_run_mark_paid(
        actor=tenant.finance, run=run, payment_reference="REF", payment_date=dt.date(2026, 4, 1)
    )


@time_machine.travel(dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC))
def test_final_run_paid_needs_everything_paid_and_the_holdback_released(
    tenant, budget, approver, django_assert_max_num_queries
):
    def item():
        with django_assert_max_num_queries(1):  # the provider alone: one query
            (found,) = close_out_items(tenant.study_site)
        assert found in checklists.items(checklists.CLOSE_OUT, tenant.study_site)
        return found

    assert item().done  # nothing earned, nothing owed
    EarningFactory(study_site=tenant.study_site, budget_version=budget, amount=Decimal("400.00"))
    assert not item().done and "earnings not paid" in item().detail.lower()
    run = services.payment_run_build(actor=tenant.finance, study_site=tenant.study_site, **PERIOD)
    assert "waiting for approval" in item().detail
    _pay(tenant, approver, run)
    # 40.00 holdback still withheld: close-out needs it released and paid.
    assert item().detail == "Holdback not released and paid"
    MilestoneFactory(study_site=tenant.study_site, kind="cov", actual_date=dt.date(2026, 3, 1))
    final = services.payment_run_build(actor=tenant.finance, study_site=tenant.study_site, **PERIOD)
    release = final.lines.get(earning__kind=EarningKind.HOLDBACK_RELEASE)
    assert release.gross == Decimal("40.00")
    assert not item().done
    _pay(tenant, approver, final)
    assert item().done and item().label == "Final payment run paid"


def test_an_approved_invoice_line_not_paid_keeps_close_out_open(tenant, budget):
    invoice = services.invoice_create(actor=tenant.coordinator, study_site=tenant.study_site)
    services.invoice_line_add(
        actor=tenant.coordinator,
        invoice=invoice,
        item_category="travel",
        service_date=dt.date(2026, 1, 20),
        quantity=2,
        unit_amount="30.00",
    )
    services.invoice_submit(actor=tenant.coordinator, invoice=invoice)
    item = _item(checklists.CLOSE_OUT, tenant.study_site, "payments.final_run")
    assert item.done  # submitted, not approved: nothing approved is owed yet
    services.invoice_approve(actor=tenant.finance, invoice=invoice, password=PASSWORD)
    item = _item(checklists.CLOSE_OUT, tenant.study_site, "payments.final_run")
    assert not item.done and "approved invoice lines" in item.detail.lower()
