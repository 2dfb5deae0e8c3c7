"""The bench data set (``python manage.py seed_scale``): many studies, sites, subjects, visits
and data queries for two CROs, built with batched bulk inserts, for bench/ (issue 8).

Everything is synthetic: organization names end with " (bench)", people are known by role and
number on the reserved ``.example`` domain, subjects only by pseudonymous ids.

Shape. ``--studies`` and ``--sites-per-study`` are multiplied by sqrt(scale) and the row counts
(subjects, visits, queries) by scale, so a 1% run keeps the full run's rows *per study-site*
(20 subjects, 200 visits, 60 queries), which is what one page of one user sees. Studies
alternate between the two CROs; every study runs at every site organization; each site
organization has one coordinator, each CRO one project manager (lead of all its studies),
one CRA (assigned to every study-site of the CRO's first study) and one finance user.

The pghistory insert triggers stay on: bulk inserts write their audit events too, and the load
time reported includes them.
"""

import math
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, OrganizationKind, Role, User
from core.audit import audit_context
from core.models import Notification
from queries.models import DataQuery, DataQueryStatus
from trials.models import (
    CRAAssignment,
    Study,
    StudySite,
    StudySiteStatus,
    StudyStatus,
    StudyTeamMember,
    Subject,
    SubjectStatus,
    SubjectVisit,
    SubjectVisitStatus,
    TeamRole,
    VisitDefinition,
)

BENCH_SUFFIX = " (bench)"
BENCH_PASSWORD = "trialbridge-bench"  # noqa: S105 - the published password of synthetic users
BENCH_REASON = "bench data (synthetic)"
BATCH = 5000
CROS = ("Bench CRO A (bench)", "Bench CRO B (bench)")
SPONSOR = "Bench Sponsor (bench)"


class NonBenchDatabase(Exception):
    """The database holds organizations that are not bench data."""


class BenchAlreadySeeded(Exception):
    """The bench data set is already there."""


@dataclass(frozen=True)
class ScalePlan:
    studies: int
    sites_per_study: int
    subjects: int
    visits: int
    queries: int

    @classmethod
    def of(
        cls,
        *,
        studies: int,
        sites_per_study: int,
        subjects: int,
        visits: int,
        queries: int,
        scale: float,
    ) -> "ScalePlan":
        root = math.sqrt(scale)
        n_studies = max(2, round(studies * root))
        n_sites = max(2, round(sites_per_study * root))
        n_subjects = max(n_studies * n_sites, round(subjects * scale))
        return cls(
            studies=n_studies,
            sites_per_study=n_sites,
            subjects=n_subjects,
            visits=max(n_subjects, round(visits * scale)),
            queries=round(queries * scale),
        )

    @property
    def study_sites(self) -> int:
        return self.studies * self.sites_per_study

    @property
    def visits_per_subject(self) -> int:
        return max(1, math.ceil(self.visits / self.subjects))


@dataclass
class ScaleSummary:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def non_bench_organizations() -> list[str]:
    return list(
        Organization.objects.exclude(name__endswith=BENCH_SUFFIX).values_list("name", flat=True)[:5]
    )


def bench_email(role: str, number: int) -> str:
    return f"{role}-{number:03d}@bench.example"


