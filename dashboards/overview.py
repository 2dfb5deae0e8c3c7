"""The study overview: one study at a glance for the CRO people who run it and the sponsor who
pays for it — its sites by status, enrollment against the plan, query and payment aging, and
diversity against the study's goals.

Who sees it: anyone who sees every study-site of the study — CRO-wide roles of the owning CRO,
the study's leads, and viewers of the sponsor. A CRA sees only the sites assigned to them and a
site only its own, so for them the overview does not exist (404): a site never sees another
site's numbers. Everything is read through trials.access and the owning apps' selectors.

Every figure comes from a constant number of grouped queries, whatever the number of sites,
subjects, queries or payments.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.apps import apps
from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from monitoring.models import VisitStatus, VisitType
from monitoring.selectors import visit_list
from payments import charts as payment_charts
from payments.selectors import AgingTotal, aging_totals
from queries.models import RESOLVED
from queries.selectors import aging_chart, data_query_list
from trials import access, metrics
from trials.charts import LineChart, Series, line_chart
from trials.models import (
    Milestone,
    MilestoneKind,
    Study,
    StudySiteStatus,
    Subject,
)

# Roles that see every study-site of the study (trials.access): the overview's audience.
OVERVIEW_ROLES = access.CRO_WIDE_ROLES | {access.LEAD} | access.SPONSOR_ROLES
ACTIVE_STATUSES = (StudySiteStatus.ACTIVATED, StudySiteStatus.ENROLLING)
WEEK, MONTH = "week", "month"
PERIODS = (WEEK, MONTH)
WEEKLY_UP_TO_DAYS = 182  # "auto": weekly points for a curve up to about six months, else monthly
SITE_SORTS = ("site", "status", "activated", "enrolled", "percent", "open_queries", "last_visit")


@dataclass
class SiteRow:
    study_site_id: int
    site_number: str
    site_name: str
    status: str
    status_label: str
    activated_on: date | None
    enrolled: int
    screened: int
    target: int
    percent_of_target: float | None
    open_queries: int
    last_visit_on: date | None
    last_visit_type: str
    last_visit_id: int | None


@dataclass
class StatusCount:
    status: str
    label: str
    count: int


@dataclass
class EnrollmentPlan:
    """A linear plan: nobody before the planned first patient in, then evenly up to the
    planned subjects at the planned last patient in."""

    first_patient_in: date | None
    last_patient_in: date | None
    target: int
    first_patient_in_actual: date | None = None  # recorded, for comparison

    @property
    def complete(self) -> bool:
        return bool(
            self.first_patient_in
            and self.last_patient_in
            and self.last_patient_in > self.first_patient_in
            and self.target > 0
        )

    def planned_by(self, day: date) -> float | None:
        """Subjects the plan expects enrolled by the end of ``day``; None without a plan."""
        if not self.complete:
            return None
        if day < self.first_patient_in:
            return 0.0
        if day >= self.last_patient_in:
            return float(self.target)
        span = (self.last_patient_in - self.first_patient_in).days
        return round(self.target * (day - self.first_patient_in).days / span, 1)


@dataclass
class CurvePoint:
    period_start: date
    period_end: date
    label: str
    enrolled: int | None  # cumulative, to the period end (or today); None for a future period
    planned: float | None  # cumulative per the plan at the same day; None without a plan


@dataclass
class QueryAgingBucket:
    label: str
    waiting_on_site: int
    waiting_on_cro: int
    site_pct: int
    cro_pct: int

    @property
    def total(self) -> int:
        return self.waiting_on_site + self.waiting_on_cro


@dataclass
class StudyOverview:
    study: Study
    today: date
    sites: list[SiteRow]
    status_counts: list[StatusCount]
    enrolled: int
    screened: int
    site_targets: int  # the study-sites' enrollment targets added up
    plan: EnrollmentPlan
    planned_to_date: float | None
    period: str
    curve: list[CurvePoint]
    chart: LineChart | None
    query_aging: list[QueryAgingBucket]
    payment_aging: list[AgingTotal]
    diversity: metrics.EnrollmentMetrics
    payment_charts: list = field(default_factory=list)

    @property
    def open_queries(self) -> int:
        return sum(bucket.total for bucket in self.query_aging)

    @property
    def percent_of_plan(self) -> float | None:
        if not self.planned_to_date:
            return None
        return round(100 * self.enrolled / self.planned_to_date, 1)

    @property
    def behind_plan_by(self) -> float | None:
        if self.planned_to_date is None:
            return None
        return round(self.planned_to_date - self.enrolled, 1)

    @property
    def payment_sections(self) -> list[tuple[AgingTotal, object]]:
        """Each currency's aging totals with its bar chart."""
        return list(zip(self.payment_aging, self.payment_charts, strict=True))


