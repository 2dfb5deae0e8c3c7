"""The scorecard measures: what each one means, and how it is computed for many study-sites at
once.

Every measure takes an ``as_of`` date and counts only what had happened by the end of that day
(UTC), so the same code answers "what is it now" and "what was it at the end of month M" (the
monthly snapshots are written with it). Each source table is read by one grouped query over
the whole set of study-sites, whatever their number: ``scorecards()`` runs a constant number
of queries (one per source), grouped either per study-site or per site organization (the
site-wide line across studies).

The callers pass a queryset of study-sites they already narrowed through ``trials.access``;
nothing here decides who may see what.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Aggregate,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from monitoring.models import ActionItem, ActionItemOwner
from payments.models import Earning, EarningKind, PaymentRunStatus
from queries.models import DataQuery, DataQueryAction, QueryMessage
from regulatory.models import Document, DocumentRequirement, DocumentVersion, ReviewStatus
from safety.models import AdverseEvent
from trials.models import StudySite, Subject, SubjectStatus, SubjectVisit, SubjectVisitStatus

GROUP_STUDY_SITE = "study_site"
GROUP_SITE = "site"
OPEN_QUERY_DAYS = 30

PERCENT = "percent"
DAYS = "days"
COUNT = "count"
RATIO = "ratio"


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    short: str  # column heading
    definition: str
    unit: str  # percent | days | count | ratio
    higher_is_better: bool

    @property
    def places(self) -> int:
        return {PERCENT: 1, DAYS: 1, COUNT: 0, RATIO: 2}[self.unit]

    def quantize(self, value) -> Decimal | None:
        if value is None:
            return None
        exponent = Decimal(1).scaleb(-self.places)
        return Decimal(str(value)).quantize(exponent, rounding=ROUND_HALF_UP)

    def format(self, value) -> str:
        """How a value reads on a page: "62.5%", "4.0 days", "3", "0.25"; "—" when there is
        nothing to measure."""
        if value is None:
            return "—"
        value = self.quantize(value)
        if self.unit == PERCENT:
            return f"{value}%"
        if self.unit == DAYS:
            return f"{value} day{'' if value == 1 else 's'}"
        return str(value)


MEASURES: tuple[Measure, ...] = (
    Measure(
        "enrollment",
        "Enrollment vs target",
        "Enrolled",
        "Subjects enrolled on or before the as-of date (whatever became of them later: active, "
        "completed or withdrawn), as a percentage of the study-site's enrollment target. "
        "Shown as — when no target is set.",
        PERCENT,
        True,
    ),
    Measure(
        "screen_failure",
        "Screen-failure rate",
        "Screen failures",
        "Of the subjects screened on or before the as-of date who have a screening outcome "
        "(enrolled or screen failed), the percentage who failed screening. Shown as — when no "
        "subject has an outcome yet.",
        PERCENT,
        False,
    ),
    Measure(
        "query_answer_days",
        "Median days to answer a query",
        "Days to answer",
        "For the data queries the site had answered by the as-of date, the median time from "
        "the query being raised to the site's first answer, in days. Shown as — when no query "
        "has been answered.",
        DAYS,
        False,
    ),
    Measure(
        "queries_open_30",
        "Queries open more than 30 days",
        "Open > 30 d",
        f"Data queries raised more than {OPEN_QUERY_DAYS} days before the end of the as-of "
        "date and not closed or cancelled by then (whether waiting on the site or on the "
        "CRO). Shown as — when no query had been raised.",
        COUNT,
        False,
    ),
    Measure(
        "deviations",
        "Protocol deviations per enrolled subject",
        "Deviations / subject",
        "Protocol deviations trials records on subject visits — visits done outside their "
        "window (with the deviation note) and visits missed — dated on or before the as-of "
        "date (a missed visit by the end of its window), divided by the subjects enrolled by "
        "then. Shown as — when no subject is enrolled.",
        RATIO,
        False,
    ),
    Measure(
        "sae_on_time",
        "SAEs reported within 24 h",
        "SAEs on time",
        "Initial serious adverse event reports whose 24-hour clock had run out (or that were "
        "reported) by the as-of date: the percentage reported to the CRO within 24 hours of "
        "the site becoming aware. Shown as — when there is no such report.",
        PERCENT,
        True,
    ),
    Measure(
        "documents_current",
        "Required documents current",
        "Documents current",
        "Of the documents the study requires of the site (one per active requirement; for "
        "personal documents, every one on file must be current), the percentage whose latest "
        "version uploaded by the as-of date was approved by then and had not expired. Shown "
        "as — when the study requires no document.",
        PERCENT,
        True,
    ),
    Measure(
        "action_items_on_time",
        "Action items closed on time",
        "Actions on time",
        "Of the monitoring action items owned by the site and due on or before the as-of "
        "date, the percentage closed on or before their due date (an item re-opened and not "
        "closed again does not count). Shown as — when none was due.",
        PERCENT,
        True,
    ),
    Measure(
        "visit_to_payment_days",
        "Days from visit to payment",
        "Visit → paid",
        "For subject-visit earnings paid in a payment run with a payment date on or before "
        "the as-of date, the median number of days from the visit (completed) to the payment "
        "date. Shown as — when no visit has been paid.",
        DAYS,
        False,
    ),
)
BY_KEY: dict[str, Measure] = {m.key: m for m in MEASURES}


@dataclass(frozen=True)
class Reading:
    """One measure's value for one study-site (or site) on one date, with what it is made of."""

    measure: Measure
    value: Decimal | None
    numerator: int | None = None
    denominator: int | None = None

    @property
    def key(self) -> str:
        return self.measure.key

    @property
    def display(self) -> str:
        return self.measure.format(self.value)

    @property
    def detail(self) -> str:
        n, d = self.numerator, self.denominator
        key = self.measure.key
        if key == "enrollment":
            return f"{n} of {d} enrolled" if d else f"{n} enrolled, no target set"
        if key == "screen_failure":
            return f"{n} of {d} with an outcome" if d else "no screening outcome yet"
        if key == "query_answer_days":
            return f"{d} quer{'y' if d == 1 else 'ies'} answered" if d else "no query answered"
        if key == "queries_open_30":
            return f"of {d} raised" if d else "no query raised"
        if key == "deviations":
            return f"{n} deviation{'' if n == 1 else 's'}, {d} enrolled" if d else "none enrolled"
        if key == "sae_on_time":
            return f"{n} of {d} on time" if d else "no SAE report due"
        if key == "documents_current":
            return f"{n} of {d} current" if d else "no document required"
        if key == "action_items_on_time":
            return f"{n} of {d} on time" if d else "no action item due"
        if key == "visit_to_payment_days":
            return f"{d} visit{'' if d == 1 else 's'} paid" if d else "no visit paid"
        return ""


