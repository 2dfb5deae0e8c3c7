"""Site payments: budgets (versioned fee schedules), earnings, site invoices, payment runs.

Money is ``DecimalField(max_digits=14, decimal_places=2)`` plus an ISO 4217 currency, never a
float; see payments/money.py for the rounding rule. Statuses change only in payments/services.py
(transitions below); the database guards the values, the one-run-per-line rule and the
at-most-once earning per event. Nothing here is ever deleted.
"""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from core.db import protect_delete
from payments.money import format_money
from trials.models import (
    Milestone,
    MilestoneKind,
    StudySite,
    Subject,
    SubjectVisit,
    VisitDefinition,
)

CURRENCY_REGEX = r"^[A-Z]{3}$"


def money_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def _choices_check(field: str, choices: type[models.TextChoices], name: str):
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


def _currency_check(name: str):
    return models.CheckConstraint(condition=Q(currency__regex=CURRENCY_REGEX), name=name)


# --- budgets -----------------------------------------------------------------------------------


@pghistory.track()
class Budget(models.Model):
    """The budget of one study-site (from its signed clinical trial agreement)."""

    study_site_path = "study_site"

    study_site = models.OneToOneField(StudySite, on_delete=models.PROTECT, related_name="budget")
    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. USD")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("budget")]
        constraints = [_currency_check("budget_currency_iso4217")]

    def __str__(self) -> str:
        return f"Budget {self.study_site}"

    def get_absolute_url(self) -> str:
        return reverse("payments_budget", kwargs={"study_site_id": self.study_site_id})


