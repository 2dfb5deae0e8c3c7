"""Every write of site payments. Each service checks the actor's role for the study-site and
the allowed transition, inside one transaction that locks the row it changes.

Rounding rule: see payments/money.py (ROUND_HALF_UP per line; totals are sums of rounded lines;
holdback per line, net = gross − holdback).
"""

import logging
import os
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import people_by_organization
from core.audit import audit_context, require_reason
from core.db import batches
from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.models import SignatureMeaning
from core.notifications import Note, notify, notify_many
from core.signatures import signature_create
from payments.models import (
    DISPUTE_TRANSITIONS,
    INVOICE_EDITABLE,
    INVOICE_TRANSITIONS,
    PAYMENT_RUN_TRANSITIONS,
    Budget,
    BudgetVersion,
    DisputeStatus,
    Earning,
    EarningKind,
    Fee,
    FeeKind,
    InvoiceLine,
    InvoiceStatus,
    ItemCategory,
    PaymentDispute,
    PaymentRun,
    PaymentRunLine,
    PaymentRunStatus,
    SiteInvoice,
)
from payments.money import MoneyError, holdback_split, is_currency, parse_amount, round_money
from trials import access
from trials.models import (
    Milestone,
    MilestoneKind,
    StudySite,
    Subject,
    SubjectStatus,
    SubjectVisit,
    SubjectVisitStatus,
    VisitDefinition,
)

logger = logging.getLogger(__name__)

FINANCE_ROLES = frozenset({Role.FINANCE, Role.FINANCE_APPROVER})
SITE_WRITERS = frozenset({Role.COORDINATOR, Role.SITE_ADMIN})
ACTIONS: dict[str, frozenset[str]] = {
    "budget.manage": FINANCE_ROLES,
    "invoice.draft": SITE_WRITERS,
    "invoice.review": FINANCE_ROLES,
    "invoice.second_approve": frozenset({Role.FINANCE_APPROVER}),
    "payment_run.build": FINANCE_ROLES,
    "payment_run.approve": frozenset({Role.FINANCE_APPROVER}),
    "payment_run.pay": frozenset({Role.FINANCE}),
    "dispute.open": SITE_WRITERS,
    "dispute.answer": FINANCE_ROLES,
}
REVIEW_WAIT_DAYS = 5
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_TYPES: dict[str, tuple[tuple[str, ...], bytes]] = {
    # extension → (accepted content types, leading bytes the file must start with)
    ".pdf": (("application/pdf",), b"%PDF-"),
    ".png": (("image/png",), b"\x89PNG\r\n\x1a\n"),
    ".jpg": (("image/jpeg",), b"\xff\xd8\xff"),
    ".jpeg": (("image/jpeg",), b"\xff\xd8\xff"),
}


def allowed(action: str, roles: Iterable[str]) -> bool:
    return bool(ACTIONS[action] & set(roles))


def require(action: str, roles: Iterable[str]) -> None:
    if not allowed(action, roles):
        raise PermissionDenied("Your role does not allow this action.")


def _require_on(action: str, actor: User, study_site: StudySite) -> frozenset[str]:
    roles = access.study_site_roles(actor, study_site)
    require(action, roles)
    return roles


def _transition(current: str, to: str, table: dict, what: str) -> None:
    if to not in table.get(current, ()):
        raise TransitionNotAllowed(f"A {current.replace('_', ' ')} {what} cannot become {to}.")


# --- budgets -----------------------------------------------------------------------------------


def _amount(value, currency: str, field: str, errors: dict, *, allow_zero: bool = True):
    if value in (None, ""):
        return None
    try:
        amount = parse_amount(value, currency)
    except MoneyError as exc:
        errors[field] = [str(exc)]
        return None
    if amount < 0 or (not allow_zero and amount == 0):
        errors[field] = [
            "Enter an amount greater than zero."
            if not allow_zero
            else "Enter an amount of 0 or more."
        ]
        return None
    return amount