@dataclass
class Scorecard:
    """Every measure for one study-site (or one site across its studies) on ``as_of``."""

    key: int
    as_of: date
    readings: dict[str, Reading] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Reading]:
        return (self.readings[m.key] for m in MEASURES)

    def __getitem__(self, key: str) -> Reading:
        return self.readings[key]

    def values(self) -> dict[str, Decimal | None]:
        return {key: reading.value for key, reading in self.readings.items()}


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``: the median of the non-null values."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _days_between_times(later, earlier) -> Func:
    return Func(
        later,
        earlier,
        template="EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0",
        arg_joiner=" - ",
        output_field=FloatField(),
    )


def _days_between_dates(later, earlier) -> Func:
    return Func(
        later, earlier, template="(%(expressions)s)", arg_joiner=" - ", output_field=FloatField()
    )


def today() -> date:
    """Today in UTC: the day boundaries of every measure (and of the snapshots) are UTC."""
    return timezone.now().date()


def end_of(as_of: date) -> datetime:
    """The first instant after the as-of day (UTC): everything before it counts."""
    return datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC)


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _grouped(
    queryset: QuerySet, path: str, group: str, study_site_ids: QuerySet, **aggregates
) -> dict[int, dict]:
    """One GROUP BY query: ``aggregates`` per study-site (or per site) of ``queryset``, whose
    rows reach their study-site through ``path``."""
    key_path = path if group == GROUP_STUDY_SITE else f"{path}__site"
    rows = (
        queryset.filter(**{f"{path}__in": study_site_ids})
        .order_by()
        .values(group_key=F(key_path))
        .annotate(**aggregates)
    )
    return {row.pop("group_key"): row for row in rows}