def overview_study_get(*, actor: User, study_id) -> Study:
    """The study, if the actor may see its overview; otherwise the same 404 as a missing
    study (a site, a CRA or another tenant)."""
    study = access.get_visible_or_404(
        Study.objects.select_related("cro", "sponsor"), actor, study_id
    )
    if not access.study_roles(actor, study) & OVERVIEW_ROLES:
        raise Http404("Not found.")
    return study


def may_see_overview(*, actor: User, study: Study) -> bool:
    return bool(access.study_roles(actor, study) & OVERVIEW_ROLES)


# --- enrollment against the plan -------------------------------------------------------------


def enrollment_plan(*, actor: User, study: Study) -> EnrollmentPlan:
    """The plan: planned FPI and LPI (the study's milestones) and the planned subjects; with
    the actual first-patient-in date when recorded (one query)."""
    rows = access.scope(
        Milestone.objects.filter(
            study=study,
            study_site__isnull=True,
            kind__in=(MilestoneKind.FPI, MilestoneKind.LPI),
        ),
        actor,
    ).values("kind", "planned_date", "actual_date")
    by_kind = {row["kind"]: row for row in rows}
    fpi = by_kind.get(MilestoneKind.FPI, {})
    lpi = by_kind.get(MilestoneKind.LPI, {})
    plan = EnrollmentPlan(
        first_patient_in=fpi.get("planned_date"),
        last_patient_in=lpi.get("planned_date"),
        target=study.planned_subjects,
        first_patient_in_actual=fpi.get("actual_date"),
    )
    return plan


def _period_start(day: date, period: str) -> date:
    if period == WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_period(start: date, period: str) -> date:
    if period == WEEK:
        return start + timedelta(days=7)
    return (start + timedelta(days=32)).replace(day=1)


def choose_period(start: date, end: date, period: str | None) -> str:
    if period in PERIODS:
        return period
    return WEEK if (end - start).days <= WEEKLY_UP_TO_DAYS else MONTH


def enrollment_curve(
    *,
    actor: User,
    study: Study,
    plan: EnrollmentPlan,
    today: date,
    period: str | None = None,
) -> tuple[str, list[CurvePoint]]:
    """Cumulative subjects enrolled per week or month with the plan at the same days (one
    grouped query). The curve runs from the first enrollment, the planned FPI or today,
    whichever comes first, to today or the planned LPI, whichever comes last. Returns the
    period used (``period``, or by the curve's length when not given) and the points."""
    per_day = dict(
        access.scope(Subject.objects.filter(study_site__study=study), actor)
        .filter(status__in=metrics.EVER_ENROLLED, enrollment_date__isnull=False)
        .order_by()
        .values("enrollment_date")
        .annotate(n=Count("pk"))
        .values_list("enrollment_date", "n")
    )
    if not per_day and not plan.complete:
        return choose_period(today, today, period), []
    start = min(d for d in (min(per_day, default=None), plan.first_patient_in, today) if d)
    end = max(today, plan.last_patient_in) if plan.complete else today
    chosen = choose_period(start, end, period)
    per_period: dict[date, int] = {}
    for day, n in per_day.items():
        key = _period_start(day, chosen)
        per_period[key] = per_period.get(key, 0) + n
    points: list[CurvePoint] = []
    cumulative = 0
    current = _period_start(start, chosen)
    while current <= end:
        following = _next_period(current, chosen)
        period_end = following - timedelta(days=1)
        count: int | None = None
        if current <= today:
            cumulative += per_period.get(current, 0)
            count = cumulative
        points.append(
            CurvePoint(
                period_start=current,
                period_end=period_end,
                label=f"{current:%d %b %Y}" if chosen == WEEK else f"{current:%b %Y}",
                enrolled=count,
                planned=plan.planned_by(
                    min(period_end, today) if count is not None else period_end
                ),
            )
        )
        current = following
    return chosen, points