@transaction.atomic
def budget_version_create(
    *,
    actor: User,
    study_site: StudySite,
    effective_date: date,
    reason: str,
    holdback_percent,
    payment_terms_days: int,
    screen_failure_fee=0,
    screen_failure_cap: int | None = None,
    second_approval_threshold=None,
    visit_fees: dict[int, object] | None = None,
    milestone_fees: dict[str, object] | None = None,
    item_caps: dict[str, object] | None = None,
    currency: str | None = None,
) -> BudgetVersion:
    """Create the first budget or an amendment: a new version with its own fee schedule."""
    study_site = StudySite.objects.select_for_update().select_related("study").get(pk=study_site.pk)
    _require_on("budget.manage", actor, study_site)
    access.require_open(study_site)
    reason = require_reason(reason)
    budget = Budget.objects.filter(study_site=study_site).first()
    errors: dict[str, list[str]] = {}
    if budget is None:
        currency = (currency or study_site.study.currency or "").upper()
        if not is_currency(currency):
            raise ApplicationError(
                "Choose the budget currency.",
                fields={"currency": ["Enter an ISO 4217 code such as USD or EUR."]},
            )
    else:
        if currency and currency.upper() != budget.currency:
            raise ApplicationError(
                "The currency of a budget cannot change in an amendment.",
                fields={"currency": [f"This budget is in {budget.currency}."]},
            )
        currency = budget.currency
    try:
        percent = Decimal(str(holdback_percent))
        if not percent.is_finite() or not Decimal(0) <= percent <= Decimal(20):
            raise ValueError
        if percent != percent.quantize(Decimal("0.01")):
            raise ValueError
    except (ValueError, ArithmeticError):
        errors["holdback_percent"] = ["Enter a percentage from 0 to 20 (two decimals at most)."]
        percent = Decimal(0)
    if not isinstance(payment_terms_days, int) or not 0 <= payment_terms_days <= 365:
        errors["payment_terms_days"] = ["Enter a number of days from 0 to 365."]
    if screen_failure_cap is not None and screen_failure_cap < 0:
        errors["screen_failure_cap"] = ["Enter 0 or more, or leave empty for no cap."]
    sf_fee = _amount(screen_failure_fee or 0, currency, "screen_failure_fee", errors)
    threshold = _amount(second_approval_threshold, currency, "second_approval_threshold", errors)
    definitions = {d.pk: d for d in VisitDefinition.objects.filter(study_id=study_site.study_id)}
    fees: list[Fee] = []
    for definition_id, value in (visit_fees or {}).items():
        if int(definition_id) not in definitions:
            errors[f"visit_{definition_id}"] = ["This visit is not in the study's schedule."]
            continue
        amount = _amount(value, currency, f"visit_{definition_id}", errors)
        if amount is not None:
            fees.append(
                Fee(kind=FeeKind.VISIT, visit_definition_id=int(definition_id), amount=amount)
            )
    for kind, value in (milestone_fees or {}).items():
        if kind not in MilestoneKind.values:
            errors[f"milestone_{kind}"] = ["Unknown milestone."]
            continue
        amount = _amount(value, currency, f"milestone_{kind}", errors)
        if amount is not None:
            fees.append(Fee(kind=FeeKind.MILESTONE, milestone_kind=kind, amount=amount))
    for category, value in (item_caps or {}).items():
        if category not in ItemCategory.values:
            errors[f"item_{category}"] = ["Unknown invoiceable item."]
            continue
        amount = _amount(value, currency, f"item_{category}", errors, allow_zero=False)
        if amount is not None:
            fees.append(Fee(kind=FeeKind.ITEM, item_category=category, amount=amount))
    if budget is not None and effective_date is not None:
        latest = budget.versions.aggregate(latest=Max("effective_date"))["latest"]
        if latest and effective_date < latest:
            errors["effective_date"] = [
                f"An amendment takes effect on or after the current version ({latest})."
            ]
    if effective_date is None:
        errors["effective_date"] = ["Enter the date the budget takes effect."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    with audit_context(reason=reason):
        if budget is None:
            budget = Budget.objects.create(study_site=study_site, currency=currency)
        number = (budget.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = BudgetVersion.objects.create(
            budget=budget,
            number=number,
            effective_date=effective_date,
            reason=reason,
            holdback_percent=percent,
            payment_terms_days=payment_terms_days,
            screen_failure_fee=sf_fee or Decimal(0),
            screen_failure_cap=screen_failure_cap,
            second_approval_threshold=threshold,
            created_by=actor,
        )
        for fee in fees:
            fee.version = version
        Fee.objects.bulk_create(fees)
    return version


def budget_version_in_force(*, study_site_id: int, on: date) -> BudgetVersion | None:
    """The version in force on a date: the latest effective on or before it."""
    return (
        BudgetVersion.objects.select_related("budget")
        .filter(budget__study_site_id=study_site_id, effective_date__lte=on)
        .order_by("-effective_date", "-number")
        .first()
    )


# --- earnings (event handlers; idempotent, run after the event's transaction commits) ---------


def _create_earning(**fields) -> Earning | None:
    """Insert an earning unless the constraint says this event already earned."""
    try:
        with transaction.atomic():
            return Earning.objects.create(**fields)
    except IntegrityError:
        logger.debug("earning already accrued for %s", fields.get("description"))
        return None


def _version_fee(version: BudgetVersion, **lookup) -> Decimal | None:
    fee = version.fees.filter(**lookup).first()
    return fee.amount if fee else None


@transaction.atomic
def earning_accrue_visit(*, subject_visit_id: int) -> Earning | None:
    visit = (
        SubjectVisit.objects.select_related("subject", "definition")
        .filter(pk=subject_visit_id)
        .first()
    )
    if visit is None or visit.status != SubjectVisitStatus.COMPLETED or not visit.actual_date:
        return None
    study_site_id = visit.subject.study_site_id
    version = budget_version_in_force(study_site_id=study_site_id, on=visit.actual_date)
    if version is None:
        return None
    amount = _version_fee(version, kind=FeeKind.VISIT, visit_definition_id=visit.definition_id)
    if amount is None:
        return None
    with audit_context(reason="accrued: subject visit completed", event="subject_visit.completed"):
        return _create_earning(
            study_site_id=study_site_id,
            budget_version=version,
            kind=EarningKind.VISIT,
            subject_visit=visit,
            subject=visit.subject,
            event_date=visit.actual_date,
            description=f"{visit.subject.subject_identifier} · {visit.definition.code} "
            f"{visit.definition.name}",
            amount=amount,
            currency=version.budget.currency,
        )


def _reverse(earning: Earning, *, reason: str) -> Earning:
    earning = Earning.objects.select_for_update().get(pk=earning.pk)
    if earning.reversed_at is not None:
        return earning.reversal
    with audit_context(reason=reason):
        earning.reversed_at = timezone.now()
        earning.save(update_fields=["reversed_at"])
        return Earning.objects.create(
            study_site_id=earning.study_site_id,
            budget_version_id=earning.budget_version_id,
            kind=EarningKind.REVERSAL,
            subject_visit_id=earning.subject_visit_id,
            subject_id=earning.subject_id,
            milestone_id=earning.milestone_id,
            reverses=earning,
            event_date=timezone.localdate(),
            description=f"Reversal of: {earning.description}",
            amount=-earning.amount,
            currency=earning.currency,
            holdback_exempt=earning.holdback_exempt,
        )


@transaction.atomic
def earning_reverse_visit(*, subject_visit_id: int) -> Earning | None:
    """A visit corrected back from completed: a linked negative line reverses its earning."""
    visit = SubjectVisit.objects.filter(pk=subject_visit_id).first()
    if visit is None or visit.status == SubjectVisitStatus.COMPLETED:
        return None
    earning = (
        Earning.objects.select_for_update()
        .filter(subject_visit=visit, kind=EarningKind.VISIT, reversed_at__isnull=True)
        .first()
    )
    if earning is None:
        return None
    return _reverse(earning, reason="reversed: subject visit corrected back")


@transaction.atomic
def earning_accrue_screen_failure(*, subject_id: int) -> Earning | None:
    subject = Subject.objects.select_related("study_site").filter(pk=subject_id).first()
    if subject is None or subject.status != SubjectStatus.SCREEN_FAILED:
        return None
    # One screen failure at a time per site, so the cap cannot be overrun by a race.
    StudySite.objects.select_for_update().get(pk=subject.study_site_id)
    on = subject.screening_date
    version = budget_version_in_force(study_site_id=subject.study_site_id, on=on)
    if version is None or not version.screen_failure_fee:
        return None
    if version.screen_failure_cap is not None:
        paid = Earning.objects.filter(
            study_site_id=subject.study_site_id,
            kind=EarningKind.SCREEN_FAILURE,
            reversed_at__isnull=True,
        ).exclude(subject=subject)
        if paid.count() >= version.screen_failure_cap:
            return None
    with audit_context(reason="accrued: subject screen failed", event="subject.screen_failed"):
        return _create_earning(
            study_site_id=subject.study_site_id,
            budget_version=version,
            kind=EarningKind.SCREEN_FAILURE,
            subject=subject,
            event_date=on,
            description=f"{subject.subject_identifier} · screen failure",
            amount=version.screen_failure_fee,
            currency=version.budget.currency,
        )


@transaction.atomic
def earning_accrue_milestone(*, milestone_id: int) -> Earning | None:
    milestone = Milestone.objects.filter(pk=milestone_id, study_site__isnull=False).first()
    if milestone is None or milestone.actual_date is None:
        return None
    version = budget_version_in_force(
        study_site_id=milestone.study_site_id, on=milestone.actual_date
    )
    if version is None:
        return None
    amount = _version_fee(version, kind=FeeKind.MILESTONE, milestone_kind=milestone.kind)
    if amount is None:
        return None
    with audit_context(reason="accrued: milestone reached", event="milestone.reached"):
        return _create_earning(
            study_site_id=milestone.study_site_id,
            budget_version=version,
            kind=EarningKind.MILESTONE,
            milestone=milestone,
            event_date=milestone.actual_date,
            description=f"Milestone: {milestone.get_kind_display()}",
            amount=amount,
            currency=version.budget.currency,
        )


# --- invoices ----------------------------------------------------------------------------------


@transaction.atomic
def invoice_create(*, actor: User, study_site: StudySite) -> SiteInvoice:
    study_site = StudySite.objects.select_for_update().get(pk=study_site.pk)
    _require_on("invoice.draft", actor, study_site)
    access.require_open(study_site)
    budget = Budget.objects.filter(study_site=study_site).first()
    if budget is None:
        raise ApplicationError(
            "This study-site has no budget yet; CRO finance sets it up first.",
            fields={"study_site": ["No budget yet."]},
        )
    count = SiteInvoice.objects.filter(study_site=study_site).count()
    return SiteInvoice.objects.create(
        study_site=study_site,
        number=f"INV-{study_site.site_number}-{count + 1:04d}",
        currency=budget.currency,
        created_by=actor,
    )


def _validate_attachment(attachment: UploadedFile, errors: dict) -> None:
    extension = os.path.splitext(attachment.name or "")[1].lower()
    accepted = ATTACHMENT_TYPES.get(extension)
    if accepted is None:
        errors["attachment"] = ["Attach a PDF, PNG or JPEG file."]
        return
    content_types, magic = accepted
    if attachment.size > MAX_ATTACHMENT_BYTES:
        errors["attachment"] = ["The file is larger than 5 MB."]
        return
    attachment.seek(0)
    head = attachment.read(len(magic))
    attachment.seek(0)
    declared = (getattr(attachment, "content_type", "") or "").split(";")[0]
    if head != magic or (declared and declared not in content_types):
        errors["attachment"] = ["The file's content does not match its type (PDF, PNG, JPEG)."]


@transaction.atomic
def invoice_line_add(
    *,
    actor: User,
    invoice: SiteInvoice,
    item_category: str,
    service_date: date,
    quantity: int,
    unit_amount,
    currency: str | None = None,
    description: str = "",
    attachment: UploadedFile | None = None,
) -> InvoiceLine:
    invoice = (
        SiteInvoice.objects.select_for_update().select_related("study_site").get(pk=invoice.pk)
    )
    _require_on("invoice.draft", actor, invoice.study_site)
    access.require_open(invoice.study_site)
    if invoice.status not in INVOICE_EDITABLE:
        raise TransitionNotAllowed("Lines can be added only while the invoice is a draft.")
    errors: dict[str, list[str]] = {}
    if currency and currency.upper() != invoice.currency:
        errors["currency"] = [f"This site's budget is in {invoice.currency}."]
    if item_category not in ItemCategory.values:
        errors["item_category"] = ["Choose an invoiceable item."]
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        errors["quantity"] = ["Enter a whole number of 1 or more."]
    if service_date is None:
        errors["service_date"] = ["Enter the date of service."]
    elif service_date > timezone.localdate():
        errors["service_date"] = ["The date of service cannot be in the future."]
    unit = _amount(unit_amount, invoice.currency, "unit_amount", errors, allow_zero=False)
    fee = None
    if not errors:
        version = budget_version_in_force(study_site_id=invoice.study_site_id, on=service_date)
        fee = (
            version.fees.filter(kind=FeeKind.ITEM, item_category=item_category).first()
            if version
            else None
        )
        if fee is None:
            errors["item_category"] = [
                "This item is not invoiceable under the budget in force on that date."
            ]
        elif unit is not None and unit > fee.amount:
            errors["unit_amount"] = [
                f"The budget allows at most {fee.amount} {invoice.currency} per unit."
            ]
    if attachment is not None:
        _validate_attachment(attachment, errors)
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    amount = round_money(unit * quantity, invoice.currency)
    line = InvoiceLine(
        invoice=invoice,
        fee=fee,
        item_category=item_category,
        description=(description or "").strip()[:300],
        service_date=service_date,
        quantity=quantity,
        unit_amount=unit,
        amount=amount,
        currency=invoice.currency,
    )
    if attachment is not None:
        extension = os.path.splitext(attachment.name)[1].lower()
        line.attachment_name = os.path.basename(attachment.name)[:200]
        line.attachment.save(f"{uuid.uuid4().hex}{extension}", attachment, save=False)
    line.save()
    _recompute_invoice_total(invoice)
    return line


def _recompute_invoice_total(invoice: SiteInvoice) -> None:
    total = invoice.lines.filter(withdrawn=False).aggregate(t=Sum("amount"))["t"] or Decimal(0)
    invoice.total = total
    invoice.save(update_fields=["total"])


@transaction.atomic
def invoice_line_withdraw(*, actor: User, line: InvoiceLine, reason: str) -> InvoiceLine:
    """Take a line off a draft invoice (kept, marked withdrawn; never deleted)."""
    reason = require_reason(reason)
    invoice = (
        SiteInvoice.objects.select_for_update().select_related("study_site").get(pk=line.invoice_id)
    )
    _require_on("invoice.draft", actor, invoice.study_site)
    access.require_open(invoice.study_site)
    if invoice.status not in INVOICE_EDITABLE:
        raise TransitionNotAllowed("Lines can be withdrawn only while the invoice is a draft.")
    with audit_context(reason=reason):
        line = InvoiceLine.objects.select_for_update().get(pk=line.pk)
        line.withdrawn = True
        line.save(update_fields=["withdrawn"])
        _recompute_invoice_total(invoice)
    return line


def _lock_invoice(invoice: SiteInvoice) -> SiteInvoice:
    return (
        SiteInvoice.objects.select_for_update()
        .select_related("study_site", "study_site__study")
        .get(pk=invoice.pk)
    )


@transaction.atomic
def invoice_submit(*, actor: User, invoice: SiteInvoice) -> SiteInvoice:
    invoice = _lock_invoice(invoice)
    _require_on("invoice.draft", actor, invoice.study_site)
    access.require_open(invoice.study_site)
    _transition(invoice.status, InvoiceStatus.SUBMITTED, INVOICE_TRANSITIONS, "invoice")
    if not invoice.lines.filter(withdrawn=False).exists():
        raise ApplicationError("Add at least one line before submitting the invoice.")
    invoice.status = InvoiceStatus.SUBMITTED
    invoice.submitted_by = actor
    invoice.submitted_at = timezone.now()
    invoice.first_approved_by = None
    invoice.save(update_fields=["status", "submitted_by", "submitted_at", "first_approved_by"])
    return invoice


def _threshold(invoice: SiteInvoice) -> Decimal | None:
    version = (
        budget_version_in_force(study_site_id=invoice.study_site_id, on=timezone.localdate())
        or BudgetVersion.objects.filter(budget__study_site_id=invoice.study_site_id)
        .order_by("effective_date", "number")
        .first()
    )
    return version.second_approval_threshold if version else None


@transaction.atomic
def invoice_approve(*, actor: User, invoice: SiteInvoice, password: str) -> SiteInvoice:
    """Approve with an e-signature. The submitter never approves; above the threshold a second,
    different finance approver completes the approval."""
    invoice = _lock_invoice(invoice)
    roles = _require_on("invoice.review", actor, invoice.study_site)
    access.require_open(invoice.study_site)
    if invoice.status not in (InvoiceStatus.SUBMITTED, InvoiceStatus.AWAITING_SECOND_APPROVAL):
        _transition(invoice.status, InvoiceStatus.APPROVED, INVOICE_TRANSITIONS, "invoice")
    if actor.pk == invoice.submitted_by_id:
        raise PermissionDenied("You submitted this invoice; someone else must approve it.")
    if invoice.status == InvoiceStatus.AWAITING_SECOND_APPROVAL:
        require("invoice.second_approve", roles)
        if actor.pk == invoice.first_approved_by_id:
            raise PermissionDenied("A second, different approver must complete this approval.")
    threshold = _threshold(invoice)
    needs_second = threshold is not None and invoice.total > threshold
    signature_create(
        actor=actor, record=invoice, meaning=SignatureMeaning.APPROVED, password=password
    )
    now = timezone.now()
    if invoice.status == InvoiceStatus.SUBMITTED and needs_second:
        invoice.status = InvoiceStatus.AWAITING_SECOND_APPROVAL
        invoice.first_approved_by = actor
        invoice.save(update_fields=["status", "first_approved_by"])
        return invoice
    invoice.status = InvoiceStatus.APPROVED
    invoice.approved_by = actor
    invoice.approved_at = now
    invoice.reviewed_by = actor
    invoice.save(update_fields=["status", "approved_by", "approved_at", "reviewed_by"])
    for recipient in _site_people(invoice.study_site):
        notify(
            recipient=recipient,
            kind="payments.invoice_approved",
            title=f"Invoice {invoice.number} approved",
            body=f"{invoice.study_site.study.protocol_number}: invoice {invoice.number} "
            f"({invoice.total} {invoice.currency}) was approved and will be paid in a run.",
            url=invoice.get_absolute_url(),
            dedupe_key=f"invoice_approved:{invoice.pk}:{recipient.pk}",
            subject=invoice,
        )
    return invoice


def _review_close(
    *, actor: User, invoice: SiteInvoice, to: str, comment: str, field: str
) -> SiteInvoice:
    invoice = _lock_invoice(invoice)
    _require_on("invoice.review", actor, invoice.study_site)
    access.require_open(invoice.study_site)
    comment = (comment or "").strip()
    if not comment:
        raise ApplicationError("Tell the site why.", fields={field: ["Say why."]})
    _transition(invoice.status, to, INVOICE_TRANSITIONS, "invoice")
    with audit_context(reason=comment):
        invoice.status = to
        invoice.review_comment = comment
        invoice.reviewed_by = actor
        invoice.first_approved_by = None
        invoice.save(update_fields=["status", "review_comment", "reviewed_by", "first_approved_by"])
    label = "rejected" if to == InvoiceStatus.REJECTED else "returned for changes"
    for recipient in _site_people(invoice.study_site):
        notify(
            recipient=recipient,
            kind=f"payments.invoice_{to}",
            title=f"Invoice {invoice.number} {label}",
            body=comment,
            url=invoice.get_absolute_url(),
            dedupe_key=f"invoice_{to}:{invoice.pk}:{invoice.submitted_at.timestamp():.0f}:{recipient.pk}",
            subject=invoice,
        )
    return invoice


@transaction.atomic
def invoice_reject(*, actor: User, invoice: SiteInvoice, reason: str) -> SiteInvoice:
    return _review_close(
        actor=actor, invoice=invoice, to=InvoiceStatus.REJECTED, comment=reason, field="reason"
    )


@transaction.atomic
def invoice_request_changes(*, actor: User, invoice: SiteInvoice, comment: str) -> SiteInvoice:
    return _review_close(
        actor=actor,
        invoice=invoice,
        to=InvoiceStatus.CHANGES_REQUESTED,
        comment=comment,
        field="comment",
    )


# --- payment runs ------------------------------------------------------------------------------


def _holdback_released(study_site_id: int) -> bool:
    return Earning.objects.filter(
        study_site_id=study_site_id, kind=EarningKind.HOLDBACK_RELEASE
    ).exists()


@transaction.atomic
def payment_run_build(
    *, actor: User, study_site: StudySite, period_start: date, period_end: date
) -> PaymentRun:
    """Gather every approved, unpaid earning and invoice line dated up to the period end into a
    new draft run (older unpaid items are caught up, never lost). At close-out (COV reached) the
    holdback withheld so far is released as its own line."""
    study_site = StudySite.objects.select_for_update().get(pk=study_site.pk)
    _require_on("payment_run.build", actor, study_site)
    access.require_open(study_site)
    if period_start is None or period_end is None or period_start > period_end:
        raise ApplicationError(
            "The period must start on or before it ends.",
            fields={"period_end": ["Enter an end date on or after the start."]},
        )
    budget = Budget.objects.filter(study_site=study_site).first()
    if budget is None:
        raise ApplicationError("This study-site has no budget yet.")
    currency = budget.currency
    released = _holdback_released(study_site.pk)
    earnings = list(
        Earning.objects.select_related("budget_version")
        .filter(study_site=study_site, run_line__isnull=True, event_date__lte=period_end)
        .exclude(kind=EarningKind.HOLDBACK_RELEASE)
        .order_by("event_date", "pk")
    )
    invoice_lines = list(
        InvoiceLine.objects.select_related("invoice")
        .filter(
            invoice__study_site=study_site,
            invoice__status=InvoiceStatus.APPROVED,
            withdrawn=False,
            run_line__isnull=True,
            service_date__lte=period_end,
        )
        .order_by("service_date", "pk")
    )
    lines: list[PaymentRunLine] = []
    for earning in earnings:
        percent = (
            Decimal(0)
            if released or earning.holdback_exempt or earning.budget_version is None
            else earning.budget_version.holdback_percent
        )
        held, net = holdback_split(earning.amount, percent, currency)
        lines.append(
            PaymentRunLine(
                earning=earning,
                description=earning.description,
                event_date=earning.event_date,
                gross=earning.amount,
                holdback=held,
                net=net,
                currency=currency,
            )
        )
    for line in invoice_lines:
        lines.append(
            PaymentRunLine(
                invoice_line=line,
                description=f"Invoice {line.invoice.number}: {line.get_item_category_display()}"
                f" × {line.quantity}",
                event_date=line.service_date,
                gross=line.amount,
                holdback=Decimal("0.00"),
                net=line.amount,
                currency=currency,
            )
        )
    close_out = Milestone.objects.filter(
        study_site=study_site, kind=MilestoneKind.COV, actual_date__lte=period_end
    ).first()
    if close_out and not released:
        held_before = PaymentRunLine.objects.filter(run__study_site=study_site).aggregate(
            h=Sum("holdback")
        )["h"] or Decimal(0)
        held_now = sum((line.holdback for line in lines), Decimal(0))
        to_release = held_before + held_now
        if to_release > 0:
            release = Earning.objects.create(
                study_site=study_site,
                kind=EarningKind.HOLDBACK_RELEASE,
                event_date=close_out.actual_date,
                description="Holdback released at close-out",
                amount=to_release,
                currency=currency,
                holdback_exempt=True,
            )
            lines.append(
                PaymentRunLine(
                    earning=release,
                    description=release.description,
                    event_date=release.event_date,
                    gross=to_release,
                    holdback=Decimal("0.00"),
                    net=to_release,
                    currency=currency,
                )
            )
    if not lines:
        raise ApplicationError(
            "Nothing to pay: no approved, unpaid earnings or invoice lines up to that date.",
            fields={"period_end": ["Nothing unpaid up to this date."]},
        )
    gross = sum((line.gross for line in lines), Decimal(0))
    holdback = sum((line.holdback for line in lines), Decimal(0))
    run = PaymentRun.objects.create(
        study_site=study_site,
        period_start=period_start,
        period_end=period_end,
        currency=currency,
        gross=gross,
        holdback=holdback,
        net=gross - holdback,
        prepared_by=actor,
    )
    for line in lines:
        line.run = run
    try:
        with transaction.atomic():
            PaymentRunLine.objects.bulk_create(lines)
    except IntegrityError as exc:  # another run took one of these lines first
        raise ApplicationError("Some lines were just added to another run; try again.") from exc
    return run


def _lock_run(run: PaymentRun) -> PaymentRun:
    return (
        PaymentRun.objects.select_for_update()
        .select_related("study_site", "study_site__study", "study_site__site")
        .get(pk=run.pk)
    )


@transaction.atomic
def payment_run_approve(*, actor: User, run: PaymentRun, password: str) -> PaymentRun:
    run = _lock_run(run)
    _require_on("payment_run.approve", actor, run.study_site)
    access.require_open(run.study_site)
    _transition(run.status, PaymentRunStatus.APPROVED, PAYMENT_RUN_TRANSITIONS, "payment run")
    if actor.pk == run.prepared_by_id:
        raise PermissionDenied("You prepared this run; a different finance approver approves it.")
    signature_create(actor=actor, record=run, meaning=SignatureMeaning.APPROVED, password=password)
    run.status = PaymentRunStatus.APPROVED
    run.approved_by = actor
    run.approved_at = timezone.now()
    run.save(update_fields=["status", "approved_by", "approved_at"])
    return run


@transaction.atomic
def payment_run_mark_paid(
    *, actor: User, run: PaymentRun, payment_reference: str, payment_date: date
) -> PaymentRun:
    """Record that the money left; the row lock and the status make a second payment
    impossible. The remittance notice is sent after commit, once."""
    run = _lock_run(run)
    _require_on("payment_run.pay", actor, run.study_site)
    access.require_open(run.study_site)
    _transition(run.status, PaymentRunStatus.PAID, PAYMENT_RUN_TRANSITIONS, "payment run")
    reference = (payment_reference or "").strip()
    errors = {}
    if not reference:
        errors["payment_reference"] = ["Enter the bank or payment reference."]
    if payment_date is None:
        errors["payment_date"] = ["Enter the payment date."]
    elif payment_date > timezone.localdate():
        errors["payment_date"] = ["The payment date cannot be in the future."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    run.status = PaymentRunStatus.PAID
    run.paid_by = actor
    run.paid_at = timezone.now()
    run.payment_reference = reference[:100]
    run.payment_date = payment_date
    run.save(update_fields=["status", "paid_by", "paid_at", "payment_reference", "payment_date"])
    invoice_ids = set(
        run.lines.filter(invoice_line__isnull=False).values_list(
            "invoice_line__invoice_id", flat=True
        )
    )
    for invoice in SiteInvoice.objects.select_for_update().filter(
        pk__in=invoice_ids, status=InvoiceStatus.APPROVED
    ):
        unpaid = invoice.lines.filter(withdrawn=False).exclude(
            run_line__run__status=PaymentRunStatus.PAID
        )
        if not unpaid.exists():
            invoice.status = InvoiceStatus.PAID
            invoice.save(update_fields=["status"])
    from payments.tasks import remittance_send

    run_id = run.pk
    transaction.on_commit(lambda: remittance_send.delay(run_id))
    return run


# --- disputes ----------------------------------------------------------------------------------


@transaction.atomic
def dispute_open(
    *,
    actor: User,
    comment: str,
    earning: Earning | None = None,
    run_line: PaymentRunLine | None = None,
) -> PaymentDispute:
    """The site disputes an earning, or a line of a paid run, with a comment for CRO finance.
    One open dispute per line (row lock + partial unique constraint)."""
    if (earning is None) == (run_line is None):
        raise ApplicationError("Dispute either an earning or a paid line.")
    if earning is not None:
        target = Earning.objects.select_for_update().select_related("study_site").get(pk=earning.pk)
        study_site = target.study_site
        open_disputes = PaymentDispute.objects.filter(earning=target, status=DisputeStatus.OPEN)
    else:
        target = (
            PaymentRunLine.objects.select_for_update()
            .select_related("run", "run__study_site")
            .get(pk=run_line.pk)
        )
        study_site = target.run.study_site
        open_disputes = PaymentDispute.objects.filter(run_line=target, status=DisputeStatus.OPEN)
    _require_on("dispute.open", actor, study_site)
    access.require_open(study_site)
    if run_line is not None and target.run.status != PaymentRunStatus.PAID:
        raise TransitionNotAllowed("Only a line of a paid run can be disputed.")
    comment = (comment or "").strip()
    if not comment:
        raise ApplicationError(
            "Say what is wrong.", fields={"comment": ["Tell CRO finance what is wrong."]}
        )
    if open_disputes.exists():
        raise TransitionNotAllowed(
            "This line is already disputed; CRO finance answers the open dispute first.",
            fields={"comment": ["An open dispute already exists for this line."]},
        )
    with audit_context(reason=comment[:300]):
        dispute = PaymentDispute.objects.create(
            study_site=study_site,
            earning=target if earning is not None else None,
            run_line=target if run_line is not None else None,
            comment=comment,
            raised_by=actor,
        )
    study_site = StudySite.objects.select_related("study", "site").get(pk=study_site.pk)
    for recipient in _finance_people(study_site):
        notify(
            recipient=recipient,
            kind="payments.dispute_opened",
            title=f"{study_site.site.name} disputes: {target.description}",
            body=comment,
            url=dispute.get_absolute_url(),
            dedupe_key=f"dispute_opened:{dispute.pk}:{recipient.pk}",
            subject=dispute,
        )
    return dispute


def _lock_dispute(dispute: PaymentDispute) -> PaymentDispute:
    return (
        PaymentDispute.objects.select_for_update()
        .select_related("study_site", "study_site__study", "study_site__site")
        .get(pk=dispute.pk)
    )


def _dispute_answered(dispute: PaymentDispute, title: str) -> None:
    for recipient in _site_people(dispute.study_site):
        notify(
            recipient=recipient,
            kind=f"payments.dispute_{dispute.status}",
            title=title,
            body=dispute.answer,
            url=dispute.get_absolute_url(),
            dedupe_key=f"dispute_answered:{dispute.pk}:{recipient.pk}",
            subject=dispute,
        )


@transaction.atomic
def dispute_accept(*, actor: User, dispute: PaymentDispute, amount, answer: str) -> PaymentDispute:
    """The site is right: a linked adjustment line (positive or negative) corrects the amount in
    the next payment run; the disputed line itself is never edited."""
    dispute = _lock_dispute(dispute)
    _require_on("dispute.answer", actor, dispute.study_site)
    access.require_open(dispute.study_site)
    _transition(dispute.status, DisputeStatus.ACCEPTED, DISPUTE_TRANSITIONS, "dispute")
    answer = (answer or "").strip()
    errors: dict[str, list[str]] = {}
    if not answer:
        errors["answer"] = ["Tell the site what you corrected."]
    original = (
        Earning.objects.select_related("budget_version").get(pk=dispute.earning_id)
        if dispute.earning_id
        else None
    )
    line = (
        PaymentRunLine.objects.select_related("earning", "earning__budget_version").get(
            pk=dispute.run_line_id
        )
        if dispute.run_line_id
        else None
    )
    currency = original.currency if original else line.currency
    adjustment = None
    if amount in (None, ""):
        errors["amount"] = ["Enter the correction, e.g. 50.00 or -50.00."]
    else:
        try:
            adjustment = parse_amount(amount, currency)
        except MoneyError as exc:
            errors["amount"] = [str(exc)]
        else:
            if adjustment == 0:
                errors["amount"] = ["Enter a correction other than zero."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    source = original or (line.earning if line.earning_id else None)
    what = original.description if original else line.description
    with audit_context(reason=answer[:300]):
        earning = Earning.objects.create(
            study_site=dispute.study_site,
            budget_version=source.budget_version if source else None,
            kind=EarningKind.ADJUSTMENT,
            event_date=timezone.localdate(),
            description=f"Adjustment (dispute #{dispute.pk}): {what}"[:300],
            amount=adjustment,
            currency=currency,
            holdback_exempt=source.holdback_exempt if source else True,
        )
        dispute.status = DisputeStatus.ACCEPTED
        dispute.answer = answer
        dispute.answered_by = actor
        dispute.answered_at = timezone.now()
        dispute.adjustment = earning
        dispute.save(update_fields=["status", "answer", "answered_by", "answered_at", "adjustment"])
    _dispute_answered(dispute, f"Dispute accepted: {adjustment:+} {currency} adjusts {what}"[:200])
    return dispute


@transaction.atomic
def dispute_reject(*, actor: User, dispute: PaymentDispute, reason: str) -> PaymentDispute:
    dispute = _lock_dispute(dispute)
    _require_on("dispute.answer", actor, dispute.study_site)
    access.require_open(dispute.study_site)
    _transition(dispute.status, DisputeStatus.REJECTED, DISPUTE_TRANSITIONS, "dispute")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Tell the site why.", fields={"reason": ["Say why."]})
    with audit_context(reason=reason[:300]):
        dispute.status = DisputeStatus.REJECTED
        dispute.answer = reason
        dispute.answered_by = actor
        dispute.answered_at = timezone.now()
        dispute.save(update_fields=["status", "answer", "answered_by", "answered_at"])
    _dispute_answered(dispute, f"Dispute #{dispute.pk} rejected")
    return dispute


def _site_people(study_site: StudySite) -> list[User]:
    site = study_site.site_id
    return people_by_organization(organization_ids=[site], roles=SITE_WRITERS)[site]


def _finance_people(study_site: StudySite) -> list[User]:
    cro = study_site.study.cro_id
    return people_by_organization(organization_ids=[cro], roles=FINANCE_ROLES)[cro]


def remittance_send(*, payment_run_id: int) -> int:
    """The remittance notice (in-app + email) to the site's coordinators and administrators,
    listing every line; dedupe keys make it once per person whatever retries happen."""
    run = (
        PaymentRun.objects.select_related("study_site", "study_site__study", "study_site__site")
        .filter(pk=payment_run_id, status=PaymentRunStatus.PAID)
        .first()
    )
    if run is None:
        return 0
    lines = run.lines.order_by("event_date", "pk")
    rows = [
        f"- {line.event_date} {line.description}: gross {line.gross}, holdback {line.holdback}, "
        f"net {line.net} {line.currency}"
        for line in lines
    ]
    body = "\n".join(
        [
            f"{run.study_site.study.protocol_number} / site {run.study_site.site_number}: "
            f"payment reference {run.payment_reference}, paid {run.payment_date}.",
            f"Gross {run.gross}, holdback withheld {run.holdback}, net paid {run.net} "
            f"{run.currency}.",
            "",
            *rows,
        ]
    )
    sent = 0
    for recipient in _site_people(run.study_site):
        if notify(
            recipient=recipient,
            kind="payments.remittance",
            title=f"Remittance: {run.net} {run.currency} paid ({run.payment_reference})",
            body=body,
            url=run.get_absolute_url(),
            dedupe_key=f"remittance:{run.pk}:{recipient.pk}",
            subject=run,
        ):
            sent += 1
    return sent


def _payment_terms(invoices: list[SiteInvoice]) -> dict[int, int]:
    """The payment terms (days) in force on each invoice's approval day, as
    ``budget_version_in_force`` finds them (the latest version effective on or before that day;
    30 days without one), for a batch of invoices in one query."""
    versions: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for study_site_id, effective_date, terms in (
        BudgetVersion.objects.filter(
            budget__study_site_id__in={invoice.study_site_id for invoice in invoices}
        )
        .order_by("-effective_date", "-number")
        .values_list("budget__study_site_id", "effective_date", "payment_terms_days")
    ):
        versions[study_site_id].append((effective_date, terms))
    return {
        invoice.pk: next(
            (
                terms
                for effective_date, terms in versions[invoice.study_site_id]
                if effective_date <= invoice.approved_at.date()
            ),
            30,
        )
        for invoice in invoices
    }


def _site_people_by_study_site(
    study_site_ids: set[int],
) -> tuple[dict[int, StudySite], dict[int, list[User]]]:
    """The study-sites, and each site's coordinators and administrators: two queries."""
    sites = {
        study_site.pk: study_site
        for study_site in StudySite.objects.select_related("study", "site").filter(
            pk__in=study_site_ids
        )
    }
    people = people_by_organization(
        organization_ids={study_site.site_id for study_site in sites.values()},
        roles=SITE_WRITERS,
    )
    return sites, people


def _overdue_reminders_to_sites(today: date) -> int:
    """Each study-site with items unpaid past the payment terms hears it once a day per
    person: one notice per overdue invoice, and one notice listing the overdue earnings
    (set-based: two grouped queries read in batches; per batch, two for the study-sites and
    their people and two to write the notices)."""
    from payments import aging

    study_sites = StudySite.objects.filter(budget__isnull=False)
    earnings = (
        aging.unpaid_earnings(study_sites, today)
        .filter(due_date__lt=today)
        .order_by()
        .values("site_ref", "currency")
        .annotate(total=Sum("amount"), items=Count("pk"), oldest=Min("due_date"))
    )
    lines = (
        aging.unpaid_invoice_lines(study_sites, today)
        .filter(due_date__lt=today)
        .order_by()
        .values("site_ref", "invoice_id", "invoice__number", "currency")
        .annotate(total=Sum("amount"), due=Min("due_date"))
    )
    sent = 0
    for rows in batches(earnings):
        sites, people = _site_people_by_study_site({row["site_ref"] for row in rows})
        notes = []
        for row in rows:
            study_site = sites[row["site_ref"]]
            url = reverse("payments_study_site", kwargs={"study_site_id": study_site.pk})
            notes += [
                Note(
                    recipient=recipient,
                    kind="payments.earnings_overdue",
                    title=f"{study_site.study.protocol_number}: {row['items']} earning"
                    f"{'s' if row['items'] != 1 else ''} unpaid past terms "
                    f"({row['total']} {row['currency']})",
                    body=f"The oldest fell due on {row['oldest']}. CRO finance has been reminded.",
                    url=url,
                    dedupe_key=f"earnings_overdue:{study_site.pk}:{row['currency']}:"
                    f"{recipient.pk}:{today}",
                    subject=study_site,
                )
                for recipient in people.get(study_site.site_id, [])
            ]
        sent += len(notify_many(notes))
    for rows in batches(lines):
        sites, people = _site_people_by_study_site({row["site_ref"] for row in rows})
        notes = []
        for row in rows:
            study_site = sites[row["site_ref"]]
            url = reverse("payments_invoice_detail", kwargs={"invoice_id": row["invoice_id"]})
            notes += [
                Note(
                    recipient=recipient,
                    kind="payments.invoice_overdue_site",
                    title=f"Invoice {row['invoice__number']} is unpaid past its terms "
                    f"(due {row['due']})",
                    body=f"{row['total']} {row['currency']} approved and not paid yet. CRO "
                    "finance has been reminded.",
                    url=url,
                    dedupe_key=f"invoice_overdue_site:{row['invoice_id']}:{recipient.pk}:{today}",
                )
                for recipient in people.get(study_site.site_id, [])
            ]
        sent += len(notify_many(notes))
    return sent


def payment_reminders_send(*, today: date | None = None) -> int:
    """Beat: invoices approved but unpaid past the payment terms, and invoices waiting for
    review longer than 5 days, to CRO finance; overdue payments to the site too. Once per day
    per item and person (dedupe keys carry the date). Reads the invoices in batches; per batch
    a constant number of queries (payment terms, finance people, the notices' two)."""
    today = today or timezone.localdate()
    sent = 0
    approved = (
        SiteInvoice.objects.select_related("study_site", "study_site__study")
        .filter(status=InvoiceStatus.APPROVED, approved_at__isnull=False)
        .order_by("pk")
    )
    for invoices in batches(approved):
        terms = _payment_terms(invoices)
        overdue = []
        for invoice in invoices:
            due = invoice.approved_at.date() + timedelta(days=terms[invoice.pk])
            if due < today:
                overdue.append((invoice, due))
        finance = people_by_organization(
            organization_ids={i.study_site.study.cro_id for i, _ in overdue}, roles=FINANCE_ROLES
        )
        notes = [
            Note(
                recipient=recipient,
                kind="payments.invoice_overdue",
                title=f"Invoice {invoice.number} is unpaid past its terms (due {due})",
                body=f"{invoice.study_site}: {invoice.total} {invoice.currency} approved "
                f"{invoice.approved_at:%Y-%m-%d}, due {due}. Add it to a payment run.",
                url=invoice.get_absolute_url(),
                dedupe_key=f"invoice_overdue:{invoice.pk}:{recipient.pk}:{today}",
                subject=invoice,
            )
            for invoice, due in overdue
            for recipient in finance.get(invoice.study_site.study.cro_id, [])
        ]
        sent += len(notify_many(notes))
    sent += _overdue_reminders_to_sites(today)
    waiting = (
        SiteInvoice.objects.select_related("study_site", "study_site__study")
        .filter(
            status__in=[InvoiceStatus.SUBMITTED, InvoiceStatus.AWAITING_SECOND_APPROVAL],
            submitted_at__date__lt=today - timedelta(days=REVIEW_WAIT_DAYS),
        )
        .order_by("pk")
    )
    for invoices in batches(waiting):
        finance = people_by_organization(
            organization_ids={i.study_site.study.cro_id for i in invoices}, roles=FINANCE_ROLES
        )
        notes = [
            Note(
                recipient=recipient,
                kind="payments.invoice_review_waiting",
                title=f"Invoice {invoice.number} has waited for review since "
                f"{invoice.submitted_at:%Y-%m-%d}",
                url=invoice.get_absolute_url(),
                dedupe_key=f"invoice_review_waiting:{invoice.pk}:{recipient.pk}:{today}",
                subject=invoice,
            )
            for invoice in invoices
            for recipient in finance.get(invoice.study_site.study.cro_id, [])
        ]
        sent += len(notify_many(notes))
    return sent


__all__ = [
    "ACTIONS",
    "budget_version_create",
    "dispute_accept",
    "dispute_open",
    "dispute_reject",
    "earning_accrue_milestone",
    "earning_accrue_screen_failure",
    "earning_accrue_visit",
    "earning_reverse_visit",
    "invoice_approve",
    "invoice_create",
    "invoice_line_add",
    "invoice_reject",
    "invoice_request_changes",
    "invoice_submit",
    "payment_run_approve",
    "payment_run_build",
    "payment_run_mark_paid",
    "remittance_send",
]