def _documents(study_site_ids: QuerySet, as_of: date, end: datetime, group: str) -> dict:
    """Per (requirement, study-site) pair: current when the site has the document on file and
    every copy on file (one per person for personal documents) is current on ``as_of``."""
    later = DocumentVersion.objects.filter(
        document=OuterRef("document"),
        uploaded_at__lt=end,
        version_number__gt=OuterRef("version_number"),
    )
    current_version = (
        DocumentVersion.objects.filter(
            document=OuterRef("pk"),
            uploaded_at__lt=end,
            status=ReviewStatus.APPROVED,
            reviewed_at__lt=end,
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=as_of))
        .filter(~Exists(later))
    )
    on_file = Document.objects.filter(
        study_site=OuterRef("pair_study_site"), requirement=OuterRef("pk"), created_at__lt=end
    )
    pairs = DocumentRequirement.objects.filter(
        is_active=True, created_at__lt=end, study__study_sites__in=study_site_ids
    ).annotate(
        pair_study_site=F("study__study_sites"),
        pair_site=F("study__study_sites__site"),
    )
    key = "pair_study_site" if group == GROUP_STUDY_SITE else "pair_site"
    rows = (
        pairs.order_by()
        .values(group_key=F(key))
        .annotate(
            required=Count("pk"),
            current=Count(
                "pk",
                filter=Q(Exists(on_file)) & ~Q(Exists(on_file.filter(~Exists(current_version)))),
            ),
        )
    )
    return {row.pop("group_key"): row for row in rows}