def _curve_chart(curve: list[CurvePoint], plan: EnrollmentPlan, today: date) -> LineChart | None:
    if not curve:
        return None
    start = curve[0].period_start
    actual = [(start, 0.0)] + [
        (min(point.period_end, today), float(point.enrolled))
        for point in curve
        if point.enrolled is not None
    ]
    planned: list[tuple[date, float]] = []
    if plan.complete:
        end = curve[-1].period_end
        planned = [(plan.first_patient_in, 0.0), (plan.last_patient_in, float(plan.target))]
        if start < plan.first_patient_in:
            planned.insert(0, (start, 0.0))
        if end > plan.last_patient_in:
            planned.append((end, float(plan.target)))
    return line_chart(
        [
            Series("Enrolled", "enrolled", actual),
            Series("Target", "target", planned, dashed=True),
        ]
    )


# --- the sites -------------------------------------------------------------------------------


def _activation_dates(*, actor: User, study: Study, site_ids: list[int]) -> dict[int, date]:
    """When each study-site became active: the first audit event of its status turning
    activated (or enrolling). A site loaded already active has no such change; for it the
    actual date of its site initiation visit stands in (two queries)."""
    event_model = apps.get_model("trials", "StudySiteEvent")
    first_active = (
        event_model.objects.filter(pgh_obj_id__in=site_ids, status__in=ACTIVE_STATUSES)
        .order_by("pgh_obj_id", "pgh_created_at", "pgh_id")
        .distinct("pgh_obj_id")
        .values("pgh_obj_id", "pgh_created_at", "pgh_label")
    )
    dates: dict[int, date] = {}
    loaded_active: set[int] = set()
    for row in first_active:
        if row["pgh_label"] == "insert":
            loaded_active.add(row["pgh_obj_id"])
        else:
            dates[row["pgh_obj_id"]] = timezone.localtime(row["pgh_created_at"]).date()
    if loaded_active:
        sivs = access.scope(
            Milestone.objects.filter(
                study=study,
                study_site_id__in=loaded_active,
                kind=MilestoneKind.SIV,
                actual_date__isnull=False,
            ),
            actor,
        ).values_list("study_site_id", "actual_date")
        dates.update(dict(sivs))
    return dates


def _open_queries(*, actor: User, study: Study) -> dict[int, int]:
    rows = (
        data_query_list(actor=actor, filters={"study": study.pk})
        .exclude(status__in=RESOLVED)
        .order_by()
        .values("study_site_id")
        .annotate(n=Count("pk"))
    )
    return {row["study_site_id"]: row["n"] for row in rows}


def _last_visits(*, actor: User, study: Study) -> dict[int, dict]:
    """The latest monitoring visit that took place at each study-site (one query)."""
    rows = (
        visit_list(actor=actor, filters={"study": study.pk})
        .filter(actual_date__isnull=False)
        .exclude(status=VisitStatus.CANCELLED)
        .order_by("study_site_id", "-actual_date", "-pk")
        .distinct("study_site_id")
        .values("pk", "study_site_id", "actual_date", "visit_type")
    )
    return {row["study_site_id"]: row for row in rows}


