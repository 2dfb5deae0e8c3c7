"""Activation and close-out checklist items of site payments (registered in
PaymentsConfig.ready()). Each provider runs one SQL query, whatever the data size."""

from django.db.models import Exists, OuterRef, Q, Subquery, Sum
from django.urls import reverse
from django.utils import timezone

from core.checklists import ChecklistItem
from payments.models import (
    BudgetVersion,
    Earning,
    EarningKind,
    InvoiceLine,
    InvoiceStatus,
    PaymentRun,
    PaymentRunLine,
    PaymentRunStatus,
)
from payments.selectors import MONEY
from trials.models import StudySite


def _url(study_site) -> str:
    return reverse("payments_study_site", kwargs={"study_site_id": study_site.pk})


def activation_items(study_site) -> list[ChecklistItem]:
    in_force = BudgetVersion.objects.filter(
        budget__study_site=study_site, effective_date__lte=timezone.localdate()
    ).exists()
    return [
        ChecklistItem(
            "payments.budget",
            "Budget in place",
            in_force,
            detail="" if in_force else "No budget version in force yet (CRO finance enters it).",
            url=reverse("payments_budget", kwargs={"study_site_id": study_site.pk}),
        )
    ]


def close_out_items(study_site) -> list[ChecklistItem]:
    """Done when nothing approved is left unpaid: every earning (the holdback release
    included) and every approved invoice line sits in a paid run, no draft or approved run
    waits, and any holdback withheld has been released."""
    site = OuterRef("pk")
    unpaid_earnings = Earning.objects.filter(study_site=site).exclude(
        run_line__run__status=PaymentRunStatus.PAID
    )
    unpaid_lines = InvoiceLine.objects.filter(
        invoice__study_site=site, invoice__status=InvoiceStatus.APPROVED, withdrawn=False
    ).exclude(run_line__run__status=PaymentRunStatus.PAID)
    open_runs = PaymentRun.objects.filter(
        study_site=site, status__in=[PaymentRunStatus.DRAFT, PaymentRunStatus.APPROVED]
    )
    held = (
        PaymentRunLine.objects.filter(run__study_site=site)
        .order_by()
        .values("run__study_site")
        .annotate(total=Sum("holdback"))
        .values("total")
    )
    released = Earning.objects.filter(
        Q(study_site=site, kind=EarningKind.HOLDBACK_RELEASE)
        & Q(run_line__run__status=PaymentRunStatus.PAID)
    )
    row = (
        StudySite.objects.filter(pk=study_site.pk)
        .annotate(
            unpaid_earnings=Exists(unpaid_earnings),
            unpaid_lines=Exists(unpaid_lines),
            open_runs=Exists(open_runs),
            held=Subquery(held, output_field=MONEY),
            released=Exists(released),
        )
        .values("unpaid_earnings", "unpaid_lines", "open_runs", "held", "released")
        .get()
    )
    problems = []
    if row["unpaid_earnings"]:
        problems.append("earnings not paid yet")
    if row["unpaid_lines"]:
        problems.append("approved invoice lines not paid yet")
    if row["open_runs"]:
        problems.append("a payment run is waiting for approval or payment")
    if (row["held"] or 0) > 0 and not row["released"]:
        problems.append("holdback not released and paid")
    return [
        ChecklistItem(
            "payments.final_run",
            "Final payment run paid",
            not problems,
            detail="; ".join(problems).capitalize(),
            url=_url(study_site),
        )
    ]
