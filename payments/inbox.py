"""Work inbox rows of the payments app (registered in PaymentsConfig.ready()).

Site side: invoices the CRO returned for changes or rejected, and money overdue to the site
(earnings and approved invoice lines past their payment terms, the same ageing as the aging
report: one row per study-site and currency). CRO finance: the finance queue — invoices to
review (the second approval above the threshold for approvers), payment runs to approve or to
pay, and open disputes. Built on payments.selectors (trials.access); constant queries, capped.
"""

from datetime import timedelta

from django.db.models import Count, Min, Q, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.selectors import organization_roles
from core.counts import counted
from core.inbox import CAP, DUE_SOON, OVERDUE, WAITING, InboxItem, urgency_for
from payments import aging, selectors
from payments.models import DisputeStatus, InvoiceStatus, PaymentRunStatus
from payments.money import format_money
from payments.services import REVIEW_WAIT_DAYS

KINDS_SITE = {
    "invoice_returned": "Invoices returned or rejected",
    "payment_overdue": "Payments overdue",
}
KINDS_FINANCE = {
    "invoice_review": "Invoices to approve",
    "payment_run": "Payment runs to approve or pay",
    "dispute_answer": "Disputes to answer",
}
# A rejected invoice is final; it stays in the site's inbox for this long after submission.
REJECTED_SHOWN_DAYS = 30


def _where(study_site) -> dict:
    study = study_site.study
    return {
        "cro_name": study.cro.name,
        "cro_id": study.cro_id,
        "study_label": study.protocol_number,
        "study_id": study.pk,
    }


def _site_label(study_site) -> str:
    return f"{study_site.site.name} (site {study_site.site_number})"


# --- site side ---------------------------------------------------------------------------------


def _returned_invoices(actor) -> list[InboxItem]:
    since = timezone.now() - timedelta(days=REJECTED_SHOWN_DAYS)
    invoices = (
        selectors.invoice_list(actor=actor)
        .filter(
            Q(status=InvoiceStatus.CHANGES_REQUESTED)
            | Q(status=InvoiceStatus.REJECTED, submitted_at__gte=since)
        )
        .order_by("-submitted_at", "-pk")[:CAP]
    )
    items = []
    for invoice in invoices:
        returned = invoice.status == InvoiceStatus.CHANGES_REQUESTED
        amount = format_money(invoice.total, invoice.currency)
        items.append(
            InboxItem(
                key=f"payments.invoice_returned:{invoice.pk}",
                kind="invoice_returned",
                title=(
                    f"Revise and resubmit invoice {invoice.number} ({amount}): changes requested"
                    if returned
                    else f"Invoice {invoice.number} ({amount}) was rejected"
                ),
                url=invoice.get_absolute_url(),
                urgency=DUE_SOON if returned else WAITING,
                detail=f"Site {invoice.study_site.site_number} · {invoice.review_comment}",
                since=invoice.submitted_at,
                **_where(invoice.study_site),
            )
        )
    return items


def _count_overdue(study_sites, today) -> dict[tuple[int, str], dict]:
    totals: dict[tuple[int, str], dict] = {}
    for queryset in (
        aging.unpaid_earnings(study_sites, today),
        aging.unpaid_invoice_lines(study_sites, today),
    ):
        grouped = (
            queryset.filter(due_date__lt=today)
            .order_by()
            .values("site_ref", "currency")
            .annotate(total=Sum("amount"), items=Count("pk"), oldest=Min("due_date"))
        )
        for row in grouped:
            entry = totals.setdefault(
                (row["site_ref"], row["currency"]), {"total": 0, "items": 0, "oldest": None}
            )
            entry["total"] += row["total"]
            entry["items"] += row["items"]
            if entry["oldest"] is None or row["oldest"] < entry["oldest"]:
                entry["oldest"] = row["oldest"]
    return totals


def _overdue_payments(actor) -> list[InboxItem]:
    """One row per study-site and currency with unpaid money past its payment terms (three
    queries: earnings, invoice lines, the study-sites; the first two cached for a minute)."""
    today = timezone.localdate()
    study_sites = selectors.aging_study_sites(actor=actor).order_by()
    # Every unpaid item of the site's study-sites (40 ms for a site in 50 studies at full bench
    # scale): counted at most once a minute per person, as on the finance dashboard.
    totals, _ = counted(
        "payments.inbox-overdue", actor, lambda: _count_overdue(study_sites, today), today
    )
    if not totals:
        return []
    by_pk = {s.pk: s for s in study_sites.filter(pk__in={site_ref for site_ref, _ in totals})[:CAP]}
    items = []
    for (site_ref, currency), entry in sorted(totals.items()):
        study_site = by_pk.get(site_ref)
        if study_site is None or entry["total"] <= 0:
            continue
        count = entry["items"]
        items.append(
            InboxItem(
                key=f"payments.payment_overdue:{site_ref}:{currency}",
                kind="payment_overdue",
                title=f"{format_money(entry['total'], currency)} overdue to site "
                f"{study_site.site_number}: {count} item{'s' if count != 1 else ''} past the "
                "payment terms",
                url=reverse("payments_study_site", kwargs={"study_site_id": site_ref}),
                due=entry["oldest"],
                urgency=OVERDUE,
                detail=f"Oldest due {entry['oldest']:%d %b %Y} · follow up with the CRO's finance",
                **_where(study_site),
            )
        )
    return items


