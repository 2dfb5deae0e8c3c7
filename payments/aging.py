"""Ageing of unpaid items against the payment terms, in SQL (no per-row Python).

An unpaid item is an earning not in a paid run, or a line of an approved invoice not in a paid
run. It falls due ``payment_terms_days`` after its base date: the event date for an earning, the
approval date for an invoice line, with the terms of the budget version in force on that date.
Days overdue = today − due date; buckets: not yet due (≤ 0), 0–30, 31–60, 61–90, over 90.
"""

from datetime import date, timedelta

from django.db.models import (
    Case,
    CharField,
    DateField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate

from payments.models import (
    BudgetVersion,
    Earning,
    InvoiceLine,
    InvoiceStatus,
    PaymentRunStatus,
)

DEFAULT_TERMS_DAYS = 30
NOT_DUE = "not_due"
BUCKETS: list[tuple[str, str]] = [
    (NOT_DUE, "Not yet due"),
    ("d0_30", "0–30 days overdue"),
    ("d31_60", "31–60 days overdue"),
    ("d61_90", "61–90 days overdue"),
    ("d90_plus", "Over 90 days overdue"),
]
OVERDUE_KEYS = [key for key, _ in BUCKETS if key != NOT_DUE]


def _terms_in_force(study_site_ref, on_ref) -> Subquery:
    return Subquery(
        BudgetVersion.objects.filter(budget__study_site=study_site_ref, effective_date__lte=on_ref)
        .order_by("-effective_date", "-number")
        .values("payment_terms_days")[:1],
        output_field=IntegerField(),
    )


def _bucket(today: date) -> Case:
    def before(days: int) -> date:
        return today - timedelta(days=days)

    return Case(
        When(due_date__gte=today, then=Value(NOT_DUE)),
        When(due_date__gte=before(30), then=Value("d0_30")),
        When(due_date__gte=before(60), then=Value("d31_60")),
        When(due_date__gte=before(90), then=Value("d61_90")),
        default=Value("d90_plus"),
        output_field=CharField(),
    )


def _aged(queryset: QuerySet, today: date) -> QuerySet:
    return queryset.annotate(
        due_date=ExpressionWrapper(F("base_date") + F("terms"), output_field=DateField())
    ).annotate(bucket=_bucket(today))


def unpaid_earnings(study_sites: QuerySet, today: date) -> QuerySet[Earning]:
    queryset = (
        Earning.objects.filter(study_site__in=study_sites)
        .exclude(run_line__run__status=PaymentRunStatus.PAID)
        .annotate(
            site_ref=F("study_site_id"),
            base_date=F("event_date"),
            terms=Coalesce(
                F("budget_version__payment_terms_days"),
                _terms_in_force(OuterRef("study_site_id"), OuterRef("event_date")),
                Value(DEFAULT_TERMS_DAYS),
            ),
        )
    )
    return _aged(queryset, today)


def unpaid_invoice_lines(study_sites: QuerySet, today: date) -> QuerySet[InvoiceLine]:
    queryset = (
        InvoiceLine.objects.filter(
            invoice__study_site__in=study_sites,
            invoice__status=InvoiceStatus.APPROVED,
            invoice__approved_at__isnull=False,
            withdrawn=False,
        )
        .exclude(run_line__run__status=PaymentRunStatus.PAID)
        .annotate(site_ref=F("invoice__study_site_id"), base_date=TruncDate("invoice__approved_at"))
        .annotate(
            terms=Coalesce(
                _terms_in_force(OuterRef("invoice__study_site_id"), OuterRef("base_date")),
                Value(DEFAULT_TERMS_DAYS),
            )
        )
    )
    return _aged(queryset, today)