def scorecards(
    study_sites: QuerySet[StudySite], *, as_of: date, group: str = GROUP_STUDY_SITE
) -> dict[int, Scorecard]:
    """Every measure for every study-site in ``study_sites`` (``group="study_site"``), or for
    every site organization over its study-sites in ``study_sites`` (``group="site"``), as they
    stood at the end of ``as_of``. A constant number of queries (one per source table)."""
    end = end_of(as_of)
    ids = study_sites.order_by().values("pk")

    targets = {
        row["group_key"]: row["target"]
        for row in StudySite.objects.filter(pk__in=ids)
        .order_by()
        .values(group_key=F("pk" if group == GROUP_STUDY_SITE else "site"))
        .annotate(target=Sum("enrollment_target"))
    }
    subjects = _grouped(
        Subject.objects.filter(screening_date__lte=as_of),
        "study_site",
        group,
        ids,
        enrolled=Count("pk", filter=Q(enrollment_date__lte=as_of)),
        failed=Count("pk", filter=Q(status=SubjectStatus.SCREEN_FAILED)),
    )
    deviations = _grouped(
        SubjectVisit.objects.filter(
            Q(status=SubjectVisitStatus.COMPLETED, out_of_window=True, actual_date__lte=as_of)
            | Q(status=SubjectVisitStatus.MISSED, window_end__lte=as_of)
        ),
        "subject__study_site",
        group,
        ids,
        n=Count("pk"),
    )
    first_answer = (
        QueryMessage.objects.filter(
            data_query=OuterRef("pk"), action=DataQueryAction.ANSWER, created_at__lt=end
        )
        .order_by("created_at", "pk")
        .values("created_at")[:1]
    )
    queries = _grouped(
        DataQuery.objects.filter(raised_at__lt=end).annotate(first_answer=Subquery(first_answer)),
        "study_site",
        group,
        ids,
        raised=Count("pk"),
        open_30=Count(
            "pk",
            filter=Q(raised_at__lt=end - timedelta(days=OPEN_QUERY_DAYS))
            & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end)),
        ),
        answered=Count("first_answer"),
        answer_days=Median(_days_between_times(F("first_answer"), F("raised_at"))),
    )
    saes = _grouped(
        AdverseEvent.objects.filter(is_serious=True, follow_up_number=0).filter(
            Q(due_at__lt=end) | Q(reported_at__lt=end)
        ),
        "subject__study_site",
        group,
        ids,
        due=Count("pk"),
        on_time=Count("pk", filter=Q(reported_at__lte=F("due_at"), reported_at__lt=end)),
    )
    documents = _documents(ids, as_of, end, group)
    actions = _grouped(
        ActionItem.objects.filter(owner=ActionItemOwner.SITE, due_date__lte=as_of).annotate(
            closed_on=TruncDate("closed_at", tzinfo=UTC)
        ),
        "study_site",
        group,
        ids,
        due=Count("pk"),
        on_time=Count("pk", filter=Q(closed_on__lte=F("due_date"))),
    )
    payments = _grouped(
        Earning.objects.filter(
            kind=EarningKind.VISIT,
            run_line__run__status=PaymentRunStatus.PAID,
            run_line__run__payment_date__lte=as_of,
        ),
        "study_site",
        group,
        ids,
        paid=Count("pk"),
        days=Median(_days_between_dates(F("run_line__run__payment_date"), F("event_date"))),
    )

    result: dict[int, Scorecard] = {}
    for key, target in targets.items():
        s = subjects.get(key, {"enrolled": 0, "failed": 0})
        q = queries.get(key, {"raised": 0, "open_30": 0, "answered": 0, "answer_days": None})
        sae = saes.get(key, {"due": 0, "on_time": 0})
        doc = documents.get(key, {"required": 0, "current": 0})
        act = actions.get(key, {"due": 0, "on_time": 0})
        pay = payments.get(key, {"paid": 0, "days": None})
        deviation_count = deviations.get(key, {"n": 0})["n"]
        enrolled, failed = s["enrolled"], s["failed"]
        raw = {
            "enrollment": (_percent(enrolled, target or 0), enrolled, target or 0),
            "screen_failure": (_percent(failed, failed + enrolled), failed, failed + enrolled),
            "query_answer_days": (q["answer_days"], q["answered"], q["answered"]),
            "queries_open_30": (q["open_30"] if q["raised"] else None, q["open_30"], q["raised"]),
            "deviations": (
                deviation_count / enrolled if enrolled else None,
                deviation_count,
                enrolled,
            ),
            "sae_on_time": (_percent(sae["on_time"], sae["due"]), sae["on_time"], sae["due"]),
            "documents_current": (
                _percent(doc["current"], doc["required"]),
                doc["current"],
                doc["required"],
            ),
            "action_items_on_time": (
                _percent(act["on_time"], act["due"]),
                act["on_time"],
                act["due"],
            ),
            "visit_to_payment_days": (pay["days"], pay["paid"], pay["paid"]),
        }
        result[key] = Scorecard(
            key=key,
            as_of=as_of,
            readings={
                m.key: Reading(
                    measure=m,
                    value=m.quantize(raw[m.key][0]),
                    numerator=raw[m.key][1],
                    denominator=raw[m.key][2],
                )
                for m in MEASURES
            },
        )
    return result


def empty_scorecard(key: int, as_of: date) -> Scorecard:
    """A scorecard with nothing measured (every value "—")."""
    return Scorecard(
        key=key,
        as_of=as_of,
        readings={m.key: Reading(measure=m, value=None) for m in MEASURES},
    )