def _site_rows(*, actor: User, study: Study, diversity: metrics.EnrollmentMetrics) -> list[SiteRow]:
    labels = dict(StudySiteStatus.choices)
    visit_types = dict(VisitType.choices)
    site_ids = [row["study_site_id"] for row in diversity.per_site]
    activated = _activation_dates(actor=actor, study=study, site_ids=site_ids)
    open_queries = _open_queries(actor=actor, study=study)
    last_visits = _last_visits(actor=actor, study=study)
    rows = []
    for row in diversity.per_site:
        pk = row["study_site_id"]
        visit = last_visits.get(pk, {})
        rows.append(
            SiteRow(
                study_site_id=pk,
                site_number=row["site_number"],
                site_name=row["site_name"],
                status=row["status"],
                status_label=str(labels.get(row["status"], row["status"])),
                activated_on=activated.get(pk),
                enrolled=row["enrolled"],
                screened=row["screened"],
                target=row["target"],
                percent_of_target=row["percent_of_target"],
                open_queries=open_queries.get(pk, 0),
                last_visit_on=visit.get("actual_date"),
                last_visit_type=str(visit_types.get(visit.get("visit_type"), "")),
                last_visit_id=visit.get("pk"),
            )
        )
    return rows


def status_counts(sites: list[SiteRow]) -> list[StatusCount]:
    """Study-sites per status, every status of the lifecycle in order (zeros included)."""
    counts = {value: 0 for value in StudySiteStatus.values}
    for site in sites:
        counts[site.status] = counts.get(site.status, 0) + 1
    return [
        StatusCount(status=value, label=str(label), count=counts[value])
        for value, label in StudySiteStatus.choices
    ]


def sort_sites(sites: list[SiteRow], sort: str | None) -> list[SiteRow]:
    """Order the site rows by one of SITE_SORTS (a leading "-" reverses); rows without a
    value (no visit yet, no target) go last either way."""
    key = (sort or "site").lstrip("-")
    if key not in SITE_SORTS:
        key, sort = "site", "site"
    descending = bool(sort) and sort.startswith("-")
    order = {value: index for index, value in enumerate(StudySiteStatus.values)}
    value_of = {
        "site": lambda r: r.site_number,
        "status": lambda r: order.get(r.status, 99),
        "activated": lambda r: r.activated_on,
        "enrolled": lambda r: r.enrolled,
        "percent": lambda r: r.percent_of_target,
        "open_queries": lambda r: r.open_queries,
        "last_visit": lambda r: r.last_visit_on,
    }[key]
    present = [r for r in sites if value_of(r) is not None]
    missing = [r for r in sites if value_of(r) is None]
    present.sort(key=lambda r: (value_of(r), r.site_number), reverse=descending)
    return present + sorted(missing, key=lambda r: r.site_number)


# --- the whole overview ----------------------------------------------------------------------


def study_overview(
    *,
    actor: User,
    study: Study,
    today: date | None = None,
    period: str | None = None,
) -> StudyOverview:
    """Every figure of the overview of a study the actor may see (overview_study_get)."""
    today = today or timezone.localdate()
    diversity = metrics.study_enrollment(actor=actor, study=study, today=today)
    sites = _site_rows(actor=actor, study=study, diversity=diversity)
    plan = enrollment_plan(actor=actor, study=study)
    chosen, curve = enrollment_curve(
        actor=actor, study=study, plan=plan, today=today, period=period
    )
    buckets = aging_chart(actor=actor, filters={"study": study.pk})
    payment_aging = aging_totals(actor=actor, filters={"study": study.pk}, today=today)
    return StudyOverview(
        study=study,
        today=today,
        sites=sites,
        status_counts=status_counts(sites),
        enrolled=diversity.enrolled,
        screened=diversity.screened,
        site_targets=sum(site.target for site in sites),
        plan=plan,
        planned_to_date=plan.planned_by(today),
        period=chosen,
        curve=curve,
        chart=_curve_chart(curve, plan, today),
        query_aging=[
            QueryAgingBucket(
                label=bucket["label"],
                waiting_on_site=bucket["site"],
                waiting_on_cro=bucket["cro"],
                site_pct=bucket["site_pct"],
                cro_pct=bucket["cro_pct"],
            )
            for bucket in buckets
        ],
        payment_aging=payment_aging,
        payment_charts=[payment_charts.aging_chart(total) for total in payment_aging],
        diversity=diversity,
    )
