"""Invented demo data for site payments; called from dashboards.demo inside its transaction and
audit context. Idempotent: a budget is created only where a study-site has none, invoices and
runs only where it has none, and earnings accrue through the same at-most-once services the
live events use."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Min

from accounts.models import Role, User
from payments import services
from payments.models import (
    Budget,
    Earning,
    PaymentDispute,
    PaymentRun,
    PaymentRunLine,
    PaymentRunStatus,
    SiteInvoice,
)
from trials.models import (
    Milestone,
    StudySite,
    StudySiteStatus,
    Subject,
    SubjectStatus,
    SubjectVisit,
    SubjectVisitStatus,
)

DEMO_PASSWORD = "trialbridge-demo"  # noqa: S105 - the published password of invented demo users
VISIT_FEES = (Decimal("450.00"), Decimal("650.00"), Decimal("380.00"), Decimal("380.00"))
ITEM_CAPS = {
    "pharmacy": "350.00",
    "procedure": "900.00",
    "sae_reporting": "250.00",
    "travel": "120.00",
    "irb_fee": "2500.00",
}


def _person(organization_id: int, role: str) -> User | None:
    return (
        User.objects.filter(
            memberships__organization_id=organization_id,
            memberships__role=role,
            memberships__is_active=True,
        )
        .order_by("email")
        .first()
    )


def _budget(study_site: StudySite, finance: User, today: date) -> None:
    first_screening = Subject.objects.filter(study_site=study_site).aggregate(
        d=Min("screening_date")
    )["d"]
    effective = min(first_screening or today, today - timedelta(days=400))
    definitions = list(study_site.study.visit_definitions.order_by("order", "day_offset"))
    services.budget_version_create(
        actor=finance,
        study_site=study_site,
        effective_date=effective,
        reason="Signed clinical trial agreement (invented demo)",
        holdback_percent=Decimal("10.00"),
        payment_terms_days=45,
        screen_failure_fee="200.00",
        screen_failure_cap=5,
        second_approval_threshold="2500.00",
        visit_fees={d.pk: str(VISIT_FEES[i % len(VISIT_FEES)]) for i, d in enumerate(definitions)},
        milestone_fees={"siv": "3000.00", "cov": "1500.00"},
        item_caps=ITEM_CAPS,
    )


def _accrue(study_site: StudySite) -> None:
    for visit_id in SubjectVisit.objects.filter(
        subject__study_site=study_site, status=SubjectVisitStatus.COMPLETED
    ).values_list("pk", flat=True):
        services.earning_accrue_visit(subject_visit_id=visit_id)
    for subject_id in Subject.objects.filter(
        study_site=study_site, status=SubjectStatus.SCREEN_FAILED
    ).values_list("pk", flat=True):
        services.earning_accrue_screen_failure(subject_id=subject_id)
    for milestone_id in Milestone.objects.filter(
        study_site=study_site, actual_date__isnull=False
    ).values_list("pk", flat=True):
        services.earning_accrue_milestone(milestone_id=milestone_id)


def _invoice(study_site, coordinator, lines, today):
    invoice = services.invoice_create(actor=coordinator, study_site=study_site)
    for category, days_ago, quantity, unit, text in lines:
        services.invoice_line_add(
            actor=coordinator,
            invoice=invoice,
            item_category=category,
            service_date=today - timedelta(days=days_ago),
            quantity=quantity,
            unit_amount=unit,
            description=text,
        )
    return services.invoice_submit(actor=coordinator, invoice=invoice)


def _inbox_invoices(study_site, coordinator, finance, today) -> None:
    """Work for both inboxes: at Lakeside an invoice finance sent back for changes; at the other
    sites one above the second-approval threshold that finance approved once (the approver
    gives the second approval)."""
    if "Lakeside" in study_site.site.name:
        returned = _invoice(
            study_site,
            coordinator,
            [("travel", 12, 2, "60.00", "Subject travel reimbursement, week 8")],
            today,
        )
        services.invoice_request_changes(
            actor=finance,
            invoice=returned,
            comment="Please attach the taxi receipts for both trips and resubmit.",
        )
    else:
        large = _invoice(
            study_site,
            coordinator,
            [("procedure", 9, 3, "900.00", "Extra MRI scans requested by the sponsor")],
            today,
        )
        services.invoice_approve(actor=finance, invoice=large, password=DEMO_PASSWORD)


def _counts(ids: list[int]) -> dict[str, int]:
    return {
        "budgets": Budget.objects.filter(study_site_id__in=ids).count(),
        "earnings": Earning.objects.filter(study_site_id__in=ids).count(),
        "site invoices": SiteInvoice.objects.filter(study_site_id__in=ids).count(),
        "payment runs": PaymentRun.objects.filter(study_site_id__in=ids).count(),
        "payment disputes": PaymentDispute.objects.filter(study_site_id__in=ids).count(),
    }


def _dispute(study_site: StudySite, coordinator, finance) -> None:
    """At a site with a paid run: one dispute answered with an adjustment, one still open."""
    if PaymentDispute.objects.filter(study_site=study_site).exists():
        return
    lines = list(
        PaymentRunLine.objects.filter(
            run__study_site=study_site,
            run__status=PaymentRunStatus.PAID,
            earning__isnull=False,
        ).order_by("event_date", "pk")[:2]
    )
    if len(lines) < 2:
        return
    answered = services.dispute_open(
        actor=coordinator,
        run_line=lines[0],
        comment="The amended budget pays 25.00 more for this visit.",
    )
    services.dispute_accept(
        actor=finance,
        dispute=answered,
        amount="25.00",
        answer="Agreed: amendment 1 applies from this visit on; adjustment in the next run.",
    )
    services.dispute_open(
        actor=coordinator,
        run_line=lines[1],
        comment="Holdback on this line looks higher than 10 %; please check.",
    )


def seed(*, today: date) -> dict[str, int]:
    """Returns how many rows of each kind this run created (zero on a second run)."""
    study_sites = list(
        StudySite.objects.filter(
            study__protocol_number__in=["MER-CARD-301", "APX-DERM-210"],
            status__in=[StudySiteStatus.ENROLLING, StudySiteStatus.ACTIVATED],
        )
        .select_related("study", "site")
        .order_by("study__protocol_number", "site_number")
    )
    ids = [ss.pk for ss in study_sites]
    before = _counts(ids)
    for study_site in study_sites:
        finance = _person(study_site.study.cro_id, Role.FINANCE)
        approver = _person(study_site.study.cro_id, Role.FINANCE_APPROVER)
        coordinator = _person(study_site.site_id, Role.COORDINATOR)
        if finance is None or coordinator is None:
            continue
        if not Budget.objects.filter(study_site=study_site).exists():
            _budget(study_site, finance, today)
        _accrue(study_site)
        if not SiteInvoice.objects.filter(study_site=study_site).exists():
            paid_invoice = _invoice(
                study_site,
                coordinator,
                [
                    ("pharmacy", 70, 2, "180.00", "IP storage and dispensing, months 1–2"),
                    ("travel", 65, 3, "45.50", "Subject travel reimbursement"),
                ],
                today,
            )
            services.invoice_approve(actor=finance, invoice=paid_invoice, password=DEMO_PASSWORD)
            _invoice(
                study_site,
                coordinator,
                [("sae_reporting", 6, 1, "250.00", "Follow-up SAE report preparation")],
                today,
            )
            if approver is not None:
                _inbox_invoices(study_site, coordinator, finance, today)
        if not PaymentRun.objects.filter(study_site=study_site).exists():
            period_end = today - timedelta(days=40)
            if Earning.objects.filter(study_site=study_site, event_date__lte=period_end).exists():
                run = services.payment_run_build(
                    actor=finance,
                    study_site=study_site,
                    period_start=period_end - timedelta(days=90),
                    period_end=period_end,
                )
                # Lakeside's Meridian run is paid (a remittance to look at); the others wait
                # for a finance approver.
                if approver is not None and "Lakeside" in study_site.site.name:
                    services.payment_run_approve(actor=approver, run=run, password=DEMO_PASSWORD)
                    services.payment_run_mark_paid(
                        actor=finance,
                        run=run,
                        payment_reference=f"DEMO-WIRE-{run.pk:05d}",
                        payment_date=today - timedelta(days=30),
                    )
                    # The next run is approved and waits for finance to pay it.
                    if Earning.objects.filter(
                        study_site=study_site, run_line__isnull=True, event_date__lte=today
                    ).exists():
                        following = services.payment_run_build(
                            actor=finance,
                            study_site=study_site,
                            period_start=period_end + timedelta(days=1),
                            period_end=today,
                        )
                        services.payment_run_approve(
                            actor=approver, run=following, password=DEMO_PASSWORD
                        )
        _dispute(study_site, coordinator, finance)
    after = _counts(ids)
    return {label: after[label] - before[label] for label in after}