@pghistory.track()
class BudgetVersion(models.Model):
    """One version of the budget; an amendment is a new version with an effective date and a
    reason. Earnings use the version in force on the event date (latest effective date on or
    before it; the highest number wins on the same date)."""

    study_site_path = "budget__study_site"

    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    effective_date = models.DateField()
    reason = models.CharField(max_length=300)
    holdback_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    payment_terms_days = models.PositiveIntegerField(default=30)
    screen_failure_fee = money_field(default=0)
    screen_failure_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most screen failures paid at this site; empty = no cap"
    )
    second_approval_threshold = money_field(
        null=True,
        blank=True,
        help_text="Invoices above this total need a second, different finance approver",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("budget_version")]
        ordering = ["budget", "-effective_date", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "number"], name="budget_version_unique"),
            models.CheckConstraint(
                condition=Q(holdback_percent__gte=0) & Q(holdback_percent__lte=20),
                name="budget_version_holdback_0_20",
            ),
            models.CheckConstraint(
                condition=Q(screen_failure_fee__gte=0), name="budget_version_sf_fee_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(second_approval_threshold__isnull=True)
                | Q(second_approval_threshold__gte=0),
                name="budget_version_threshold_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Version {self.number} from {self.effective_date}"


class FeeKind(models.TextChoices):
    VISIT = "visit", "Per-visit fee"
    MILESTONE = "milestone", "Milestone fee"
    ITEM = "item", "Invoiceable item"


class ItemCategory(models.TextChoices):
    PHARMACY = "pharmacy", "Pharmacy"
    PROCEDURE = "procedure", "Extra procedure"
    SAE_REPORTING = "sae_reporting", "SAE reporting"
    TRAVEL = "travel", "Subject travel"
    IRB_FEE = "irb_fee", "IRB fee"


@pghistory.track()
class Fee(models.Model):
    """One line of a budget version's fee schedule. For an invoiceable item, ``amount`` is the
    most the site may invoice per unit."""

    study_site_path = "version__budget__study_site"

    version = models.ForeignKey(BudgetVersion, on_delete=models.PROTECT, related_name="fees")
    kind = models.CharField(max_length=10, choices=FeeKind.choices)
    visit_definition = models.ForeignKey(
        VisitDefinition, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    milestone_kind = models.CharField(
        max_length=4, choices=MilestoneKind.choices, blank=True, default=""
    )
    item_category = models.CharField(
        max_length=20, choices=ItemCategory.choices, blank=True, default=""
    )
    amount = money_field()

    class Meta:
        triggers = [protect_delete("fee")]
        ordering = ["version", "kind", "pk"]
        constraints = [
            _choices_check("kind", FeeKind, "fee_kind_valid"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fee_amount_non_negative"),
            models.CheckConstraint(
                condition=(
                    Q(kind="visit", visit_definition__isnull=False, milestone_kind="")
                    & Q(item_category="")
                )
                | Q(kind="milestone", visit_definition__isnull=True, item_category="")
                & ~Q(milestone_kind="")
                | Q(kind="item", visit_definition__isnull=True, milestone_kind="")
                & ~Q(item_category=""),
                name="fee_target_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["version", "visit_definition"],
                condition=Q(kind="visit"),
                name="fee_visit_once_per_version",
            ),
            models.UniqueConstraint(
                fields=["version", "milestone_kind"],
                condition=Q(kind="milestone"),
                name="fee_milestone_once_per_version",
            ),
            models.UniqueConstraint(
                fields=["version", "item_category"],
                condition=Q(kind="item"),
                name="fee_item_once_per_version",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.kind == FeeKind.VISIT:
            return f"Visit {self.visit_definition}"
        if self.kind == FeeKind.MILESTONE:
            return f"Milestone: {self.get_milestone_kind_display()}"
        return self.get_item_category_display()


# --- earnings ----------------------------------------------------------------------------------


class EarningKind(models.TextChoices):
    VISIT = "visit", "Subject visit"
    SCREEN_FAILURE = "screen_failure", "Screen failure"
    MILESTONE = "milestone", "Milestone"
    REVERSAL = "reversal", "Reversal"
    HOLDBACK_RELEASE = "holdback_release", "Holdback release"
    ADJUSTMENT = "adjustment", "Adjustment (dispute)"


@pghistory.track()
class Earning(models.Model):
    """Money a site earned from an event, accrued automatically. Each event earns at most once
    (partial unique constraints on the source while the line is not reversed); undoing the
    event adds a linked negative ``reversal`` line, never a deletion."""

    study_site_path = "study_site"

    study_site = models.ForeignKey(StudySite, on_delete=models.PROTECT, related_name="earnings")
    budget_version = models.ForeignKey(
        BudgetVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="earnings"
    )
    kind = models.CharField(max_length=20, choices=EarningKind.choices)
    subject_visit = models.ForeignKey(
        SubjectVisit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    milestone = models.ForeignKey(
        Milestone, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    reversed_at = models.DateTimeField(null=True, blank=True)
    event_date = models.DateField()
    description = models.CharField(max_length=300)
    amount = money_field()
    currency = models.CharField(max_length=3)
    holdback_exempt = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("earning")]
        ordering = ["-event_date", "-pk"]
        constraints = [
            _choices_check("kind", EarningKind, "earning_kind_valid"),
            _currency_check("earning_currency_iso4217"),
            models.UniqueConstraint(
                fields=["subject_visit"],
                condition=Q(kind="visit", reversed_at__isnull=True),
                name="earning_once_per_visit",
            ),
            models.UniqueConstraint(
                fields=["subject"],
                condition=Q(kind="screen_failure", reversed_at__isnull=True),
                name="earning_once_per_screen_failure",
            ),
            models.UniqueConstraint(
                fields=["milestone"],
                condition=Q(kind="milestone", reversed_at__isnull=True),
                name="earning_once_per_milestone",
            ),
            models.UniqueConstraint(
                fields=["study_site"],
                condition=Q(kind="holdback_release"),
                name="earning_one_holdback_release",
            ),
            models.CheckConstraint(
                condition=~Q(kind="reversal") | Q(reverses__isnull=False, amount__lte=0),
                name="earning_reversal_is_linked_and_negative",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["reversal", "adjustment"]) | Q(amount__gte=0),
                name="earning_non_reversal_non_negative_v2",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(amount=0),
                name="earning_adjustment_non_zero",
            ),
        ]
        indexes = [
            models.Index(fields=["study_site", "event_date"]),
            # The earnings list's order (newest first): its first page comes from the index.
            models.Index(fields=["event_date", "id"], name="earning_event_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.description} {format_money(self.amount, self.currency)}"


# --- invoices ----------------------------------------------------------------------------------


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval", "Awaiting second approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    PAID = "paid", "Paid"


INVOICE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    InvoiceStatus.DRAFT: (InvoiceStatus.SUBMITTED,),
    InvoiceStatus.SUBMITTED: (
        InvoiceStatus.APPROVED,
        InvoiceStatus.AWAITING_SECOND_APPROVAL,
        InvoiceStatus.REJECTED,
        InvoiceStatus.CHANGES_REQUESTED,
    ),
    InvoiceStatus.AWAITING_SECOND_APPROVAL: (
        InvoiceStatus.APPROVED,
        InvoiceStatus.REJECTED,
        InvoiceStatus.CHANGES_REQUESTED,
    ),
    InvoiceStatus.CHANGES_REQUESTED: (InvoiceStatus.SUBMITTED,),
    InvoiceStatus.APPROVED: (InvoiceStatus.PAID,),
    InvoiceStatus.REJECTED: (),
    InvoiceStatus.PAID: (),
}
INVOICE_EDITABLE = (InvoiceStatus.DRAFT, InvoiceStatus.CHANGES_REQUESTED)


@pghistory.track()
class SiteInvoice(models.Model):
    """A site's invoice for pass-through costs named in its budget."""

    study_site_path = "study_site"

    study_site = models.ForeignKey(StudySite, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=40)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=30, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    total = money_field(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    first_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        triggers = [protect_delete("site_invoice")]
        ordering = ["-created_at", "-pk"]
        constraints = [
            _choices_check("status", InvoiceStatus, "site_invoice_status_valid"),
            _currency_check("site_invoice_currency_iso4217"),
            models.UniqueConstraint(
                fields=["study_site", "number"], name="site_invoice_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(total__gte=0), name="site_invoice_total_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("submitted_by")),
                name="site_invoice_approver_not_submitter",
            ),
            models.CheckConstraint(
                condition=Q(first_approved_by__isnull=True)
                | ~Q(first_approved_by=F("submitted_by")),
                name="site_invoice_first_approver_not_submitter",
            ),
            models.CheckConstraint(
                condition=Q(first_approved_by__isnull=True)
                | Q(approved_by__isnull=True)
                | ~Q(first_approved_by=F("approved_by")),
                name="site_invoice_two_different_approvers",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            # The invoice list's default order (newest first), LIMIT included.
            models.Index(fields=["created_at", "id"], name="site_invoice_created_idx"),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("payments_invoice_detail", kwargs={"invoice_id": self.pk})

    def signature_content(self) -> dict:
        return {
            "invoice": self.number,
            "study_site": self.study_site_id,
            "currency": self.currency,
            "total": str(self.total),
            "lines": [
                [
                    line.pk,
                    line.item_category,
                    str(line.service_date),
                    line.quantity,
                    str(line.amount),
                ]
                for line in self.lines.order_by("pk")
            ],
        }


@pghistory.track()
class InvoiceLine(models.Model):
    study_site_path = "invoice__study_site"

    invoice = models.ForeignKey(SiteInvoice, on_delete=models.PROTECT, related_name="lines")
    fee = models.ForeignKey(Fee, on_delete=models.PROTECT, related_name="+")
    item_category = models.CharField(max_length=20, choices=ItemCategory.choices)
    description = models.CharField(max_length=300, blank=True)
    service_date = models.DateField()
    quantity = models.PositiveIntegerField()
    unit_amount = money_field()
    amount = money_field()
    currency = models.CharField(max_length=3)
    attachment = models.FileField(upload_to="payments/invoices/%Y/%m/", blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    withdrawn = models.BooleanField(default=False)

    class Meta:
        triggers = [protect_delete("invoice_line")]
        ordering = ["invoice", "service_date", "pk"]
        constraints = [
            _choices_check("item_category", ItemCategory, "invoice_line_category_valid"),
            _currency_check("invoice_line_currency_iso4217"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="invoice_line_quantity_pos"),
            models.CheckConstraint(
                condition=Q(unit_amount__gt=0) & Q(amount__gt=0),
                name="invoice_line_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_category_display()} {self.service_date}"


# --- payment runs ------------------------------------------------------------------------------


class PaymentRunStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    PAID = "paid", "Paid"


PAYMENT_RUN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PaymentRunStatus.DRAFT: (PaymentRunStatus.APPROVED,),
    PaymentRunStatus.APPROVED: (PaymentRunStatus.PAID,),
    PaymentRunStatus.PAID: (),
}


@pghistory.track()
class PaymentRun(models.Model):
    """One payment to one study-site for one period: approved earnings and approved invoice
    lines not paid yet, with holdback withheld per line."""

    study_site_path = "study_site"

    study_site = models.ForeignKey(StudySite, on_delete=models.PROTECT, related_name="payment_runs")
    period_start = models.DateField()
    period_end = models.DateField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=PaymentRunStatus.choices, default=PaymentRunStatus.DRAFT
    )
    gross = money_field(default=0)
    holdback = money_field(default=0)
    net = money_field(default=0)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_reference = models.CharField(max_length=100, blank=True)
    payment_date = models.DateField(null=True, blank=True)

    class Meta:
        triggers = [protect_delete("payment_run")]
        ordering = ["-created_at", "-pk"]
        constraints = [
            _choices_check("status", PaymentRunStatus, "payment_run_status_valid"),
            _currency_check("payment_run_currency_iso4217"),
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")), name="payment_run_period_valid"
            ),
            models.CheckConstraint(
                condition=Q(gross=F("holdback") + F("net")), name="payment_run_gross_adds_up"
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="payment_run_approver_not_preparer",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid")
                | (Q(payment_date__isnull=False) & ~Q(payment_reference="")),
                name="payment_run_paid_has_reference",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            # The payment run list's default order (newest first), LIMIT included.
            models.Index(fields=["created_at", "id"], name="payment_run_created_idx"),
        ]

    def __str__(self) -> str:
        return f"Payment run #{self.pk} ({self.period_start} – {self.period_end})"

    def get_absolute_url(self) -> str:
        return reverse("payments_run_detail", kwargs={"payment_run_id": self.pk})

    def signature_content(self) -> dict:
        return {
            "payment_run": self.pk,
            "study_site": self.study_site_id,
            "period": [str(self.period_start), str(self.period_end)],
            "currency": self.currency,
            "gross": str(self.gross),
            "holdback": str(self.holdback),
            "net": str(self.net),
            "lines": [
                [line.earning_id, line.invoice_line_id, str(line.gross), str(line.holdback)]
                for line in self.lines.order_by("pk")
            ],
        }


@pghistory.track()
class PaymentRunLine(models.Model):
    """One line a run pays. An earning or invoice line is in at most one run (unique)."""

    study_site_path = "run__study_site"

    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, related_name="lines")
    earning = models.OneToOneField(
        Earning, on_delete=models.PROTECT, null=True, blank=True, related_name="run_line"
    )
    invoice_line = models.OneToOneField(
        InvoiceLine, on_delete=models.PROTECT, null=True, blank=True, related_name="run_line"
    )
    description = models.CharField(max_length=300)
    event_date = models.DateField()
    gross = money_field()
    holdback = money_field()
    net = money_field()
    currency = models.CharField(max_length=3)

    class Meta:
        triggers = [protect_delete("payment_run_line")]
        ordering = ["run", "event_date", "pk"]
        constraints = [
            _currency_check("payment_run_line_currency_iso4217"),
            models.CheckConstraint(
                condition=Q(earning__isnull=False, invoice_line__isnull=True)
                | Q(earning__isnull=True, invoice_line__isnull=False),
                name="payment_run_line_one_source",
            ),
            models.CheckConstraint(
                condition=Q(gross=F("holdback") + F("net")), name="payment_run_line_adds_up"
            ),
        ]

    def __str__(self) -> str:
        return self.description


# --- disputes ----------------------------------------------------------------------------------


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted (adjusted)"
    REJECTED = "rejected", "Rejected"


DISPUTE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    DisputeStatus.OPEN: (DisputeStatus.ACCEPTED, DisputeStatus.REJECTED),
    DisputeStatus.ACCEPTED: (),
    DisputeStatus.REJECTED: (),
}


@pghistory.track()
class PaymentDispute(models.Model):
    """The site disputes an earning or a paid run line with a comment; CRO finance accepts it
    (a linked ``adjustment`` earning corrects the amount, positive or negative; the original is
    never edited) or rejects it with a reason. One open dispute per disputed line."""

    study_site_path = "study_site"

    study_site = models.ForeignKey(StudySite, on_delete=models.PROTECT, related_name="disputes")
    earning = models.ForeignKey(
        Earning, on_delete=models.PROTECT, null=True, blank=True, related_name="disputes"
    )
    run_line = models.ForeignKey(
        PaymentRunLine, on_delete=models.PROTECT, null=True, blank=True, related_name="disputes"
    )
    status = models.CharField(max_length=10, choices=DisputeStatus.choices, default="open")
    comment = models.TextField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    adjustment = models.OneToOneField(
        Earning, on_delete=models.PROTECT, null=True, blank=True, related_name="adjusting_dispute"
    )

    class Meta:
        triggers = [protect_delete("payment_dispute")]
        ordering = ["-raised_at", "-pk"]
        constraints = [
            _choices_check("status", DisputeStatus, "payment_dispute_status_valid"),
            models.CheckConstraint(
                condition=Q(earning__isnull=False, run_line__isnull=True)
                | Q(earning__isnull=True, run_line__isnull=False),
                name="payment_dispute_one_target",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(adjustment__isnull=False),
                name="payment_dispute_accepted_has_adjustment",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | (Q(answered_by__isnull=False) & ~Q(answer="")),
                name="payment_dispute_answered_has_answer",
            ),
            models.UniqueConstraint(
                fields=["earning"],
                condition=Q(status="open", earning__isnull=False),
                name="payment_dispute_one_open_per_earning",
            ),
            models.UniqueConstraint(
                fields=["run_line"],
                condition=Q(status="open", run_line__isnull=False),
                name="payment_dispute_one_open_per_run_line",
            ),
        ]
        indexes = [models.Index(fields=["status", "raised_at"])]

    def __str__(self) -> str:
        return f"Dispute #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("payments_dispute_detail", kwargs={"payment_dispute_id": self.pk})

    @property
    def target_description(self) -> str:
        return self.earning.description if self.earning_id else self.run_line.description

    @property
    def target_amount(self):
        return self.earning.amount if self.earning_id else self.run_line.gross

    @property
    def currency(self) -> str:
        return self.earning.currency if self.earning_id else self.run_line.currency


@pghistory.track()
class IdempotentResponse(models.Model):
    """The first answer to an API action sent with an ``Idempotency-Key`` header; a replay with
    the same key by the same user returns it unchanged."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=100)
    endpoint = models.CharField(max_length=200)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("idempotent_response")]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotent_response_unique")
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} ({self.key})"
