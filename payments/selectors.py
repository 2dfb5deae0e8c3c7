"""Reads of site payments for pages and the API; every one starts from trials.access."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from core.panels import first_rows
from payments import aging
from payments.models import (
    BudgetVersion,
    DisputeStatus,
    Earning,
    EarningKind,
    Fee,
    InvoiceLine,
    InvoiceStatus,
    PaymentDispute,
    PaymentRun,
    PaymentRunLine,
    PaymentRunStatus,
    SiteInvoice,
)
from trials import access
from trials.models import Study, StudySite

MONEY = DecimalField(max_digits=16, decimal_places=2)
REVIEW_STATUSES = (InvoiceStatus.SUBMITTED, InvoiceStatus.AWAITING_SECOND_APPROVAL)
APPROVED_STATUSES = (InvoiceStatus.APPROVED, InvoiceStatus.PAID)


def _sum(queryset: QuerySet, field: str) -> Coalesce:
    """A correlated ``SUM`` as one subquery column (no join fan-out between the sums)."""
    summed = queryset.order_by().values("grouped").annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(summed, output_field=MONEY), Value(Decimal(0)), output_field=MONEY)


def payment_summary_list(*, actor: User, filters: dict | None = None) -> QuerySet[StudySite]:
    """Every visible study-site with a budget, with what it earned, invoiced, got approved,
    was paid, has withheld and is still owed — one SQL query whatever the size."""
    filters = filters or {}
    site = OuterRef("pk")
    earnings = (
        Earning.objects.filter(study_site=site)
        .exclude(kind=EarningKind.HOLDBACK_RELEASE)
        .annotate(grouped=F("study_site_id"))
    )
    invoices = SiteInvoice.objects.filter(study_site=site).annotate(grouped=F("study_site_id"))
    paid_lines = PaymentRunLine.objects.filter(
        run__study_site=site, run__status=PaymentRunStatus.PAID
    ).annotate(grouped=F("run__study_site_id"))
    queryset = (
        access.visible_study_sites(actor)
        .filter(budget__isnull=False)
        .select_related("study", "study__cro", "site", "budget")
        .annotate(
            earned=_sum(earnings, "amount"),
            invoiced=_sum(
                invoices.exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.REJECTED]),
                "total",
            ),
            approved=_sum(invoices.filter(status__in=APPROVED_STATUSES), "total"),
            paid_net=_sum(paid_lines, "net"),
            held_gross=_sum(paid_lines, "holdback"),
            released=_sum(paid_lines.filter(earning__kind=EarningKind.HOLDBACK_RELEASE), "gross"),
        )
        .annotate(
            held=F("held_gross") - F("released"),
            outstanding=F("earned")
            + F("approved")
            - F("paid_net")
            - F("held_gross")
            + F("released"),
        )
        .order_by("study__cro__name", "study__protocol_number", "site_number")
    )
    if filters.get("study"):
        queryset = queryset.filter(study_id=filters["study"])
    if filters.get("q"):
        term = filters["q"]
        queryset = queryset.filter(
            Q(study__protocol_number__icontains=term) | Q(site__name__icontains=term)
        )
    sort = filters.get("sort")
    if sort in {"outstanding", "-outstanding", "earned", "-earned", "held", "-held"}:
        queryset = queryset.order_by(sort, "pk")
    return queryset


def payment_summary_get(*, actor: User, study_site_id) -> StudySite:
    study_site = access.get_visible_or_404(
        StudySite.objects.select_related("study", "study__cro", "study__sponsor", "site"),
        actor,
        study_site_id,
    )
    summary = payment_summary_list(actor=actor).filter(pk=study_site.pk).first()
    return summary or study_site


def study_site_get(*, actor: User, study_site_id) -> StudySite:
    return access.get_visible_or_404(
        StudySite.objects.select_related("study", "study__cro", "study__sponsor", "site"),
        actor,
        study_site_id,
    )


def budget_version_list(*, actor: User, study_site: StudySite) -> QuerySet[BudgetVersion]:
    return (
        access.scope(BudgetVersion.objects.filter(budget__study_site=study_site), actor)
        .select_related("budget", "created_by")
        .prefetch_related(
            Prefetch(
                "fees",
                queryset=Fee.objects.select_related("visit_definition").order_by(
                    "kind", "visit_definition__order", "milestone_kind", "item_category"
                ),
            )
        )
        .order_by("-effective_date", "-number")
    )


def budget_list(*, actor: User, filters: dict | None = None) -> QuerySet[BudgetVersion]:
    """The current (latest) version of each visible budget, for the API."""
    filters = filters or {}
    queryset = (
        access.scope(BudgetVersion.objects.all(), actor)
        .select_related("budget", "budget__study_site", "budget__study_site__study")
        .prefetch_related(Prefetch("fees", queryset=Fee.objects.select_related("visit_definition")))
    )
    if filters.get("study_site"):
        queryset = queryset.filter(budget__study_site_id=filters["study_site"])
    return queryset.order_by("budget__study_site_id", "-effective_date", "-number")


@dataclass
class AgedItem:
    """An unpaid item with its age against the payment terms."""

    due_date: date
    days_overdue: int

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def _age(event_date: date, terms: int, today: date) -> AgedItem:
    due = event_date + timedelta(days=terms)
    return AgedItem(due_date=due, days_overdue=max((today - due).days, 0))


def earning_list(
    *, actor: User, study_site: StudySite | None = None, filters: dict | None = None
) -> QuerySet[Earning]:
    filters = filters or {}
    queryset = access.scope(Earning.objects.all(), actor).select_related(
        "study_site",
        "study_site__study",
        "budget_version",
        "run_line",
        "run_line__run",
    )
    if study_site is not None:
        queryset = queryset.filter(study_site=study_site)
    if filters.get("study_site"):
        queryset = queryset.filter(study_site_id=filters["study_site"])
    if filters.get("kind"):
        queryset = queryset.filter(kind=filters["kind"])
    if filters.get("unpaid"):
        queryset = queryset.exclude(run_line__run__status=PaymentRunStatus.PAID)
    return queryset.order_by("-event_date", "-pk")


def with_aging(earnings, *, today: date | None = None) -> list:
    """Attach ``aging`` (due date, days overdue) to every earning not paid yet."""
    today = today or timezone.localdate()
    rows = list(earnings)
    for earning in rows:
        run_line = getattr(earning, "run_line", None) if hasattr(earning, "run_line") else None
        paid = run_line is not None and run_line.run.status == PaymentRunStatus.PAID
        terms = earning.budget_version.payment_terms_days if earning.budget_version else 30
        earning.payment = run_line.run if run_line is not None else None
        earning.aging = None if paid else _age(earning.event_date, terms, today)
    return rows


def invoice_list(*, actor: User, filters: dict | None = None) -> QuerySet[SiteInvoice]:
    filters = filters or {}
    queryset = access.scope(SiteInvoice.objects.all(), actor).select_related(
        "study_site",
        "study_site__study",
        "study_site__study__cro",
        "study_site__site",
        "submitted_by",
    )
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("study_site"):
        queryset = queryset.filter(study_site_id=filters["study_site"])
    if filters.get("to_review"):
        queryset = queryset.filter(status__in=REVIEW_STATUSES)
    sort = filters.get("sort")
    if sort in {"total", "-total", "submitted_at", "-submitted_at", "number", "-number"}:
        return queryset.order_by(sort, "pk")
    return queryset.order_by("-created_at", "-pk")


def invoice_get(*, actor: User, invoice_id) -> SiteInvoice:
    return access.get_visible_or_404(
        SiteInvoice.objects.select_related(
            "study_site",
            "study_site__study",
            "study_site__study__cro",
            "study_site__site",
            "created_by",
            "submitted_by",
            "first_approved_by",
            "approved_by",
            "reviewed_by",
        ),
        actor,
        invoice_id,
    )


def invoice_line_list(*, actor: User, invoice: SiteInvoice) -> QuerySet[InvoiceLine]:
    return (
        access.scope(InvoiceLine.objects.filter(invoice=invoice), actor)
        .select_related("run_line", "run_line__run")
        .order_by("service_date", "pk")
    )


def invoice_line_get(*, actor: User, invoice_line_id) -> InvoiceLine:
    return access.get_visible_or_404(
        InvoiceLine.objects.select_related("invoice"), actor, invoice_line_id
    )


def payment_run_list(*, actor: User, filters: dict | None = None) -> QuerySet[PaymentRun]:
    filters = filters or {}
    queryset = access.scope(PaymentRun.objects.all(), actor).select_related(
        "study_site",
        "study_site__study",
        "study_site__study__cro",
        "study_site__site",
        "prepared_by",
        "approved_by",
    )
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("study_site"):
        queryset = queryset.filter(study_site_id=filters["study_site"])
    sort = filters.get("sort")
    if sort in {"net", "-net", "created_at", "-created_at", "period_end", "-period_end"}:
        return queryset.order_by(sort, "pk")
    return queryset.order_by("-created_at", "-pk")


def payment_run_get(*, actor: User, payment_run_id) -> PaymentRun:
    return access.get_visible_or_404(
        PaymentRun.objects.select_related(
            "study_site",
            "study_site__study",
            "study_site__study__cro",
            "study_site__site",
            "prepared_by",
            "approved_by",
            "paid_by",
        ),
        actor,
        payment_run_id,
    )


def payment_run_line_list(*, actor: User, run: PaymentRun) -> QuerySet[PaymentRunLine]:
    return (
        access.scope(PaymentRunLine.objects.filter(run=run), actor)
        .select_related("earning", "invoice_line", "invoice_line__invoice")
        .order_by("event_date", "pk")
    )


def _queue(
    queryset: QuerySet, ordering: tuple[str, ...], limit: int, related: tuple[str, ...] = ()
) -> dict:
    """The first rows of one finance queue with the site name each shows, and the queue's
    length up to core.panels.COUNT_CAP, in one SQL query (joining only what the panel shows
    keeps Postgres' planning short)."""
    queryset = queryset.select_related(None).select_related("study_site__site", *related)
    return first_rows(queryset.order_by(*ordering, "pk"), limit)


def finance_queue(*, actor: User, limit: int = 10) -> dict:
    """The finance dashboard's queues: invoices to review, runs to approve and pay, open
    disputes. Four queries whatever the data size: one per queue (its first rows and capped
    length). The overdue payables (``overdue_payables``) sum every unpaid item instead: the
    dashboard panel keeps them for a minute."""
    invoices = _queue(
        invoice_list(actor=actor, filters={"to_review": True}), ("submitted_at",), limit
    )
    runs = _queue(
        payment_run_list(actor=actor, filters={"status": PaymentRunStatus.DRAFT}),
        ("created_at",),
        limit,
    )
    to_pay = _queue(
        payment_run_list(actor=actor, filters={"status": PaymentRunStatus.APPROVED}),
        ("approved_at",),
        limit,
    )
    disputes = _queue(
        dispute_list(actor=actor, filters={"status": DisputeStatus.OPEN}),
        ("raised_at",),
        limit,
        related=("earning", "run_line"),
    )
    return {
        "invoices": invoices["rows"],
        "invoice_count": invoices["count"],
        "invoice_capped": invoices["capped"],
        "runs": runs["rows"],
        "run_count": runs["count"],
        "run_capped": runs["capped"],
        "to_pay": to_pay["rows"],
        "to_pay_count": to_pay["count"],
        "to_pay_capped": to_pay["capped"],
        "disputes": disputes["rows"],
        "dispute_count": disputes["count"],
        "dispute_capped": disputes["capped"],
    }


# --- disputes ----------------------------------------------------------------------------------


def dispute_list(*, actor: User, filters: dict | None = None) -> QuerySet[PaymentDispute]:
    filters = filters or {}
    queryset = access.scope(PaymentDispute.objects.all(), actor).select_related(
        "study_site",
        "study_site__study",
        "study_site__site",
        "earning",
        "run_line",
        "run_line__run",
        "raised_by",
        "answered_by",
        "adjustment",
    )
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("study_site"):
        queryset = queryset.filter(study_site_id=filters["study_site"])
    sort = filters.get("sort")
    if sort in {"raised_at", "-raised_at", "status", "-status"}:
        return queryset.order_by(sort, "pk")
    return queryset.order_by("-raised_at", "-pk")


def dispute_get(*, actor: User, payment_dispute_id) -> PaymentDispute:
    return access.get_visible_or_404(dispute_list(actor=actor), actor, payment_dispute_id)


def open_disputes_by_target(*, actor: User, study_site: StudySite) -> dict[str, set[int]]:
    """Ids of earnings and run lines of this study-site that have an open dispute (one query)."""
    rows = dispute_list(
        actor=actor, filters={"study_site": study_site.pk, "status": DisputeStatus.OPEN}
    ).values_list("earning_id", "run_line_id")
    result: dict[str, set[int]] = {"earnings": set(), "run_lines": set()}
    for earning_id, run_line_id in rows:
        if earning_id:
            result["earnings"].add(earning_id)
        if run_line_id:
            result["run_lines"].add(run_line_id)
    return result


def payment_run_line_get(*, actor: User, payment_run_line_id) -> PaymentRunLine:
    return access.get_visible_or_404(
        PaymentRunLine.objects.select_related("run", "run__study_site"), actor, payment_run_line_id
    )


def earning_get(*, actor: User, earning_id) -> Earning:
    return access.get_visible_or_404(
        Earning.objects.select_related("study_site"), actor, earning_id
    )


# --- aging -------------------------------------------------------------------------------------


def aging_study_sites(*, actor: User, filters: dict | None = None) -> QuerySet[StudySite]:
    """Visible study-sites with a budget, the rows of the aging report."""
    filters = filters or {}
    queryset = (
        access.visible_study_sites(actor)
        .filter(budget__isnull=False)
        .select_related("study", "study__cro", "site", "budget")
        .order_by("study__protocol_number", "site_number", "pk")
    )
    if filters.get("study"):
        queryset = queryset.filter(study_id=filters["study"])
    return queryset


def _grouped(queryset, fields: tuple[str, ...]):
    return (
        queryset.order_by()
        .values(*fields)
        .annotate(total=Coalesce(Sum("amount"), Value(Decimal(0)), output_field=MONEY))
        .annotate(items=Count("pk"))
    )


def _bucket_rows(study_sites: QuerySet, fields: tuple[str, ...], today: date) -> list[dict]:
    """Unpaid totals grouped by ``fields`` (two queries: earnings, invoice lines)."""
    return [
        *_grouped(aging.unpaid_earnings(study_sites, today), fields),
        *_grouped(aging.unpaid_invoice_lines(study_sites, today), fields),
    ]


def _empty_buckets() -> dict[str, Decimal]:
    return {key: Decimal("0.00") for key, _ in aging.BUCKETS}


def aging_by_site(
    *, actor: User, study_sites: list[StudySite], today: date | None = None
) -> dict[int, dict]:
    """For the given (visible) study-sites: unpaid totals per bucket and currency."""
    today = today or timezone.localdate()
    ids = [study_site.pk for study_site in study_sites]
    scoped = access.visible_study_sites(actor).filter(pk__in=ids)
    result: dict[int, dict] = {}
    for row in _bucket_rows(scoped, ("site_ref", "currency", "bucket"), today):
        entry = result.setdefault(
            row["site_ref"],
            {"currencies": {}, "items": 0},
        )
        buckets = entry["currencies"].setdefault(row["currency"], _empty_buckets())
        buckets[row["bucket"]] += row["total"]
        entry["items"] += row["items"]
    return result


@dataclass
class AgingTotal:
    currency: str
    buckets: list[tuple[str, str, Decimal]]  # key, label, amount
    items: int

    @property
    def total(self) -> Decimal:
        return sum((amount for _, _, amount in self.buckets), Decimal(0))

    @property
    def overdue(self) -> Decimal:
        return sum((amount for key, _, amount in self.buckets if key != aging.NOT_DUE), Decimal(0))


def aging_totals(
    *, actor: User, filters: dict | None = None, today: date | None = None
) -> list[AgingTotal]:
    """Unpaid totals per currency and bucket across every visible study-site (two queries)."""
    today = today or timezone.localdate()
    study_sites = aging_study_sites(actor=actor, filters=filters).order_by()
    per_currency: dict[str, dict] = {}
    for row in _bucket_rows(study_sites, ("currency", "bucket"), today):
        entry = per_currency.setdefault(row["currency"], {"buckets": _empty_buckets(), "items": 0})
        entry["buckets"][row["bucket"]] += row["total"]
        entry["items"] += row["items"]
    return [
        AgingTotal(
            currency=currency,
            buckets=[(key, label, entry["buckets"][key]) for key, label in aging.BUCKETS],
            items=entry["items"],
        )
        for currency, entry in sorted(per_currency.items())
    ]


def overdue_payables(*, actor: User, today: date | None = None) -> dict:
    """Items past the payment terms, per currency, for the finance dashboard (two queries)."""
    today = today or timezone.localdate()
    study_sites = aging_study_sites(actor=actor).order_by()
    totals: dict[str, Decimal] = {}
    items = 0
    for queryset in (
        aging.unpaid_earnings(study_sites, today),
        aging.unpaid_invoice_lines(study_sites, today),
    ):
        grouped = _grouped(queryset.filter(due_date__lt=today), ("currency",))
        for row in grouped:
            totals[row["currency"]] = totals.get(row["currency"], Decimal(0)) + row["total"]
            items += row["items"]
    return {"totals": sorted(totals.items()), "items": items}


def aging_study_get(*, actor: User, study_id) -> Study:
    return access.get_visible_or_404(Study.objects.all(), actor, study_id)


def aging_items(*, actor: User, study: Study, today: date | None = None):
    """Every unpaid item of one study's visible study-sites, for the CSV export: two
    querysets read with server-side cursors (never all in memory)."""
    today = today or timezone.localdate()
    study_sites = access.visible_study_sites(actor).filter(study=study).order_by()
    earnings = (
        aging.unpaid_earnings(study_sites, today)
        .select_related("study_site", "study_site__site")
        .order_by("study_site__site_number", "event_date", "pk")
    )
    lines = (
        aging.unpaid_invoice_lines(study_sites, today)
        .select_related("invoice", "invoice__study_site", "invoice__study_site__site")
        .order_by("invoice__study_site__site_number", "service_date", "pk")
    )
    return earnings, lines
