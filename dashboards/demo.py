"""Invented demo data for a local run (``python manage.py seed_demo``, called by ``make run``).

Every organization, person, study and subject here is made up: organization names end with
" (demo)", e-mail addresses use the reserved ``.example`` domain, phone numbers the fictional
555-01xx range, and subjects are known only by pseudonymous ids (never a name or birth date).

``demo_seed`` is idempotent. It looks every row up by its natural key (organization kind +
name, user e-mail, study CRO + protocol number, study-site study + site number, subject
study-site + identifier, ...) and creates only what is missing; it never updates an existing
row. A second run therefore writes nothing and adds no audit events, even on a later day when
the date-relative plan below would come out differently.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Membership, Organization, OrganizationKind, Role, User
from core.audit import audit_context
from core.notifications import notify
from feasibility import demo as feasibility_demo
from monitoring import demo as monitoring_demo
from payments import demo as payments_demo
from queries import demo as queries_demo
from regulatory import demo as regulatory_demo
from safety import demo as safety_demo
from scorecards import demo as scorecards_demo
from sites.models import Capability, SiteProfile
from trials import demo as trials_demo
from trials.models import (
    AgeBand,
    CRAAssignment,
    Ethnicity,
    Milestone,
    MilestoneKind,
    Race,
    Sex,
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

DEMO_PASSWORD = "trialbridge-demo"  # noqa: S105 - the published password of invented demo users
DEMO_REASON = "demo data (invented)"
DEMO_SUFFIX = " (demo)"

MERIDIAN = "Meridian CRO (demo)"
APEX = "Apex Research (demo)"
HELIX = "Helix Therapeutics (demo)"
LAKESIDE = "Lakeside Clinical Research (demo)"
RIVERBEND = "Riverbend Medical Center (demo)"


@dataclass(frozen=True)
class OrganizationSpec:
    kind: str
    name: str
    country: str = "US"


@dataclass(frozen=True)
class PersonSpec:
    email: str
    full_name: str
    time_zone: str
    organization: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class VisitSpec:
    code: str
    name: str
    day_offset: int
    window_before: int
    window_after: int


@dataclass(frozen=True)
class StudySiteSpec:
    site: str
    site_number: str
    status: str
    enrollment_target: int
    principal_investigator: str | None = None
    cras: tuple[str, ...] = ()
    siv_days_ago: int | None = None  # activated sites: the SIV happened this many days ago
    siv_planned_in: int | None = None  # contracted sites: the SIV is planned in this many days
    subjects: int = 0


@dataclass(frozen=True)
class StudySpec:
    cro: str
    sponsor: str
    protocol_number: str
    title: str
    phase: str
    therapeutic_area: str
    status: str
    planned_sites: int
    planned_subjects: int
    diversity_goals: dict
    lead: str
    schedule: tuple[VisitSpec, ...]
    study_sites: tuple[StudySiteSpec, ...]
    subject_id_pattern: str = "{site}-{seq:03d}"
    currency: str = "USD"
    team: tuple[str, ...] = ()
    age_weights: dict = field(default_factory=dict)


ORGANIZATIONS: tuple[OrganizationSpec, ...] = (
    OrganizationSpec(OrganizationKind.CRO, MERIDIAN),
    OrganizationSpec(OrganizationKind.CRO, APEX),
    OrganizationSpec(OrganizationKind.SPONSOR, HELIX),
    OrganizationSpec(OrganizationKind.SITE, LAKESIDE),
    OrganizationSpec(OrganizationKind.SITE, RIVERBEND),
)

PEOPLE: tuple[PersonSpec, ...] = (
    PersonSpec(
        "pm@meridian.example",
        "Dana Whitfield",
        "America/New_York",
        MERIDIAN,
        (Role.PROJECT_MANAGER, Role.ADMIN),
    ),
    PersonSpec("cra@meridian.example", "Marcus Okafor", "America/New_York", MERIDIAN, (Role.CRA,)),
    PersonSpec(
        "regulatory@meridian.example",
        "Priya Raman",
        "America/New_York",
        MERIDIAN,
        (Role.REGULATORY,),
    ),
    PersonSpec(
        "finance@meridian.example", "Elena Sokolova", "America/New_York", MERIDIAN, (Role.FINANCE,)
    ),
    PersonSpec(
        "approver@meridian.example",
        "Thomas Brennan",
        "America/New_York",
        MERIDIAN,
        (Role.FINANCE_APPROVER,),
    ),
    PersonSpec(
        "safety@meridian.example", "Grace Liu", "America/New_York", MERIDIAN, (Role.SAFETY,)
    ),
    PersonSpec(
        "pm@apex.example",
        "Samuel Ortega",
        "America/Denver",
        APEX,
        (Role.PROJECT_MANAGER, Role.ADMIN),
    ),
    PersonSpec("cra@apex.example", "Hannah Lindqvist", "America/Denver", APEX, (Role.CRA,)),
    PersonSpec("finance@apex.example", "Ravi Desai", "America/Denver", APEX, (Role.FINANCE,)),
    PersonSpec(
        "viewer@helix.example", "Olivia Bennett", "America/Los_Angeles", HELIX, (Role.VIEWER,)
    ),
    PersonSpec(
        "coordinator@lakeside.example",
        "Maria Delgado",
        "America/Chicago",
        LAKESIDE,
        (Role.COORDINATOR, Role.SITE_ADMIN),
    ),
    PersonSpec(
        "pi@lakeside.example", "James Whitaker", "America/Chicago", LAKESIDE, (Role.INVESTIGATOR,)
    ),
    PersonSpec(
        "coordinator@riverbend.example",
        "Aisha Thompson",
        "America/Los_Angeles",
        RIVERBEND,
        (Role.COORDINATOR, Role.SITE_ADMIN),
    ),
)

SITE_PROFILES: dict[str, dict] = {
    LAKESIDE: {
        "address_line": "100 Example Shore Drive, Suite 400 (invented address)",
        "city": "Chicago",
        "region": "IL",
        "postal_code": "60601",
        "phone": "+1 312 555 0100",
        "therapeutic_areas": ["Cardiology", "Oncology", "Dermatology", "Endocrinology"],
        "capabilities": [
            Capability.PHARMACY,
            Capability.FREEZER_MINUS_80,
            Capability.CENTRIFUGE,
            Capability.INFUSION,
            Capability.LOCAL_LAB,
            Capability.EDC_EXPERIENCE,
        ],
        "staff_count": 24,
        "patient_population": 18000,
    },
    RIVERBEND: {
        "address_line": "2200 Example River Road (invented address)",
        "city": "Portland",
        "region": "OR",
        "postal_code": "97201",
        "phone": "+1 503 555 0142",
        "therapeutic_areas": ["Cardiology", "Pulmonology", "Oncology"],
        "capabilities": [
            Capability.PHARMACY,
            Capability.CENTRIFUGE,
            Capability.INPATIENT,
            Capability.IMAGING,
            Capability.EDC_EXPERIENCE,
        ],
        "staff_count": 11,
        "patient_population": 9500,
    },
}


def _schedule(eos_day: int, eos_label: str) -> tuple[VisitSpec, ...]:
    return (
        VisitSpec("SCR", "Screening", -14, 7, 0),
        VisitSpec("D1", "Day 1 (randomization)", 0, 0, 0),
        VisitSpec("W2", "Week 2", 14, 2, 2),
        VisitSpec("W4", "Week 4", 28, 3, 3),
        VisitSpec("W12", "Week 12", 84, 7, 7),
        VisitSpec("EOS", f"End of study ({eos_label})", eos_day, 7, 7),
    )


STUDIES: tuple[StudySpec, ...] = (
    StudySpec(
        cro=MERIDIAN,
        sponsor=HELIX,
        protocol_number="MER-CARD-301",
        title=(
            "HLX-101 versus placebo in adults with heart failure with reduced ejection "
            "fraction (invented demo study)"
        ),
        phase="3",
        therapeutic_area="Cardiology",
        status=StudyStatus.ENROLLING,
        planned_sites=45,
        planned_subjects=900,
        diversity_goals={"race:black": 15, "ethnicity:hispanic": 12, "sex:female": 45},
        lead="pm@meridian.example",
        team=("regulatory@meridian.example", "safety@meridian.example"),
        schedule=_schedule(168, "Week 24"),
        age_weights={
            AgeBand.AGE_18_44: 5,
            AgeBand.AGE_45_64: 35,
            AgeBand.AGE_65_74: 40,
            AgeBand.AGE_75_PLUS: 20,
        },
        study_sites=(
            StudySiteSpec(
                site=LAKESIDE,
                site_number="101",
                status=StudySiteStatus.ENROLLING,
                enrollment_target=15,
                principal_investigator="pi@lakeside.example",
                cras=("cra@meridian.example",),
                siv_days_ago=240,
                subjects=14,
            ),
            StudySiteSpec(
                site=RIVERBEND,
                site_number="102",
                status=StudySiteStatus.ENROLLING,
                enrollment_target=12,
                cras=("cra@meridian.example",),
                siv_days_ago=150,
                subjects=9,
            ),
        ),
    ),
    StudySpec(
        cro=MERIDIAN,
        sponsor=HELIX,
        protocol_number="MER-ONC-205",
        title=(
            "HLX-207 in previously treated advanced non-small cell lung cancer "
            "(invented demo study)"
        ),
        phase="2",
        therapeutic_area="Oncology",
        status=StudyStatus.STARTUP,
        planned_sites=12,
        planned_subjects=80,
        diversity_goals={"sex:female": 50, "age_band:65-74": 30, "race:black": 12},
        lead="pm@meridian.example",
        schedule=_schedule(168, "Week 24"),
        study_sites=(
            StudySiteSpec(
                site=LAKESIDE,
                site_number="110",
                status=StudySiteStatus.ACTIVATED,
                enrollment_target=8,
                principal_investigator="pi@lakeside.example",
                cras=("cra@meridian.example",),
                siv_days_ago=12,
            ),
            StudySiteSpec(
                site=RIVERBEND,
                site_number="111",
                status=StudySiteStatus.SELECTED,
                enrollment_target=6,
                cras=("cra@meridian.example",),
            ),
        ),
    ),
    StudySpec(
        cro=APEX,
        sponsor=HELIX,
        protocol_number="APX-DERM-210",
        title=(
            "HLX-330 cream in adolescents and adults with moderate atopic dermatitis "
            "(invented demo study)"
        ),
        phase="2",
        therapeutic_area="Dermatology",
        status=StudyStatus.ENROLLING,
        planned_sites=20,
        planned_subjects=240,
        diversity_goals={"race:black": 20, "race:asian": 10, "ethnicity:hispanic": 18},
        lead="pm@apex.example",
        subject_id_pattern="DRM-{site}-{seq:03d}",
        schedule=_schedule(112, "Week 16"),
        age_weights={
            AgeBand.UNDER_18: 15,
            AgeBand.AGE_18_44: 55,
            AgeBand.AGE_45_64: 25,
            AgeBand.AGE_65_74: 5,
        },
        study_sites=(
            StudySiteSpec(
                site=LAKESIDE,
                site_number="3001",
                status=StudySiteStatus.ENROLLING,
                enrollment_target=12,
                principal_investigator="pi@lakeside.example",
                cras=("cra@apex.example",),
                siv_days_ago=180,
                subjects=11,
            ),
        ),
    ),
    StudySpec(
        cro=APEX,
        sponsor=HELIX,
        protocol_number="APX-RESP-115",
        title="HLX-412 inhaler in adults with moderate to severe asthma (invented demo study)",
        phase="2",
        therapeutic_area="Pulmonology",
        status=StudyStatus.STARTUP,
        planned_sites=15,
        planned_subjects=160,
        diversity_goals={"race:black": 18, "ethnicity:hispanic": 15, "sex:female": 55},
        lead="pm@apex.example",
        schedule=_schedule(84, "Week 12"),
        study_sites=(
            StudySiteSpec(
                site=RIVERBEND,
                site_number="3101",
                status=StudySiteStatus.CONTRACTED,
                enrollment_target=10,
                cras=("cra@apex.example",),
                siv_planned_in=21,
            ),
        ),
    ),
)

SCREEN_FAILURE_REASONS = (
    "Did not meet inclusion criterion 3 at screening",
    "Met exclusion criterion 7 (laboratory value out of range)",
    "Screening assessments not completed within the window",
)
WITHDRAWAL_REASONS = (
    "Withdrew consent after the week 4 visit",
    "Lost to follow-up after the week 4 visit",
)
SEX_WEIGHTS = {Sex.FEMALE: 49, Sex.MALE: 48, Sex.NOT_REPORTED: 3}
RACE_WEIGHTS = {
    Race.WHITE: 55,
    Race.BLACK: 20,
    Race.ASIAN: 8,
    Race.MULTIPLE: 4,
    Race.AMERICAN_INDIAN: 2,
    Race.PACIFIC_ISLANDER: 1,
    Race.NOT_REPORTED: 10,
}
ETHNICITY_WEIGHTS = {Ethnicity.HISPANIC: 16, Ethnicity.NOT_HISPANIC: 79, Ethnicity.NOT_REPORTED: 5}
DEFAULT_AGE_WEIGHTS = {
    AgeBand.AGE_18_44: 30,
    AgeBand.AGE_45_64: 40,
    AgeBand.AGE_65_74: 25,
    AgeBand.AGE_75_PLUS: 5,
}


@dataclass(frozen=True)
class Login:
    email: str
    roles: str
    organization: str


@dataclass
class DemoSummary:
    created: Counter = field(default_factory=Counter)
    totals: dict[str, int] = field(default_factory=dict)
    logins: list[Login] = field(default_factory=list)

    @property
    def created_total(self) -> int:
        return sum(self.created.values())


@dataclass
class _VisitPlan:
    definition: VisitDefinition
    target_date: date
    window_start: date
    window_end: date
    status: str
    actual_date: date | None


@dataclass
class _SubjectPlan:
    subject: Subject
    visits: list[_VisitPlan]


def _pick(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class _Seeder:
    def __init__(self, today: date) -> None:
        self.today = today
        self.summary = DemoSummary()
        self.organizations: dict[str, Organization] = {}
        self.users: dict[str, User] = {}
        self._password_hash: str | None = None

    def count_created(self, model: type[models.Model], number: int = 1) -> None:
        label = "CRA assignments" if model is CRAAssignment else model._meta.verbose_name_plural
        self.summary.created[str(label)] += number

    def get_or_create(self, model: type[models.Model], defaults: dict | None = None, **lookup):
        obj, created = model.objects.get_or_create(defaults=defaults or {}, **lookup)
        if created:
            self.count_created(model)
        return obj

    @property
    def password_hash(self) -> str:
        # PBKDF2 is slow on purpose: hash once and share it (the password is public anyway).
        if self._password_hash is None:
            self._password_hash = make_password(DEMO_PASSWORD)
        return self._password_hash

    # --- organizations and people ---------------------------------------------------------

    def seed_organizations(self) -> None:
        for spec in ORGANIZATIONS:
            self.organizations[spec.name] = self.get_or_create(
                Organization, kind=spec.kind, name=spec.name, defaults={"country": spec.country}
            )
        for name, profile in SITE_PROFILES.items():
            self.get_or_create(SiteProfile, organization=self.organizations[name], defaults=profile)

    def seed_people(self) -> None:
        existing = {u.email: u for u in User.objects.filter(email__in=[p.email for p in PEOPLE])}
        for person in PEOPLE:
            user = existing.get(person.email)
            if user is None:
                user = User.objects.create(
                    email=person.email,
                    full_name=person.full_name,
                    time_zone=person.time_zone,
                    password=self.password_hash,
                )
                self.count_created(User)
            self.users[person.email] = user
            organization = self.organizations[person.organization]
            for role in person.roles:
                self.get_or_create(Membership, user=user, organization=organization, role=role)
            self.summary.logins.append(
                Login(
                    email=person.email,
                    roles=", ".join(Role(role).label for role in person.roles),
                    organization=person.organization,
                )
            )

    # --- studies --------------------------------------------------------------------------

    def seed_studies(self) -> list[_SubjectPlan]:
        plans: list[_SubjectPlan] = []
        for spec in STUDIES:
            study = self.get_or_create(
                Study,
                cro=self.organizations[spec.cro],
                protocol_number=spec.protocol_number,
                defaults={
                    "sponsor": self.organizations[spec.sponsor],
                    "title": spec.title,
                    "phase": spec.phase,
                    "therapeutic_area": spec.therapeutic_area,
                    "status": spec.status,
                    "planned_sites": spec.planned_sites,
                    "planned_subjects": spec.planned_subjects,
                    "currency": spec.currency,
                    "diversity_goals": spec.diversity_goals,
                    "subject_id_pattern": spec.subject_id_pattern,
                },
            )
            self.get_or_create(
                StudyTeamMember,
                study=study,
                user=self.users[spec.lead],
                defaults={"role": TeamRole.LEAD},
            )
            for email in spec.team:
                self.get_or_create(StudyTeamMember, study=study, user=self.users[email])
            definitions = [
                self.get_or_create(
                    VisitDefinition,
                    study=study,
                    code=visit.code,
                    defaults={
                        "name": visit.name,
                        "day_offset": visit.day_offset,
                        "window_before": visit.window_before,
                        "window_after": visit.window_after,
                        "order": order,
                    },
                )
                for order, visit in enumerate(spec.schedule, start=1)
            ]
            study_plans: list[_SubjectPlan] = []
            for site_spec in spec.study_sites:
                study_plans += self.seed_study_site(spec, study, site_spec, definitions)
            plans += study_plans
            self.seed_study_milestones(spec, study, study_plans)
        return plans

    def seed_study_site(
        self,
        spec: StudySpec,
        study: Study,
        site_spec: StudySiteSpec,
        definitions: list[VisitDefinition],
    ) -> list[_SubjectPlan]:
        pi = (
            self.users[site_spec.principal_investigator]
            if site_spec.principal_investigator
            else None
        )
        study_site = self.get_or_create(
            StudySite,
            study=study,
            site_number=site_spec.site_number,
            defaults={
                "site": self.organizations[site_spec.site],
                "principal_investigator": pi,
                "status": site_spec.status,
                "enrollment_target": site_spec.enrollment_target,
            },
        )
        for email in site_spec.cras:
            self.get_or_create(CRAAssignment, study_site=study_site, cra=self.users[email])
        if site_spec.siv_days_ago is not None:
            siv = self.today - timedelta(days=site_spec.siv_days_ago)
            self.get_or_create(
                Milestone,
                study=study,
                study_site=study_site,
                kind=MilestoneKind.SIV,
                defaults={"planned_date": siv - timedelta(days=3), "actual_date": siv},
            )
        elif site_spec.siv_planned_in is not None:
            self.get_or_create(
                Milestone,
                study=study,
                study_site=study_site,
                kind=MilestoneKind.SIV,
                defaults={"planned_date": self.today + timedelta(days=site_spec.siv_planned_in)},
            )
        if not site_spec.subjects:
            return []
        plans = self.plan_subjects(spec, study_site, site_spec, definitions)
        first_enrolled = min(
            (p.subject.enrollment_date for p in plans if p.subject.enrollment_date), default=None
        )
        if first_enrolled is not None:
            self.get_or_create(
                Milestone,
                study=study,
                study_site=study_site,
                kind=MilestoneKind.FPI,
                defaults={"planned_date": first_enrolled, "actual_date": first_enrolled},
            )
        return plans

    def seed_study_milestones(
        self, spec: StudySpec, study: Study, plans: list[_SubjectPlan]
    ) -> None:
        enrolled = [p.subject.enrollment_date for p in plans if p.subject.enrollment_date]
        if enrolled:
            first = min(enrolled)
            fpi = {"planned_date": first - timedelta(days=10), "actual_date": first}
        else:
            fpi = {"planned_date": self.today + timedelta(days=45)}
        self.get_or_create(
            Milestone, study=study, study_site=None, kind=MilestoneKind.FPI, defaults=fpi
        )
        self.get_or_create(
            Milestone,
            study=study,
            study_site=None,
            kind=MilestoneKind.LPI,
            defaults={"planned_date": self.today + timedelta(days=240 if enrolled else 420)},
        )
        self.get_or_create(
            Milestone,
            study=study,
            study_site=None,
            kind=MilestoneKind.DBL,
            defaults={"planned_date": self.today + timedelta(days=480 if enrolled else 660)},
        )

    # --- subjects and visits --------------------------------------------------------------

    def plan_subjects(
        self,
        spec: StudySpec,
        study_site: StudySite,
        site_spec: StudySiteSpec,
        definitions: list[VisitDefinition],
    ) -> list[_SubjectPlan]:
        """Create the study-site's missing subjects; return the plans of those just created
        (the new subjects with their visits to create)."""
        existing = set(
            Subject.objects.filter(study_site=study_site).values_list(
                "subject_identifier", flat=True
            )
        )
        rng = random.Random(f"{spec.protocol_number}/{site_spec.site_number}")
        count = site_spec.subjects
        first_screening = self.today - timedelta(days=(site_spec.siv_days_ago or 30) - 7)
        last_enrollable = self.today - timedelta(days=20)
        spread = max((last_enrollable - first_screening).days, 1)
        steady = count - 2  # the last two are still in screening
        screen_failures = {2, steady // 2 + 1} if steady >= 8 else {2}
        withdrawn = {steady // 2 + 2}
        plans: list[_SubjectPlan] = []
        for index in range(count):
            if index < steady:
                offset = round(index * spread / max(steady - 1, 1))
                screening_date = first_screening + timedelta(days=offset)
            else:
                screening_date = self.today - timedelta(days=10 if index == steady else 3)
            identifier = spec.subject_id_pattern.format(site=site_spec.site_number, seq=index + 1)
            consent_date = screening_date - timedelta(days=rng.randint(0, 3))
            subject = Subject(
                study_site=study_site,
                subject_identifier=identifier,
                status=SubjectStatus.SCREENING,
                screening_date=screening_date,
                consent_date=consent_date,
                consent_version="v2.0"
                if screening_date < self.today - timedelta(days=120)
                else "v3.0",
                sex=_pick(rng, SEX_WEIGHTS),
                age_band=_pick(rng, spec.age_weights or DEFAULT_AGE_WEIGHTS),
                race=_pick(rng, RACE_WEIGHTS),
                ethnicity=_pick(rng, ETHNICITY_WEIGHTS),
            )
            visits: list[_VisitPlan] = []
            if index in screen_failures:
                subject.status = SubjectStatus.SCREEN_FAILED
                subject.status_reason = rng.choice(SCREEN_FAILURE_REASONS)
            elif index < steady:
                subject.enrollment_date = screening_date + timedelta(days=14)
                withdrawal = subject.enrollment_date + timedelta(days=40)
                if index not in withdrawn or withdrawal > self.today - timedelta(days=14):
                    withdrawal = None
                visits = self.plan_visits(rng, subject.enrollment_date, definitions, withdrawal)
                if withdrawal is not None:
                    subject.status = SubjectStatus.WITHDRAWN
                    subject.status_reason = rng.choice(WITHDRAWAL_REASONS)
                elif all(v.status != SubjectVisitStatus.SCHEDULED for v in visits):
                    subject.status = SubjectStatus.COMPLETED
                else:
                    subject.status = SubjectStatus.ENROLLED
            if identifier not in existing:
                plans.append(_SubjectPlan(subject=subject, visits=visits))
        if plans:
            Subject.objects.bulk_create([p.subject for p in plans])
            self.count_created(Subject, len(plans))
        return plans

    def plan_visits(
        self,
        rng: random.Random,
        enrollment_date: date,
        definitions: list[VisitDefinition],
        withdrawal: date | None,
    ) -> list[_VisitPlan]:
        visits: list[_VisitPlan] = []
        for definition in definitions:
            target = enrollment_date + timedelta(days=definition.day_offset)
            if withdrawal is not None and target > withdrawal:
                break
            window_start = target - timedelta(days=definition.window_before)
            window_end = target + timedelta(days=definition.window_after)
            status, actual = SubjectVisitStatus.SCHEDULED, None
            if target < self.today:
                if definition.code == "SCR" or definition.day_offset == 0:
                    status, actual = SubjectVisitStatus.COMPLETED, target
                elif window_end >= self.today and rng.random() < 0.5:
                    pass  # due now: still within its window, not done yet
                elif window_end < self.today and definition.code != "EOS" and rng.random() < 0.08:
                    status = SubjectVisitStatus.MISSED
                else:
                    shift = rng.randint(
                        -min(definition.window_before, 2), min(definition.window_after, 2)
                    )
                    actual = min(target + timedelta(days=shift), self.today)
                    status = SubjectVisitStatus.COMPLETED
            visits.append(_VisitPlan(definition, target, window_start, window_end, status, actual))
        return visits

    def seed_subject_visits(self, plans: list[_SubjectPlan]) -> list[SubjectVisit]:
        rows = [
            SubjectVisit(
                subject=plan.subject,
                definition=visit.definition,
                target_date=visit.target_date,
                window_start=visit.window_start,
                window_end=visit.window_end,
                actual_date=visit.actual_date,
                status=visit.status,
            )
            for plan in plans
            for visit in plan.visits
        ]
        if rows:
            SubjectVisit.objects.bulk_create(rows)
            self.count_created(SubjectVisit, len(rows))
        return rows

    # --- notifications --------------------------------------------------------------------

    def _notify(self, *, email: str, kind: str, title: str, body: str, key: str) -> None:
        created = notify(
            recipient=self.users[email],
            kind=kind,
            title=title,
            body=f"{body}\n\nEverything in this demo is invented: no real people or patients.",
            dedupe_key=key,
        )
        if created is not None:
            self.summary.created["notifications"] += 1

    def seed_notifications(self) -> None:
        for person in PEOPLE:
            self._notify(
                email=person.email,
                kind="demo.welcome",
                title="Welcome to the TrialBridge demo",
                body=(
                    f"You are signed in as {person.full_name} of {person.organization}. "
                    "The organizations, people, studies and subjects here are invented demo "
                    "data to try TrialBridge with."
                ),
                key=f"demo:welcome:{person.email}",
            )
        site_people = {p.organization: p.email for p in PEOPLE if Role.COORDINATOR in p.roles}
        for spec in STUDIES:
            for site_spec in spec.study_sites:
                where = f"{spec.protocol_number} site {site_spec.site_number}"
                status = StudySiteStatus(site_spec.status).label.lower()
                for email in site_spec.cras:
                    self._notify(
                        email=email,
                        kind="demo.cra_assigned",
                        title=f"You monitor {where}",
                        body=f"You are the assigned CRA for {where} ({site_spec.site}).",
                        key=f"demo:cra-assigned:{email}:{spec.protocol_number}:"
                        f"{site_spec.site_number}",
                    )
                coordinator = site_people.get(site_spec.site)
                if coordinator:
                    self._notify(
                        email=coordinator,
                        kind="demo.study_site_status",
                        title=f"{where} is {status}",
                        body=f"{spec.cro} lists your site as {status} in {spec.protocol_number}.",
                        key=f"demo:study-site-status:{coordinator}:{spec.protocol_number}:"
                        f"{site_spec.site_number}",
                    )

    # --- summary --------------------------------------------------------------------------

    def count_totals(self) -> None:
        studies = Study.objects.filter(cro__name__endswith=DEMO_SUFFIX)
        self.summary.totals = {
            "organizations": Organization.objects.filter(name__endswith=DEMO_SUFFIX).count(),
            "users": User.objects.filter(email__in=[p.email for p in PEOPLE]).count(),
            "studies": studies.count(),
            "study-sites": StudySite.objects.filter(study__in=studies).count(),
            "subjects": Subject.objects.filter(study_site__study__in=studies).count(),
            "subject visits": SubjectVisit.objects.filter(
                subject__study_site__study__in=studies
            ).count(),
        }


def demo_seed(*, today: date | None = None) -> DemoSummary:
    """Create whatever is missing of the invented demo data, in one transaction, with the
    audit reason "demo data (invented)" on every event written."""
    seeder = _Seeder(today or timezone.now().date())
    with transaction.atomic(), audit_context(reason=DEMO_REASON):
        seeder.seed_organizations()
        seeder.seed_people()
        plans = seeder.seed_studies()
        seeder.seed_subject_visits(plans)
        # Each capability adds its own invented rows on top of the shared trial data; payments
        # comes last because it earns on what the others created.
        for app_seed in (
            trials_demo.seed,
            feasibility_demo.seed,
            regulatory_demo.seed,
            queries_demo.seed,
            safety_demo.seed,
            monitoring_demo.seed,
            payments_demo.seed,
            scorecards_demo.seed,
        ):
            for label, number in (app_seed(today=seeder.today) or {}).items():
                if number:
                    seeder.summary.created[str(label)] += number
        seeder.seed_notifications()
        seeder.count_totals()
    return seeder.summary