def _split(total: int, parts: int) -> list[int]:
    """``total`` spread over ``parts`` as evenly as integers allow."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _bulk(model, rows: list, counts: dict[str, int]) -> list:
    created = model.objects.bulk_create(rows, batch_size=BATCH)
    key = str(model._meta.verbose_name_plural)
    counts[key] = counts.get(key, 0) + len(created)
    return created


def seed_scale(plan: ScalePlan, *, force: bool = False, today: date | None = None) -> ScaleSummary:
    """Build the bench data set. Refuses a database with non-bench organizations unless
    ``force``, and a database that already holds the bench data set."""
    if not force and non_bench_organizations():
        raise NonBenchDatabase(", ".join(non_bench_organizations()))
    if Organization.objects.filter(name__in=CROS).exists():
        raise BenchAlreadySeeded
    started = time.monotonic()
    today = today or timezone.localdate()
    with transaction.atomic(), audit_context(reason=BENCH_REASON):
        summary = _Loader(plan, today).run()
    summary.seconds = time.monotonic() - started
    return summary


class _Loader:
    def __init__(self, plan: ScalePlan, today: date) -> None:
        self.plan = plan
        self.today = today
        self.rng = random.Random(20260101)
        self.counts: dict[str, int] = {}
        self.password = make_password(BENCH_PASSWORD)

    def user(self, role: str, number: int, label: str) -> User:
        return User(
            email=bench_email(role, number),
            full_name=f"{label} {number:03d} (bench)",
            time_zone="UTC",
            password=self.password,
        )

    def run(self) -> ScaleSummary:
        plan = self.plan
        cros = _bulk(
            Organization,
            [Organization(kind=OrganizationKind.CRO, name=name, country="US") for name in CROS],
            self.counts,
        )
        sponsor, *sites = _bulk(
            Organization,
            [Organization(kind=OrganizationKind.SPONSOR, name=SPONSOR, country="US")]
            + [
                Organization(
                    kind=OrganizationKind.SITE, name=f"Bench Site {n:04d} (bench)", country="US"
                )
                for n in range(1, plan.sites_per_study + 1)
            ],
            self.counts,
        )
        # per CRO: pm, cra, finance; per site: a coordinator
        staff = []
        for number, _cro in enumerate(cros, start=1):
            staff += [
                self.user("pm", number, "Project Manager"),
                self.user("cra", number, "CRA"),
                self.user("finance", number, "Finance"),
            ]
        coordinators = [
            self.user("coordinator", n, "Coordinator") for n in range(1, len(sites) + 1)
        ]
        users = _bulk(User, staff + coordinators, self.counts)
        staff, coordinators = users[: len(staff)], users[len(staff) :]
        pms, cras, finances = staff[0::3], staff[1::3], staff[2::3]
        memberships = []
        for cro, pm, cra, fin in zip(cros, pms, cras, finances, strict=True):
            memberships += [
                Membership(user=pm, organization=cro, role=Role.PROJECT_MANAGER),
                Membership(user=pm, organization=cro, role=Role.ADMIN),
                Membership(user=cra, organization=cro, role=Role.CRA),
                Membership(user=fin, organization=cro, role=Role.FINANCE),
            ]
        memberships += [
            Membership(user=c, organization=s, role=Role.COORDINATOR)
            for c, s in zip(coordinators, sites, strict=True)
        ]
        _bulk(Membership, memberships, self.counts)

        studies = _bulk(
            Study,
            [
                Study(
                    cro=cros[i % 2],
                    sponsor=sponsor,
                    protocol_number=f"BENCH-{i + 1:03d}",
                    title=f"Bench study {i + 1:03d} (synthetic)",
                    phase="3",
                    therapeutic_area="Cardiology",
                    status=StudyStatus.ENROLLING,
                    planned_sites=plan.sites_per_study,
                    planned_subjects=plan.subjects // plan.studies,
                    currency="USD",
                )
                for i in range(plan.studies)
            ],
            self.counts,
        )
        _bulk(
            StudyTeamMember,
            [
                StudyTeamMember(study=s, user=pms[i % 2], role=TeamRole.LEAD)
                for i, s in enumerate(studies)
            ],
            self.counts,
        )
        per_subject = plan.visits_per_subject
        definitions = _bulk(
            VisitDefinition,
            [
                VisitDefinition(
                    study=study,
                    code=f"V{n:02d}",
                    name=f"Visit {n}",
                    day_offset=(n - 1) * 14,
                    window_before=3,
                    window_after=3,
                    order=n,
                )
                for study in studies
                for n in range(1, per_subject + 1)
            ],
            self.counts,
        )
        definitions_of = {
            study.pk: definitions[i * per_subject : (i + 1) * per_subject]
            for i, study in enumerate(studies)
        }
        study_sites = _bulk(
            StudySite,
            [
                StudySite(
                    study=study,
                    site=site,
                    site_number=f"{n + 1:03d}",
                    status=StudySiteStatus.ENROLLING,
                    enrollment_target=plan.subjects // plan.study_sites + 5,
                )
                for study in studies
                for n, site in enumerate(sites)
            ],
            self.counts,
        )
        _bulk(
            CRAAssignment,
            [
                CRAAssignment(study_site=ss, cra=cras[i % 2])
                for i, study in enumerate(studies[:2])
                for ss in study_sites
                if ss.study_id == study.pk
            ],
            self.counts,
        )
        subjects_per_site = _split(plan.subjects, len(study_sites))
        queries_per_site = _split(plan.queries, len(study_sites))
        # one study-site at a time keeps memory flat whatever the scale
        for index, study_site in enumerate(study_sites):
            cra = cras[studies.index(next(s for s in studies if s.pk == study_site.study_id)) % 2]
            self.load_study_site(
                study_site,
                definitions_of[study_site.study_id],
                subjects_per_site[index],
                queries_per_site[index],
                cra,
            )
        self.load_notifications(users)
        return ScaleSummary(counts=self.counts)

    def load_study_site(
        self,
        study_site: StudySite,
        definitions: list[VisitDefinition],
        n_subjects: int,
        n_queries: int,
        cra: User,
    ) -> None:
        rng = self.rng
        subjects = []
        for n in range(n_subjects):
            screening = self.today - timedelta(days=rng.randint(30, 400))
            status = rng.choices(
                [
                    SubjectStatus.ENROLLED,
                    SubjectStatus.SCREENING,
                    SubjectStatus.SCREEN_FAILED,
                    SubjectStatus.WITHDRAWN,
                    SubjectStatus.COMPLETED,
                ],
                weights=[70, 10, 8, 4, 8],
            )[0]
            enrolled = status in (
                SubjectStatus.ENROLLED,
                SubjectStatus.WITHDRAWN,
                SubjectStatus.COMPLETED,
            )
            subjects.append(
                Subject(
                    study_site=study_site,
                    subject_identifier=f"S{study_site.pk:05d}-{n + 1:05d}",
                    status=status,
                    screening_date=screening,
                    consent_date=screening - timedelta(days=1),
                    consent_version="v1.0",
                    enrollment_date=screening + timedelta(days=14) if enrolled else None,
                    status_reason="synthetic"
                    if status != SubjectStatus.ENROLLED and enrolled
                    else "",
                )
            )
        subjects = _bulk(Subject, subjects, self.counts)
        visits = []
        for subject in subjects:
            day0 = subject.enrollment_date or subject.screening_date
            for definition in definitions:
                target = day0 + timedelta(days=definition.day_offset)
                done = target < self.today and subject.enrollment_date is not None
                visits.append(
                    SubjectVisit(
                        subject=subject,
                        definition=definition,
                        target_date=target,
                        window_start=target - timedelta(days=definition.window_before),
                        window_end=target + timedelta(days=definition.window_after),
                        status=SubjectVisitStatus.COMPLETED
                        if done
                        else SubjectVisitStatus.SCHEDULED,
                        actual_date=target if done else None,
                    )
                )
        visits = _bulk(SubjectVisit, visits, self.counts)
        if not subjects:
            return
        queries = []
        now = timezone.now()
        for n in range(n_queries):
            visit = visits[rng.randrange(len(visits))]
            raised = now - timedelta(days=rng.randint(0, 120), minutes=n)
            status = rng.choices(
                [DataQueryStatus.OPEN, DataQueryStatus.ANSWERED, DataQueryStatus.CLOSED],
                weights=[40, 20, 40],
            )[0]
            resolved = raised + timedelta(days=3) if status == DataQueryStatus.CLOSED else None
            queries.append(
                DataQuery(
                    study_id=study_site.study_id,
                    study_site=study_site,
                    subject_id=visit.subject_id,
                    subject_visit=visit,
                    form_name="Vital signs",
                    field_name="Systolic BP",
                    text=f"Please confirm the value (synthetic query {n + 1}).",
                    status=status,
                    raised_by=cra,
                    raised_at=raised,
                    status_changed_at=resolved or raised,
                    waiting_since=resolved or raised,
                    resolved_at=resolved,
                )
            )
        _bulk(DataQuery, queries, self.counts)

    def load_notifications(self, users: list[User]) -> None:
        """Ten inbox notifications per subject-thousand, spread over the bench users."""
        total = max(len(users), self.plan.subjects // 100)
        now = timezone.now()
        rows = [
            Notification(
                recipient=users[n % len(users)],
                kind="bench.synthetic",
                title=f"Synthetic notification {n + 1} (bench)",
                body="Bench data: nothing to do.",
                dedupe_key=f"bench:{n}",
                read_at=now if n % 3 == 0 else None,
            )
            for n in range(total)
        ]
        _bulk(Notification, rows, self.counts)
