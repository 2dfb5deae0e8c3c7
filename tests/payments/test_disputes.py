"""Disputes: the site disputes an earning or a paid line; finance accepts with a linked
adjustment line (never editing the original) or rejects with a reason."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.models import Notification
from payments import services
from payments.models import DisputeStatus, Earning, EarningKind, PaymentDispute
from tests.factories import PASSWORD
from tests.factories.payments import EarningFactory

pytestmark = pytest.mark.django_db
PERIOD = {"period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 1, 31)}


@pytest.fixture
def earning(tenant, budget):
    return EarningFactory(
        study_site=tenant.study_site,
        budget_version=budget,
        amount=Decimal("400.00"),
        description="S-001 · V2 Week 2",
    )


def _paid_run(tenant, approver, period_end=PERIOD["period_end"]):
    run = services.payment_run_build(
        actor=tenant.finance,
        study_site=tenant.study_site,
        period_start=PERIOD["period_start"],
        period_end=period_end,
    )
    services.payment_run_approve(actor=approver, run=run, password=PASSWORD)
    return services.payment_run_mark_paid(
        actor=tenant.finance, run=run, payment_reference="BANK-7", payment_date=dt.date(2026, 2, 1)
    )


def test_only_site_coordinators_and_admins_dispute(tenant, earning):
    for outsider in (tenant.finance, tenant.cra, tenant.pm, tenant.investigator):
        with pytest.raises(PermissionDenied):
            services.dispute_open(actor=outsider, earning=earning, comment="wrong")
    with pytest.raises(ApplicationError) as blank:
        services.dispute_open(actor=tenant.coordinator, earning=earning, comment="  ")
    assert "comment" in blank.value.fields
    dispute = services.dispute_open(
        actor=tenant.site_admin, earning=earning, comment="Visit fee is 450"
    )
    assert dispute.status == DisputeStatus.OPEN and dispute.study_site == tenant.study_site
    with pytest.raises(TransitionNotAllowed):
        services.dispute_open(actor=tenant.coordinator, earning=earning, comment="again")
    assert PaymentDispute.objects.count() == 1


def test_accepting_adds_a_linked_adjustment_paid_in_the_next_run(tenant, earning, approver):
    dispute = services.dispute_open(
        actor=tenant.coordinator, earning=earning, comment="Visit fee is 450"
    )
    for not_finance in (tenant.coordinator, tenant.cra, tenant.pm):
        with pytest.raises(PermissionDenied):
            services.dispute_accept(actor=not_finance, dispute=dispute, amount="50", answer="ok")
    with pytest.raises(ApplicationError) as bad:
        services.dispute_accept(actor=tenant.finance, dispute=dispute, amount="0", answer="")
    assert set(bad.value.fields) == {"amount", "answer"}
    with pytest.raises(ApplicationError) as bad:
        services.dispute_accept(actor=tenant.finance, dispute=dispute, amount="5.001", answer="x")
    assert "amount" in bad.value.fields
    dispute = services.dispute_accept(
        actor=tenant.finance, dispute=dispute, amount="50.00", answer="Amendment fee applies"
    )
    assert dispute.status == DisputeStatus.ACCEPTED
    adjustment = dispute.adjustment
    assert (adjustment.kind, adjustment.amount) == (EarningKind.ADJUSTMENT, Decimal("50.00"))
    assert adjustment.adjusting_dispute == dispute
    earning.refresh_from_db()
    assert earning.amount == Decimal("400.00")  # the original is never edited
    with pytest.raises(TransitionNotAllowed):
        services.dispute_reject(actor=tenant.finance, dispute=dispute, reason="changed my mind")
    run = _paid_run(tenant, approver, period_end=dt.date.today())  # adjustment dated today
    # 400 + 50 = 450 gross, 10 % holdback per line: 40 + 5.
    assert (run.gross, run.holdback, run.net) == (
        Decimal("450.00"),
        Decimal("45.00"),
        Decimal("405.00"),
    )


def test_a_paid_line_can_be_disputed_and_corrected_downwards(tenant, earning, approver):
    run = _paid_run(tenant, approver)
    line = run.lines.get()
    unpaid_run_earning = EarningFactory(study_site=tenant.study_site, amount=Decimal("10.00"))
    dispute = services.dispute_open(
        actor=tenant.coordinator, run_line=line, comment="Paid twice elsewhere?"
    )
    dispute = services.dispute_accept(
        actor=tenant.finance, dispute=dispute, amount="-400.00", answer="Duplicate; taken back"
    )
    assert dispute.adjustment.amount == Decimal("-400.00")
    assert dispute.adjustment.budget_version_id == earning.budget_version_id
    next_run = services.payment_run_build(
        actor=tenant.finance,
        study_site=tenant.study_site,
        period_start=dt.date(2026, 2, 1),
        period_end=dt.date.today(),
    )
    assert next_run.lines.filter(earning=dispute.adjustment).get().net == Decimal("-360.00")
    assert next_run.lines.filter(earning=unpaid_run_earning).exists()


def test_only_a_paid_runs_line_is_disputed(tenant, earning):
    run = services.payment_run_build(actor=tenant.finance, study_site=tenant.study_site, **PERIOD)
    with pytest.raises(TransitionNotAllowed):
        services.dispute_open(actor=tenant.coordinator, run_line=run.lines.get(), comment="x")


def test_rejection_needs_a_reason_and_notices_are_sent_once(tenant, earning, approver):
    dispute = services.dispute_open(actor=tenant.coordinator, earning=earning, comment="Too low")
    opened = Notification.objects.filter(kind="payments.dispute_opened")
    assert {n.recipient for n in opened} == {tenant.finance, approver}
    with pytest.raises(ApplicationError):
        services.dispute_reject(actor=tenant.finance, dispute=dispute, reason=" ")
    services.dispute_reject(actor=tenant.finance, dispute=dispute, reason="Budget says 400")
    dispute.refresh_from_db()
    assert (dispute.status, dispute.answer, dispute.answered_by) == (
        DisputeStatus.REJECTED,
        "Budget says 400",
        tenant.finance,
    )
    answered = Notification.objects.filter(kind="payments.dispute_rejected")
    assert {n.recipient for n in answered} == {tenant.coordinator, tenant.site_admin}
    services._dispute_answered(dispute, "again")  # a retry sends nothing new
    assert Notification.objects.filter(kind="payments.dispute_rejected").count() == 2
    assert not Earning.objects.filter(kind=EarningKind.ADJUSTMENT).exists()
    # Audit trail: the dispute's history keeps the answer and its reason.
    events = dispute.events.order_by("pgh_id")
    assert [e.status for e in events] == ["open", "rejected"]


def test_pages_dispute_from_the_site_page_and_answer_from_the_queue(
    client, tenant, earning, django_assert_max_num_queries
):
    client.force_login(tenant.coordinator)
    page = client.get(
        reverse("payments_study_site", kwargs={"study_site_id": tenant.study_site.pk})
    )
    assert "Send dispute" in page.content.decode()
    url = reverse("payments_earning_dispute", kwargs={"earning_id": earning.pk})
    empty = client.post(url, {"dispute-comment": ""})
    assert empty.status_code == 400 and "This field is required" in empty.content.decode()
    response = client.post(url, {"dispute-comment": "Fee should be 450"}, follow=True)
    dispute = PaymentDispute.objects.get()
    assert "Fee should be 450" in response.content.decode()
    client.force_login(tenant.finance)
    with django_assert_max_num_queries(12):
        listing = client.get(reverse("payments_dispute_list") + "?status=open")
    assert "S-001 · V2 Week 2" in listing.content.decode()
    assert "Open disputes" in client.get(reverse("dashboard")).content.decode()
    accept = reverse("payments_dispute_accept", kwargs={"payment_dispute_id": dispute.pk})
    bad = client.post(accept, {"accept-amount": "abc", "accept-answer": "x"})
    assert bad.status_code == 400 and 'value="abc"' in bad.content.decode()
    done = client.post(accept, {"accept-amount": "50", "accept-answer": "Agreed"}, follow=True)
    assert "USD 50.00" in done.content.decode()
    client.force_login(tenant.investigator)  # sees the site, may not answer
    response = client.post(accept, {"accept-amount": "50", "accept-answer": "x"})
    assert response.status_code == 403


def test_api_dispute_and_answer_with_tenancy(tenant, other_tenant, earning):
    site = APIClient()
    site.force_authenticate(tenant.coordinator)
    created = site.post(
        "/api/v1/payment-disputes/",
        {"earning": earning.pk, "comment": "Fee should be 450"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    dispute_id = created.json()["id"]
    assert created.json()["line_amount"] == "400.00"
    outsider = APIClient()
    outsider.force_authenticate(other_tenant.coordinator)
    assert (
        outsider.post(
            "/api/v1/payment-disputes/", {"earning": earning.pk, "comment": "x"}, format="json"
        ).status_code
        == 404
    )
    other_finance = APIClient()
    other_finance.force_authenticate(other_tenant.finance)
    assert (
        other_finance.post(
            f"/api/v1/payment-disputes/{dispute_id}/accept/",
            {"amount": "50", "answer": "x"},
            format="json",
        ).status_code
        == 404
    )
    assert other_finance.get("/api/v1/payment-disputes/").json()["count"] == 0
    finance = APIClient()
    finance.force_authenticate(tenant.finance)
    accepted = finance.post(
        f"/api/v1/payment-disputes/{dispute_id}/accept/",
        {"amount": "-12.35", "answer": "Partial"},
        format="json",
    )
    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["adjustment_amount"]) == (
        "accepted",
        "-12.35",
    )
    again = finance.post(
        f"/api/v1/payment-disputes/{dispute_id}/reject/", {"reason": "x"}, format="json"
    )
    assert again.status_code == 409


@pytest.mark.parametrize("n", [1, 12])
def test_dispute_api_list_has_a_constant_query_count(
    tenant, budget, django_assert_max_num_queries, n
):
    for _ in range(n):
        earning = EarningFactory(study_site=tenant.study_site, budget_version=budget)
        services.dispute_open(actor=tenant.coordinator, earning=earning, comment="why")
    client = APIClient()
    client.force_authenticate(tenant.finance)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/payment-disputes/")
    assert response.json()["count"] == n