def site_items(actor) -> list[InboxItem]:
    return [*_returned_invoices(actor), *_overdue_payments(actor)]


# --- CRO finance -------------------------------------------------------------------------------


def _orgs_with(actor, roles: set[str]) -> list[int]:
    return [org for org, held in organization_roles(actor).items() if held & roles]


def _invoices_to_review(actor, finance_orgs, approver_orgs) -> list[InboxItem]:
    today = timezone.localdate()
    invoices = (
        selectors.invoice_list(actor=actor, filters={"to_review": True})
        .filter(
            Q(status=InvoiceStatus.SUBMITTED, study_site__study__cro_id__in=finance_orgs)
            | (
                Q(
                    status=InvoiceStatus.AWAITING_SECOND_APPROVAL,
                    study_site__study__cro_id__in=approver_orgs,
                )
                & ~Q(first_approved_by=actor)
            )
        )
        .order_by("submitted_at", "pk")[:CAP]
    )
    items = []
    for invoice in invoices:
        second = invoice.status == InvoiceStatus.AWAITING_SECOND_APPROVAL
        amount = format_money(invoice.total, invoice.currency)
        due = (
            timezone.localtime(invoice.submitted_at).date() + timedelta(days=REVIEW_WAIT_DAYS)
            if invoice.submitted_at
            else None
        )
        items.append(
            InboxItem(
                key=f"payments.invoice_review:{invoice.pk}",
                kind="invoice_review",
                title=(
                    f"Second approval of invoice {invoice.number} ({amount}): above the threshold"
                    if second
                    else f"Review invoice {invoice.number} ({amount})"
                ),
                url=invoice.get_absolute_url(),
                due=due,
                urgency=urgency_for(due, today, soon_days=2),
                detail=f"{_site_label(invoice.study_site)} · submitted by {invoice.submitted_by}",
                since=invoice.submitted_at,
                **_where(invoice.study_site),
            )
        )
    return items


def _runs(actor, approver_orgs, payer_orgs) -> list[InboxItem]:
    runs = (
        selectors.payment_run_list(actor=actor)
        .filter(
            (
                Q(status=PaymentRunStatus.DRAFT, study_site__study__cro_id__in=approver_orgs)
                & ~Q(prepared_by=actor)
            )
            | Q(status=PaymentRunStatus.APPROVED, study_site__study__cro_id__in=payer_orgs)
        )
        .order_by("created_at", "pk")[:CAP]
    )
    items = []
    for run in runs:
        to_pay = run.status == PaymentRunStatus.APPROVED
        amount = format_money(run.net, run.currency)
        items.append(
            InboxItem(
                key=f"payments.payment_run:{run.pk}",
                kind="payment_run",
                title=(
                    f"Pay payment run #{run.pk} ({amount} net) and record the reference"
                    if to_pay
                    else f"Approve payment run #{run.pk} ({amount} net)"
                ),
                url=run.get_absolute_url(),
                urgency=DUE_SOON if to_pay else WAITING,
                detail=f"{_site_label(run.study_site)} · {run.period_start:%d %b} – "
                f"{run.period_end:%d %b %Y} · prepared by {run.prepared_by}",
                since=run.approved_at if to_pay else run.created_at,
                **_where(run.study_site),
            )
        )
    return items


def _disputes(actor, finance_orgs) -> list[InboxItem]:
    now = timezone.now()
    disputes = (
        selectors.dispute_list(actor=actor, filters={"status": DisputeStatus.OPEN})
        .filter(study_site__study__cro_id__in=finance_orgs)
        .select_related("study_site__study__cro")
        .order_by("raised_at", "pk")[:CAP]
    )
    return [
        InboxItem(
            key=f"payments.dispute:{dispute.pk}",
            kind="dispute_answer",
            title=f"Answer the dispute of {dispute.target_description} "
            f"({format_money(dispute.target_amount, dispute.currency)})",
            url=dispute.get_absolute_url(),
            urgency=(
                DUE_SOON if now - dispute.raised_at > timedelta(days=REVIEW_WAIT_DAYS) else WAITING
            ),
            detail=f"{_site_label(dispute.study_site)} · {dispute.comment}",
            since=dispute.raised_at,
            **_where(dispute.study_site),
        )
        for dispute in disputes
    ]


def finance_items(actor) -> list[InboxItem]:
    finance_orgs = _orgs_with(actor, {Role.FINANCE, Role.FINANCE_APPROVER})
    if not finance_orgs:
        return []
    approver_orgs = _orgs_with(actor, {Role.FINANCE_APPROVER})
    payer_orgs = _orgs_with(actor, {Role.FINANCE})
    return [
        *_invoices_to_review(actor, finance_orgs, approver_orgs),
        *_runs(actor, approver_orgs, payer_orgs),
        *_disputes(actor, finance_orgs),
    ]
