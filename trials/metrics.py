"""Enrollment metrics per study-site and per study: screened, enrolled, screen-failure rate,
enrolled vs target over time, and enrollment by demographic category against the study's
diversity goals.

Demographic categories are used only in aggregate. Outside the site (CRO and sponsor views) no
group of fewer than ``SMALL_CELL`` subjects is shown: such cells are suppressed, and when one
cell of a category would be the only one hidden, the next smallest is hidden too, so it cannot
be worked out from the total.

Every figure comes from a constant number of grouped queries, whatever the number of subjects.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors import organization_roles
from trials import access
from trials.charts import LineChart, Series, line_chart
from trials.models import (
    AgeBand,
    Ethnicity,
    Milestone,
    MilestoneKind,
    Race,
    Sex,
    Study,
    StudySite,
    Subject,
    SubjectStatus,
)

SMALL_CELL = 5
DIMENSIONS: tuple[tuple[str, str, type], ...] = (
    ("sex", "Sex", Sex),
    ("age_band", "Age", AgeBand),
    ("race", "Race", Race),
    ("ethnicity", "Ethnicity", Ethnicity),
)
EVER_ENROLLED = (SubjectStatus.ENROLLED, SubjectStatus.COMPLETED, SubjectStatus.WITHDRAWN)


@dataclass
class CategoryRow:
    key: str  # "race:black"
    label: str
    count: int | None  # None when suppressed
    percent: float | None
    goal: float | None
    behind_goal: bool | None  # None: no goal, or nobody enrolled yet
    suppressed: bool = False


@dataclass
class Dimension:
    name: str
    label: str
    rows: list[CategoryRow]


@dataclass
class EnrollmentMetrics:
    screened: int
    in_screening: int
    enrolled: int  # ever enrolled: enrolled, completed or withdrawn
    active: int
    completed: int
    withdrawn: int
    screen_failed: int
    target: int
    screen_failure_rate: float | None  # of subjects with a screening outcome, percent
    percent_of_target: float | None
    dimensions: list[Dimension]
    goals: list[CategoryRow]  # the rows that have a goal, in goal order
    chart: LineChart | None
    suppressed_small_cells: bool
    inside_site: bool
    per_site: list[dict] = field(default_factory=list)

    @property
    def behind_goal_count(self) -> int:
        return sum(1 for row in self.goals if row.behind_goal)


def site_org_ids(actor: User) -> set[int]:
    return {org for org, roles in organization_roles(actor).items() if roles & access.SITE_ROLES}


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _suppress(rows: list[CategoryRow]) -> bool:
    """Hide counts of 1 to SMALL_CELL-1, plus the next smallest when only one would be hidden.
    Returns whether anything was hidden."""
    small = [r for r in rows if r.count is not None and 0 < r.count < SMALL_CELL]
    if len(small) == 1:
        others = sorted(
            (r for r in rows if r.count and r not in small), key=lambda r: (r.count, r.key)
        )
        if others:
            small.append(others[0])
    for row in small:
        row.count = None
        row.percent = None
        row.suppressed = True
    return bool(small)


def _dimensions(
    subjects: QuerySet[Subject], goals: dict, enrolled: int, *, suppress: bool
) -> tuple[list[Dimension], bool]:
    counts: dict[str, Counter] = defaultdict(Counter)
    combos = (
        subjects.filter(status__in=EVER_ENROLLED)
        .order_by()
        .values(*(name for name, _, _ in DIMENSIONS))
        .annotate(n=Count("pk"))
    )
    for combo in combos:
        for name, _, _ in DIMENSIONS:
            counts[name][combo[name]] += combo["n"]
    dimensions = []
    hidden = False
    for name, label, choices in DIMENSIONS:
        rows = []
        for value, value_label in choices.choices:
            key = f"{name}:{value}"
            count = counts[name][value]
            percent = _percent(count, enrolled)
            goal = goals.get(key)
            goal = float(goal) if isinstance(goal, int | float) else None
            rows.append(
                CategoryRow(
                    key=key,
                    label=str(value_label),
                    count=count,
                    percent=percent,
                    goal=goal,
                    behind_goal=(percent < goal) if goal is not None and enrolled else None,
                )
            )
        if suppress:
            hidden = _suppress(rows) or hidden
        dimensions.append(Dimension(name=name, label=label, rows=rows))
    return dimensions, hidden


def _target_line(
    start: date | None, end: date | None, today: date, target: int
) -> list[tuple[date, float]]:
    """Planned cumulative enrollment: 0 at the start (SIV or first screening) rising evenly to
    the target at the planned last-patient-in date; flat at the target without an LPI plan."""
    if start is None or not target:
        return []
    if end is None or end <= start:
        return [(start, float(target)), (max(today, start), float(target))]
    return [(start, 0.0), (end, float(target))]


def _cumulative(rows, start: date | None, today: date) -> list[tuple[date, float]]:
    points: list[tuple[date, float]] = []
    total = 0
    for row in rows:
        total += row["n"]
        points.append((row["day"], float(total)))
    if points:
        if start and start < points[0][0]:
            points.insert(0, (start, 0.0))
        if points[-1][0] < today:
            points.append((today, float(total)))
    return points


def _metrics(
    *,
    subjects: QuerySet[Subject],
    study_sites: QuerySet[StudySite],
    goals: dict,
    target: int,
    inside_site: bool,
    lpi_planned: date | None,
    today: date,
) -> EnrollmentMetrics:
    by_status = Counter(
        {
            row["status"]: row["n"]
            for row in subjects.order_by().values("status").annotate(n=Count("pk"))
        }
    )
    screened = sum(by_status.values())
    enrolled = sum(by_status[s] for s in EVER_ENROLLED)
    failed = by_status[SubjectStatus.SCREEN_FAILED]
    dimensions, hidden = _dimensions(subjects, goals, enrolled, suppress=not inside_site)
    goal_rows = {row.key: row for d in dimensions for row in d.rows if row.goal is not None}
    goals_in_order = [goal_rows[k] for k in goals if k in goal_rows]

    siv = (
        Milestone.objects.filter(
            study_site__in=study_sites.values("pk"),
            kind=MilestoneKind.SIV,
            actual_date__isnull=False,
        )
        .order_by("actual_date")
        .values_list("actual_date", flat=True)
        .first()
    )
    screened_rows = list(
        subjects.order_by().values(day=F("screening_date")).annotate(n=Count("pk")).order_by("day")
    )
    enrolled_rows = list(
        subjects.filter(enrollment_date__isnull=False)
        .order_by()
        .values(day=F("enrollment_date"))
        .annotate(n=Count("pk"))
        .order_by("day")
    )
    first = min(
        [d for d in (siv, screened_rows[0]["day"] if screened_rows else None) if d],
        default=None,
    )
    series = [
        Series("Screened", "screened", _cumulative(screened_rows, first, today)),
        Series("Enrolled", "enrolled", _cumulative(enrolled_rows, first, today)),
        Series("Target", "target", _target_line(first, lpi_planned, today, target), dashed=True),
    ]
    chart = line_chart(series) if any(s.points for s in series) else None
    return EnrollmentMetrics(
        screened=screened,
        in_screening=by_status[SubjectStatus.SCREENING],
        enrolled=enrolled,
        active=by_status[SubjectStatus.ENROLLED],
        completed=by_status[SubjectStatus.COMPLETED],
        withdrawn=by_status[SubjectStatus.WITHDRAWN],
        screen_failed=failed,
        target=target,
        screen_failure_rate=_percent(failed, failed + enrolled),
        percent_of_target=_percent(enrolled, target),
        dimensions=dimensions,
        goals=goals_in_order,
        chart=chart,
        suppressed_small_cells=hidden,
        inside_site=inside_site,
    )


def study_site_enrollment(
    *, actor: User, study_site: StudySite, today: date | None = None
) -> EnrollmentMetrics:
    """Metrics of one study-site the actor can see (the caller fetched it through the access
    policy). Small cells are suppressed unless the actor works at the site."""
    today = today or timezone.localdate()
    study = study_site.study
    subjects = access.scope(Subject.objects.filter(study_site=study_site), actor)
    lpi = (
        Milestone.objects.filter(
            Q(study_site=study_site) | Q(study_site__isnull=True, study=study),
            kind=MilestoneKind.LPI,
        )
        .order_by("study_site_id")
        .values_list("planned_date", flat=True)
        .first()
    )
    return _metrics(
        subjects=subjects,
        study_sites=StudySite.objects.filter(pk=study_site.pk),
        goals=study.diversity_goals or {},
        target=study_site.enrollment_target,
        inside_site=study_site.site_id in site_org_ids(actor),
        lpi_planned=lpi,
        today=today,
    )


def study_enrollment(*, actor: User, study: Study, today: date | None = None) -> EnrollmentMetrics:
    """Metrics of a study over the study-sites the actor can see, with a row per study-site.
    Small cells are suppressed unless every one of those study-sites is the actor's own."""
    today = today or timezone.localdate()
    study_sites = access.visible_study_sites(actor).filter(study=study)
    sites = list(
        study_sites.select_related("site")
        .order_by("site_number")
        .values("pk", "site_number", "site__name", "site_id", "enrollment_target", "status")
    )
    own = site_org_ids(actor)
    inside_site = bool(sites) and all(row["site_id"] in own for row in sites)
    subjects = access.scope(Subject.objects.filter(study_site__study=study), actor)
    lpi = (
        Milestone.objects.filter(study=study, study_site__isnull=True, kind=MilestoneKind.LPI)
        .values_list("planned_date", flat=True)
        .first()
    )
    metrics = _metrics(
        subjects=subjects,
        study_sites=study_sites,
        goals=study.diversity_goals or {},
        target=sum(row["enrollment_target"] for row in sites),
        inside_site=inside_site,
        lpi_planned=lpi,
        today=today,
    )
    per_site: dict[int, Counter] = defaultdict(Counter)
    for row in subjects.order_by().values("study_site_id", "status").annotate(n=Count("pk")):
        per_site[row["study_site_id"]][row["status"]] += row["n"]
    for row in sites:
        counts = per_site[row["pk"]]
        enrolled = sum(counts[s] for s in EVER_ENROLLED)
        failed = counts[SubjectStatus.SCREEN_FAILED]
        metrics.per_site.append(
            {
                "study_site_id": row["pk"],
                "site_number": row["site_number"],
                "site_name": row["site__name"],
                "status": row["status"],
                "target": row["enrollment_target"],
                "screened": sum(counts.values()),
                "enrolled": enrolled,
                "screen_failed": failed,
                "screen_failure_rate": _percent(failed, failed + enrolled),
                "percent_of_target": _percent(enrolled, row["enrollment_target"]),
            }
        )
    return metrics
