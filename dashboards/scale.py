"""The bench data set (``python manage.py seed_scale``): two CROs running many studies at many
sites, with everything those sites and CROs work on, built with batched bulk inserts, for
bench/ (issue 8).

Everything is synthetic: organization names end with " (bench)", people are known by role and
number on the reserved ``.example`` domain, subjects only by pseudonymous ids.

Shape. ``--studies`` and ``--sites-per-study`` are multiplied by sqrt(scale) and the row counts
(subjects, visits, queries) by scale, so a 1% run keeps the full run's rows *per study-site*
(20 subjects, ~200 subject visits, 60 data queries), which is what one page of one user sees.
Studies alternate between the two CROs; every study runs at every site organization. Each site
organization has one coordinator and one principal investigator; each CRO a project manager
(lead of all its studies), a finance user, a finance approver, a regulatory specialist and a
safety officer; each study one CRA, assigned to all of its study-sites.

Per study-site, as the app itself would have written it over about fifteen months:

- subjects in every status; subject visits are scheduled at enrollment (as the app does), so
  only subjects who enrolled have them: ``visits / (subjects × 0.85)`` each, mostly completed in
  the past (some missed, some out of window, a few not yet recorded), scheduled ahead;
- data queries on completed visits, most resolved within days (open, answered and re-opened
  ones are the recent ones), each with its thread (raised, answered, closed, re-opened or
  cancelled, as the app writes it), and adverse events (a few serious; a handful of SAE clocks run);
- SIV and FPI milestones; monitoring visits (SIV, then an IMV every eight weeks, the next one
  upcoming) in every status, with reports, findings, signatures, follow-up letters and the
  action items they raised;
- the study's required regulatory documents with their versions (approved, awaiting review,
  rejected and re-uploaded; licences, certificates and IRB approvals expire and are renewed, a
  few are about to expire or just expired). The files are metadata only: every version points
  at one tiny placeholder PDF;
- a budget (fee schedule; some sites with an amendment), an earning for every completed
  visit, screen failure and SIV, invoices in every status, quarterly payment runs (the older
  ones paid; the latest one paid, approved and ready to pay, draft, or not built yet so that
  some earnings are overdue), signatures on approvals, and a few payment disputes;
- in-app notifications (most read; some people take a daily digest, with yesterday's
  notifications still waiting for it).

The pghistory insert triggers stay on: bulk inserts write their audit events too (each with
the reason "bench data (synthetic)"), and the load time reported includes them.
"""

import hashlib
import json
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from enum import Enum

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone
from pghistory import runtime as pghistory_runtime
from pghistory import trigger as pghistory_trigger
from psycopg.types.json import Jsonb

from accounts.models import Membership, Organization, OrganizationKind, Role, User
from core.audit import audit_context
from core.models import (
    Delivery,
    Notification,
    NotificationDigest,
    NotificationPreference,
    Signature,
    SignatureMeaning,
)
from core.signatures import content_hash
from monitoring.models import (
    ActionItem,
    ActionItemCategory,
    ActionItemOwner,
    ActionItemStatus,
    Finding,
    FindingCategory,
    FindingSeverity,
    FollowUpLetter,
    LetterStatus,
    MonitoringVisit,
    ReportStatus,
    VisitMode,
    VisitReport,
    VisitStatus,
    VisitType,
)
from payments.models import (
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
from payments.money import holdback_split
from queries.models import DataQuery, DataQueryAction, DataQueryStatus, QueryMessage
from regulatory.models import (
    Document,
    DocumentRequirement,
    DocumentType,
    DocumentVersion,
    ReviewStatus,
)
from safety.models import AdverseEvent, AdverseEventStatus, Outcome, Relatedness, Severity
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

BENCH_SUFFIX = " (bench)"
BENCH_PASSWORD = "trialbridge-bench"  # noqa: S105 - the published password of synthetic users
BENCH_REASON = "bench data (synthetic)"
BATCH = 5000
CHUNK = 25  # study-sites built together: few large inserts, bounded memory
CROS = ("Bench CRO A (bench)", "Bench CRO B (bench)")
SPONSOR = "Bench Sponsor (bench)"
CURRENCY = "USD"
# Share of subjects who enrolled (enrolled, completed, withdrawn) and so have visits.
WITH_VISITS_SHARE = 0.85
SUBJECT_STATUS_WEIGHTS = {
    SubjectStatus.ENROLLED: 70,
    SubjectStatus.COMPLETED: 10,
    SubjectStatus.WITHDRAWN: 5,
    SubjectStatus.SCREEN_FAILED: 10,
    SubjectStatus.SCREENING: 5,
}
VISIT_SPACING_DAYS = 14
IMV_SPACING_DAYS = 56
PAYMENT_TERMS_DAYS = 45
RUN_PERIOD_DAYS = 91
HOLDBACK = Decimal("10.00")
SECOND_APPROVAL = Decimal("2500.00")
VISIT_FEES = (Decimal("650.00"), Decimal("450.00"), Decimal("380.00"), Decimal("380.00"))
MILESTONE_FEES = {MilestoneKind.SIV: Decimal("3000.00"), MilestoneKind.COV: Decimal("1500.00")}
SCREEN_FAILURE_FEE = Decimal("200.00")
SCREEN_FAILURE_CAP = 5
ITEM_CAPS = {
    ItemCategory.PHARMACY: Decimal("350.00"),
    ItemCategory.PROCEDURE: Decimal("900.00"),
    ItemCategory.SAE_REPORTING: Decimal("250.00"),
    ItemCategory.TRAVEL: Decimal("120.00"),
    ItemCategory.IRB_FEE: Decimal("2500.00"),
}
# The study's required documents: (document type code, the scope it is kept at).
REQUIRED_DOCUMENTS = (
    ("protocol_signature_page", "pi"),
    ("form_fda_1572", "pi"),
    ("investigator_cv", "investigators"),
    ("medical_licence", "investigators"),
    ("gcp_certificate", "investigators"),
    ("financial_disclosure", "investigators"),
    ("irb_protocol", "site"),
    ("informed_consent_form", "site"),
    ("lab_certification", "site"),
    ("delegation_log", "site"),
)
PLACEHOLDER_NAME = "bench/synthetic-document.pdf"
PLACEHOLDER_PDF = b"%PDF-1.4\n% TrialBridge bench placeholder (synthetic, no content)\n%%EOF\n"
REPORT_SECTIONS = {
    "attendees": {"names": "PI, study coordinator, CRA (bench)"},
    "enrollment": {"comments": "Recruitment as planned (synthetic)."},
    "sdv": {"visits_reviewed": 12, "data_points_verified": 480, "data_points_total": 500},
    "conclusions": {"summary": "Site performs as expected (synthetic report)."},
}
AE_TERMS = ("Headache", "Nausea", "Fatigue", "Dizziness", "Rash", "Upper respiratory infection")
FINDINGS = (
    (FindingCategory.DEVIATION, "Visit done two days out of window (synthetic)."),
    (FindingCategory.CONSENT, "Consent form page initials missing (synthetic)."),
    (FindingCategory.SDV, "Source and CRF differ on one vital sign (synthetic)."),
    (FindingCategory.ISF, "Delegation log not updated for new staff (synthetic)."),
    (FindingCategory.IP, "Temperature log gap of one day (synthetic)."),
)
ACTION_ITEMS = (
    (ActionItemCategory.ISF, "Update the delegation log (synthetic)"),
    (ActionItemCategory.DATA, "Correct the CRF entries raised at SDV (synthetic)"),
    (ActionItemCategory.CONSENT, "Re-consent subjects on the new ICF version (synthetic)"),
    (ActionItemCategory.TRAINING, "File training records for new staff (synthetic)"),
    (ActionItemCategory.IP, "Reconcile the IP temperature log (synthetic)"),
)


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
        """Visits in the study schedule, i.e. of each subject who enrolled."""
        return max(1, round(self.visits / (self.subjects * WITH_VISITS_SHARE)))


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


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), tzinfo=UTC)


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


AUDIT_MODES = ("bulk", "triggers")


def seed_scale(
    plan: ScalePlan, *, force: bool = False, today: date | None = None, audit: str = "bulk"
) -> ScaleSummary:
    """Build the bench data set. Refuses a database with non-bench organizations unless
    ``force``, and a database that already holds the bench data set.

    ``audit``: every seeded row gets its pghistory insert event, either written set-based
    after the load ("bulk": the per-row insert triggers are skipped while COPY runs, then one
    ``INSERT … SELECT`` per table writes the same events, same columns, label and context) or
    by the per-row triggers themselves ("triggers", slower; kept to compare)."""
    if audit not in AUDIT_MODES:
        raise ValueError(f"audit must be one of {AUDIT_MODES}")
    if not force and non_bench_organizations():
        raise NonBenchDatabase(", ".join(non_bench_organizations()))
    if Organization.objects.filter(name__in=CROS).exists():
        raise BenchAlreadySeeded
    started = time.monotonic()
    now = timezone.now() if today is None else _at(today, 12)
    today = today or timezone.localdate()
    if not default_storage.exists(PLACEHOLDER_NAME):
        default_storage.save(PLACEHOLDER_NAME, ContentFile(PLACEHOLDER_PDF))
    with transaction.atomic(), audit_context(reason=BENCH_REASON):
        # On an error the transaction (or savepoint) rolls back, and with it the transaction-
        # local settings the loader made (which triggers to skip, the audit context).
        loader = _Loader(plan, today, now, audit=audit)
        summary = loader.run()
        if audit == "bulk":
            loader.write_audit_events()
    # Fresh planner statistics for the tables just filled. Until autovacuum gets to them the
    # planner believes the pre-load sizes; on the first full-scale run that made it expect
    # thousands of visits per subject, and those cost estimates switched on JIT compilation
    # (90 ms a query) for a page reading 20 subjects.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    summary.seconds = time.monotonic() - started
    return summary


def _insert_event_trigger(model: type[models.Model]):
    """The pghistory trigger that writes a model's insert events, if it is tracked."""
    for trigger in getattr(model._meta, "triggers", []):
        if isinstance(trigger, pghistory_trigger.Event) and str(trigger.operation) == "INSERT":
            return trigger
    return None


def _insert_events_sql(model: type[models.Model], trigger) -> str:
    """One ``INSERT … SELECT`` writing, for the seeded rows of ``model``, exactly the events its
    row trigger writes (pghistory's own column mapping, as in its statement-level trigger)."""
    event_model = trigger.event_model
    if not isinstance(event_model._meta.get_field("pgh_context"), models.ForeignKey):
        raise AssertionError(f"{event_model.__name__}: unexpected pghistory context field")
    tracked = {f.name for f in model._meta.fields}
    values = {
        f.column: f'"NEW"."{f.column}"'
        for f in event_model._meta.fields
        if not isinstance(f, models.AutoField) and f.name in tracked and f.concrete
    }
    values["pgh_created_at"] = "clock_timestamp()"
    values["pgh_label"] = f"'{trigger.label}'"
    values["pgh_obj_id"] = f'"NEW"."{model._meta.pk.column}"'
    values["pgh_context_id"] = "_pgh_ctx.value"
    columns = ", ".join(f'"{column}"' for column in values)
    return (  # names come from the models, values are parameters
        "WITH _pgh_ctx AS (SELECT _pgh_attach_context() AS value) "  # noqa: S608
        f'INSERT INTO "{event_model._meta.db_table}" ({columns}) '
        f"SELECT {', '.join(values.values())} "
        f'FROM "{model._meta.db_table}" AS "NEW", _pgh_ctx '
        f'WHERE "NEW"."{model._meta.pk.column}" >= %s ORDER BY "NEW"."{model._meta.pk.column}"'
    )


class _Columns:
    """How to turn a model instance into a COPY row (without Django's insert compiler)."""

    def __init__(self, model: type[models.Model]) -> None:
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.names = [f.column for f in self.fields]

    def row(self, obj, now: datetime) -> tuple:
        values = []
        for f in self.fields:
            value = getattr(obj, f.attname)
            if value is None:
                if f.is_relation and f.is_cached(obj):  # a parent saved after it was assigned
                    related = f.get_cached_value(obj)
                    value = related.pk if related is not None else None
                    setattr(obj, f.attname, value)
                elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                    value = now if isinstance(f, models.DateTimeField) else now.date()
                    setattr(obj, f.attname, value)
            elif isinstance(f, models.JSONField):
                value = Jsonb(value)
            elif isinstance(f, models.FileField):
                value = value.name
            elif isinstance(value, Enum):
                value = value.value
            values.append(value)
        return tuple(values)


@dataclass(slots=True)
class _Visit:
    """A subject visit as the loader writes it (COPY), without a model instance."""

    subject_id: int
    definition_id: int
    target_date: date
    window_start: date
    window_end: date
    status: str
    actual_date: date | None = None
    out_of_window: bool = False
    deviation_note: str = ""
    pk: int | None = None


@dataclass(slots=True)
class _Earning:
    study_site_id: int
    kind: str
    event_date: date
    description: str
    amount: Decimal
    created_at: datetime
    budget_version_id: int | None = None
    subject_visit_id: int | None = None
    subject_id: int | None = None
    milestone_id: int | None = None
    reverses_id: int | None = None
    reversed_at: datetime | None = None
    currency: str = CURRENCY
    holdback_exempt: bool = False
    pk: int | None = None


@dataclass(slots=True)
class _RunLine:
    description: str
    event_date: date
    gross: Decimal
    holdback: Decimal
    net: Decimal
    earning_id: int | None = None
    invoice_line_id: int | None = None
    run_id: int | None = None
    currency: str = CURRENCY
    pk: int | None = None


def _names(record: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(record) if f.name != "pk")


QUERY_COLUMNS = (
    "study_id",
    "study_site_id",
    "subject_id",
    "subject_visit_id",
    "form_name",
    "field_name",
    "text",
    "status",
    "external_id",
    "raised_by_id",
    "raised_at",
    "status_changed_at",
    "waiting_since",
    "site_wait",
    "cro_wait",
    "resolved_at",
)

MESSAGE_COLUMNS = (
    "data_query_id",
    "author_id",
    "action",
    "from_status",
    "to_status",
    "text",
    "created_at",
)


@dataclass
class _Site:
    """What the loader keeps about one study-site while it builds its rows."""

    study_site: StudySite
    siv: date
    coordinator: User
    pi: User
    cra: User
    pm: User
    finance: User
    approver: User
    regulatory: User
    safety: User
    subjects: list[Subject] = field(default_factory=list)
    visits: list[_Visit] = field(default_factory=list)
    milestones: dict[str, Milestone] = field(default_factory=dict)

    @property
    def pk(self) -> int:
        return self.study_site.pk


class _Loader:
    def __init__(self, plan: ScalePlan, today: date, now: datetime, *, audit: str = "bulk"):
        self.plan = plan
        self.today = today
        self.now = now
        self.rng = random.Random(20260101)
        self.counts: dict[str, int] = {}
        self.password = make_password(BENCH_PASSWORD)
        self.sha256 = hashlib.sha256(PLACEHOLDER_PDF).hexdigest()
        self.notification_number = 0
        self.audit = audit
        self.first_ids: dict[type[models.Model], int] = {}
        self.columns: dict[type[models.Model], _Columns] = {}
        self.skipped_triggers: set[str] = set()

    # --- writing rows --------------------------------------------------------------------------

    def bulk(self, model, objects: list) -> list:
        """Insert model instances with COPY (ids drawn from the table's sequence first, then
        set on the instances); far cheaper than bulk_create's SQL for millions of rows."""
        if not objects:
            return []
        columns = self.columns.setdefault(model, _Columns(model))
        now = timezone.now()
        ids = self.copy(model, columns.names, [columns.row(obj, now) for obj in objects])
        for obj, pk in zip(objects, ids, strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, connection.alias
        return objects

    def copy_records(self, model, names: tuple[str, ...], records: list) -> list:
        """Insert light records (attributes named after the columns) with COPY; sets ``pk``."""
        rows = [
            tuple(
                v.value if isinstance(v, Enum) else v for v in map(record.__getattribute__, names)
            )
            for record in records
        ]
        for record, pk in zip(records, self.copy(model, names, rows), strict=True):
            record.pk = pk
        return records

    def copy(self, model, names, rows: list[tuple]) -> range:
        if not rows:
            return range(0)
        table, pk = model._meta.db_table, model._meta.pk.column
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), "
                "nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
                [table, pk, table, pk, len(rows)],
            )
            last = cursor.fetchone()[0]
            ids = range(last - len(rows) + 1, last + 1)
            self.first_ids.setdefault(model, ids.start)
            self.prepare_triggers(cursor, model)
            columns = ", ".join(quote(name) for name in (pk, *names))
            with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
                for row_id, row in zip(ids, rows, strict=True):
                    copy.write_row((row_id, *row))
        key = str(model._meta.verbose_name_plural)
        self.counts[key] = self.counts.get(key, 0) + len(rows)
        return ids

    def prepare_triggers(self, cursor, model) -> None:
        """Before a COPY: the audit context for the triggers that run (COPY goes around
        pghistory's per-statement injection), and in "bulk" mode the model's insert-event
        trigger on the skip list (pgtrigger's own switch, transaction-local)."""
        tracker = getattr(pghistory_runtime._tracker, "value", None)
        if tracker is not None:
            cursor.execute(
                "SELECT set_config('pghistory.context_id', %s, true), "
                "set_config('pghistory.context_metadata', %s, true)",
                [str(tracker.id), json.dumps(tracker.metadata, cls=DjangoJSONEncoder)],
            )
        trigger = _insert_event_trigger(model)
        if self.audit == "bulk" and trigger is not None:
            self.skipped_triggers.add(trigger.get_pgid(model))
            cursor.execute(
                "SELECT set_config('pgtrigger.ignore', %s, true)",
                ["{" + ",".join(sorted(self.skipped_triggers)) + "}"],
            )

    def stop_skipping_triggers(self) -> None:
        if self.skipped_triggers:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
            self.skipped_triggers.clear()

    def write_audit_events(self) -> None:
        """The insert events of every seeded row, one set-based statement per table."""
        self.stop_skipping_triggers()
        with connection.cursor() as cursor:
            for model, first_id in self.first_ids.items():
                trigger = _insert_event_trigger(model)
                if trigger is not None:
                    cursor.execute(_insert_events_sql(model, trigger), [first_id])

    def user(self, role: str, number: int, label: str) -> User:
        return User(
            email=bench_email(role, number),
            full_name=f"{label} {number:03d} (bench)",
            time_zone="UTC",
            password=self.password,
        )

    def pick(self, weights: dict):
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def past(self, moment: datetime) -> datetime:
        """``moment``, or just before now when it would lie ahead (a recent event)."""
        return min(moment, self.now - timedelta(minutes=1))

    def days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    # --- organizations, people, studies --------------------------------------------------------

    def run(self) -> ScaleSummary:
        plan = self.plan
        cros = self.bulk(
            Organization,
            [Organization(kind=OrganizationKind.CRO, name=name, country="US") for name in CROS],
        )
        sponsor, *sites = self.bulk(
            Organization,
            [Organization(kind=OrganizationKind.SPONSOR, name=SPONSOR, country="US")]
            + [
                Organization(
                    kind=OrganizationKind.SITE, name=f"Bench Site {n:04d} (bench)", country="US"
                )
                for n in range(1, plan.sites_per_study + 1)
            ],
        )
        cro_roles = (
            ("pm", "Project Manager", (Role.PROJECT_MANAGER, Role.ADMIN)),
            ("finance", "Finance", (Role.FINANCE,)),
            ("approver", "Finance Approver", (Role.FINANCE_APPROVER,)),
            ("regulatory", "Regulatory Specialist", (Role.REGULATORY,)),
            ("safety", "Safety Officer", (Role.SAFETY,)),
        )
        staff_rows = [
            (cro, roles, self.user(kind, number, label))
            for number, cro in enumerate(cros, start=1)
            for kind, label, roles in cro_roles
        ]
        cra_rows = [
            (cros[i % 2], (Role.CRA,), self.user("cra", i + 1, "CRA")) for i in range(plan.studies)
        ]
        site_rows = [
            (site, (Role.COORDINATOR,), self.user("coordinator", n, "Coordinator"))
            for n, site in enumerate(sites, start=1)
        ] + [
            (site, (Role.INVESTIGATOR,), self.user("pi", n, "Principal Investigator"))
            for n, site in enumerate(sites, start=1)
        ]
        rows = staff_rows + cra_rows + site_rows
        users = self.bulk(User, [user for _, _, user in rows])
        self.users = users
        self.bulk(
            Membership,
            [
                Membership(user=user, organization=org, role=role)
                for (org, roles, _), user in zip(rows, users, strict=True)
                for role in roles
            ],
        )
        people = {(row[2].email): user for row, user in zip(rows, users, strict=True)}

        def person(kind: str, number: int) -> User:
            return people[bench_email(kind, number)]

        studies = self.bulk(
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
                    currency=CURRENCY,
                )
                for i in range(plan.studies)
            ],
        )
        self.bulk(
            StudyTeamMember,
            [
                StudyTeamMember(study=s, user=person("pm", i % 2 + 1), role=TeamRole.LEAD)
                for i, s in enumerate(studies)
            ],
        )
        per_subject = plan.visits_per_subject
        definitions = self.bulk(
            VisitDefinition,
            [
                VisitDefinition(
                    study=study,
                    code=f"V{n:02d}",
                    name="Screening / baseline" if n == 1 else f"Week {(n - 1) * 2}",
                    day_offset=(n - 1) * VISIT_SPACING_DAYS,
                    window_before=3,
                    window_after=3,
                    order=n,
                )
                for study in studies
                for n in range(1, per_subject + 1)
            ],
        )
        self.definitions = {
            study.pk: definitions[i * per_subject : (i + 1) * per_subject]
            for i, study in enumerate(studies)
        }
        self.definition_labels = {d.pk: f"{d.code} {d.name}" for d in definitions}
        self.requirements = self.load_requirements(studies, person)
        started = {study.pk: self.today - timedelta(days=470) for study in studies}
        sivs = [
            started[study.pk] + timedelta(days=self.rng.randint(0, 60))
            for study in studies
            for _ in sites
        ]
        study_sites = self.bulk(
            StudySite,
            [
                StudySite(
                    study=study,
                    site=site,
                    site_number=f"{n + 1:03d}",
                    principal_investigator=person("pi", n + 1),
                    status=StudySiteStatus.ENROLLING,
                    enrollment_target=plan.subjects // plan.study_sites + 5,
                    agreement_signed_on=sivs[i * len(sites) + n] - timedelta(days=45),
                    created_at=_at(sivs[i * len(sites) + n] - timedelta(days=120)),
                )
                for i, study in enumerate(studies)
                for n, site in enumerate(sites)
            ],
        )
        self.bulk(
            CRAAssignment,
            [
                CRAAssignment(study_site=ss, cra=person("cra", i + 1))
                for i, study in enumerate(studies)
                for ss in study_sites
                if ss.study_id == study.pk
            ],
        )
        index_of = {study.pk: i for i, study in enumerate(studies)}
        infos = []
        for ss, siv in zip(study_sites, sivs, strict=True):
            i = index_of[ss.study_id]
            cro = i % 2 + 1
            site_number = int(ss.site_number)
            infos.append(
                _Site(
                    study_site=ss,
                    siv=siv,
                    coordinator=person("coordinator", site_number),
                    pi=person("pi", site_number),
                    cra=person("cra", i + 1),
                    pm=person("pm", cro),
                    finance=person("finance", cro),
                    approver=person("approver", cro),
                    regulatory=person("regulatory", cro),
                    safety=person("safety", cro),
                )
            )
        self.content_types = {
            model: ContentType.objects.get_for_model(model).pk
            for model in (VisitReport, SiteInvoice, PaymentRun)
        }
        subjects_per_site = _split(plan.subjects, len(infos))
        queries_per_site = _split(plan.queries, len(infos))
        # a chunk of study-sites at a time keeps memory flat whatever the scale
        for start in range(0, len(infos), CHUNK):
            chunk = infos[start : start + CHUNK]
            self.load_chunk(
                chunk,
                subjects_per_site[start : start + CHUNK],
                queries_per_site[start : start + CHUNK],
            )
        self.load_notifications(infos)
        return ScaleSummary(counts=self.counts)

    def load_requirements(self, studies: list[Study], person) -> dict[int, list]:
        types = {t.code: t for t in DocumentType.objects.all()}
        rows = [
            DocumentRequirement(
                study=study,
                document_type=types[code],
                scope=scope,
                created_by=person("regulatory", i % 2 + 1),
                created_at=_at(self.today - timedelta(days=560)),
            )
            for i, study in enumerate(studies)
            for code, scope in REQUIRED_DOCUMENTS
            if code in types
        ]
        requirements: dict[int, list] = defaultdict(list)
        for requirement in self.bulk(DocumentRequirement, rows):
            requirements[requirement.study_id].append(requirement)
        return requirements

    # --- one chunk of study-sites --------------------------------------------------------------

    def load_chunk(self, chunk: list[_Site], n_subjects: list[int], n_queries: list[int]) -> None:
        self.load_subjects(chunk, n_subjects)
        self.load_queries(chunk, n_queries)
        self.load_adverse_events(chunk)
        self.load_milestones(chunk)
        self.load_monitoring(chunk)
        self.load_documents(chunk)
        self.load_payments(chunk)
        for site in chunk:  # done with their rows: keep memory flat
            site.subjects, site.visits, site.milestones = [], [], {}

    def load_subjects(self, chunk: list[_Site], n_subjects: list[int]) -> None:
        rng, today = self.rng, self.today
        subjects: list[Subject] = []
        owners: list[_Site] = []
        last_offset = (self.plan.visits_per_subject - 1) * VISIT_SPACING_DAYS
        for site, count in zip(chunk, n_subjects, strict=True):
            earliest = (today - site.siv).days - 7
            for n in range(count):
                status = self.pick(SUBJECT_STATUS_WEIGHTS)
                if status == SubjectStatus.COMPLETED and earliest < last_offset + 40:
                    status = SubjectStatus.ENROLLED
                if status == SubjectStatus.SCREENING:
                    screening = self.days_ago(1, 20)
                elif status == SubjectStatus.COMPLETED:
                    screening = self.days_ago(last_offset + 30, earliest)
                else:
                    screening = self.days_ago(30, min(400, earliest))
                enrolled = status in (
                    SubjectStatus.ENROLLED,
                    SubjectStatus.COMPLETED,
                    SubjectStatus.WITHDRAWN,
                )
                reason = {
                    SubjectStatus.SCREEN_FAILED: "Did not meet inclusion criteria (synthetic)",
                    SubjectStatus.WITHDRAWN: "Withdrew consent (synthetic)",
                }.get(status, "")
                subjects.append(
                    Subject(
                        study_site=site.study_site,
                        subject_identifier=f"S{site.pk:05d}-{n + 1:05d}",
                        status=status,
                        screening_date=screening,
                        consent_date=screening - timedelta(days=1),
                        consent_version="v1.0",
                        enrollment_date=screening + timedelta(days=14) if enrolled else None,
                        status_reason=reason,
                        sex=rng.choice(
                            [Sex.FEMALE, Sex.MALE, Sex.FEMALE, Sex.MALE, "not_reported"]
                        ),
                        age_band=rng.choice(
                            [AgeBand.AGE_18_44, AgeBand.AGE_45_64, AgeBand.AGE_45_64]
                            + [AgeBand.AGE_65_74, AgeBand.AGE_75_PLUS]
                        ),
                        race=rng.choices(
                            [Race.WHITE, Race.BLACK, Race.ASIAN, Race.MULTIPLE, Race.NOT_REPORTED],
                            weights=[60, 15, 8, 4, 13],
                        )[0],
                        ethnicity=rng.choices(
                            [Ethnicity.NOT_HISPANIC, Ethnicity.HISPANIC, Ethnicity.NOT_REPORTED],
                            weights=[75, 17, 8],
                        )[0],
                        created_at=_at(screening, 10),
                    )
                )
                owners.append(site)
        subjects = self.bulk(Subject, subjects)
        for site, subject in zip(owners, subjects, strict=True):
            site.subjects.append(subject)
        visits: list[_Visit] = []
        visit_owners: list[_Site] = []
        for site in chunk:
            definitions = self.definitions[site.study_site.study_id]
            for subject in site.subjects:
                if subject.enrollment_date is None:
                    continue
                for visit in self.subject_visits(subject, definitions):
                    visits.append(visit)
                    visit_owners.append(site)
        visits = self.copy_records(SubjectVisit, _names(_Visit), visits)
        for site, visit in zip(visit_owners, visits, strict=True):
            site.visits.append(visit)

    def subject_visits(self, subject: Subject, definitions) -> list[_Visit]:
        rng, today = self.rng, self.today
        withdrawn_on = None
        if subject.status == SubjectStatus.WITHDRAWN:
            span = max(1, (today - subject.enrollment_date).days)
            withdrawn_on = subject.enrollment_date + timedelta(days=rng.randint(1, span))
        rows = []
        for definition in definitions:
            target = subject.enrollment_date + timedelta(days=definition.day_offset)
            start = target - timedelta(days=definition.window_before)
            end = target + timedelta(days=definition.window_after)
            status, actual, out, note = SubjectVisitStatus.SCHEDULED, None, False, ""
            if withdrawn_on is not None and end >= withdrawn_on:
                status = SubjectVisitStatus.CANCELLED
            elif subject.status == SubjectStatus.COMPLETED or target < today - timedelta(days=7):
                roll = rng.random()
                if roll < 0.03 and subject.status != SubjectStatus.COMPLETED:
                    status = SubjectVisitStatus.MISSED
                elif roll < 0.05 and subject.status != SubjectStatus.COMPLETED:
                    status = SubjectVisitStatus.SCHEDULED  # not yet recorded: overdue
                else:
                    status, actual = SubjectVisitStatus.COMPLETED, target
                    if roll > 0.95 and definition.order > 1:
                        actual, out = end + timedelta(days=2), True
                        note = "Subject travelling; visit done two days late (synthetic)"
            elif target < today and rng.random() < 0.5:
                status, actual = SubjectVisitStatus.COMPLETED, target
            rows.append(
                _Visit(
                    subject_id=subject.pk,
                    definition_id=definition.pk,
                    target_date=target,
                    window_start=start,
                    window_end=end,
                    status=status,
                    actual_date=actual,
                    out_of_window=out,
                    deviation_note=note,
                )
            )
        return rows

    def load_queries(self, chunk: list[_Site], n_queries: list[int]) -> None:
        """Data queries raised a few days after a completed visit; how long each took follows
        an exponential with a mean of ten days, so the unresolved ones are the recent ones.
        Each has its thread, as the app writes it: raised by the CRA, answered by the site's
        coordinator, then closed, re-opened or cancelled by the CRA."""
        rng, now = self.rng, self.now
        rows, threads = [], []
        for site, count in zip(chunk, n_queries, strict=True):
            done = [v for v in site.visits if v.status == SubjectVisitStatus.COMPLETED]
            if not site.subjects:
                continue
            subjects = {s.pk: s for s in site.subjects}
            for n in range(count):
                visit = done[rng.randrange(len(done))] if done else None
                subject = (
                    subjects[visit.subject_id]
                    if visit
                    else site.subjects[rng.randrange(len(site.subjects))]
                )
                base = visit.actual_date if visit else subject.screening_date
                raised = min(
                    _at(base + timedelta(days=rng.randint(1, 20)), rng.randint(8, 17), n % 60),
                    now - timedelta(minutes=5 + n),
                )
                age = (now - raised).total_seconds() / 86400
                takes = rng.expovariate(1 / 10)
                site_wait, cro_wait, resolved = timedelta(), timedelta(), None
                if takes < age:
                    answered_after = takes * rng.uniform(0.4, 0.9)
                    site_wait = timedelta(days=answered_after)
                    resolved = raised + timedelta(days=takes)
                    if rng.random() < 0.05:
                        status, site_wait = DataQueryStatus.CANCELLED, timedelta(days=takes)
                    else:
                        status = DataQueryStatus.CLOSED
                        cro_wait = timedelta(days=takes) - site_wait
                    waiting_since = changed = resolved
                else:
                    answered_after = rng.expovariate(1 / 6)
                    if answered_after >= age:
                        status, waiting_since = DataQueryStatus.OPEN, raised
                    else:
                        site_wait = timedelta(days=answered_after)
                        status, waiting_since = DataQueryStatus.ANSWERED, raised + site_wait
                        if rng.random() < 0.15:
                            cro_wait = (now - waiting_since) * rng.uniform(0.1, 0.8)
                            status = DataQueryStatus.REOPENED
                            waiting_since = waiting_since + cro_wait
                    changed = waiting_since
                rows.append(
                    (
                        site.study_site.study_id,
                        site.pk,
                        subject.pk,
                        visit.pk if visit else None,
                        ("Vital signs", "Laboratory", "Concomitant medication")[n % 3],
                        ("Systolic BP", "Haemoglobin", "Start date")[n % 3],
                        f"Please confirm the value (synthetic query {n + 1}).",
                        str(status),
                        "",
                        site.cra.pk,
                        raised,
                        changed,
                        waiting_since,
                        site_wait,
                        cro_wait,
                        resolved,
                    )
                )
                threads.append((site, status, raised, raised + site_wait, waiting_since, resolved))
        ids = self.copy(DataQuery, QUERY_COLUMNS, rows)
        messages = []
        for query_id, (site, status, raised, answered, waiting_since, resolved) in zip(
            ids, threads, strict=True
        ):
            messages += self.query_thread(
                query_id, site, status, raised, answered, waiting_since, resolved
            )
        self.copy(QueryMessage, MESSAGE_COLUMNS, messages)

    @staticmethod
    def query_thread(query_id, site, status, raised, answered, waiting_since, resolved) -> list:
        """The messages of one query, oldest first (MESSAGE_COLUMNS), following
        DATA_QUERY_TRANSITIONS from "raised" to its seeded status."""
        s, a = DataQueryStatus, DataQueryAction
        cra, coordinator = site.cra.pk, site.coordinator.pk
        thread = [(query_id, cra, a.RAISE, "", s.OPEN, "Please check (synthetic).", raised)]
        if status == s.CANCELLED:
            return [
                *thread,
                (query_id, cra, a.CANCEL, s.OPEN, s.CANCELLED, "Not needed (synthetic).", resolved),
            ]
        if status == s.OPEN:
            return thread
        thread.append(
            (query_id, coordinator, a.ANSWER, s.OPEN, s.ANSWERED, "Checked (synthetic).", answered)
        )
        if status == s.CLOSED:
            thread.append((query_id, cra, a.CLOSE, s.ANSWERED, s.CLOSED, "", resolved))
        elif status == s.REOPENED:
            thread.append(
                (query_id, cra, a.REOPEN, s.ANSWERED, s.REOPENED, "Still unclear.", waiting_since)
            )
        return thread

    def load_adverse_events(self, chunk: list[_Site]) -> None:
        """About one AE per two enrolled subjects, 6% serious (reported within the day and
        acknowledged); a few SAE clocks still run: drafts due within hours, reports waiting for
        acknowledgement."""
        rng, now = self.rng, self.now
        rows = []
        for site in chunk:
            enrolled = [s for s in site.subjects if s.enrollment_date is not None]
            for subject in enrolled:
                for _ in range(rng.choices([0, 1, 2], weights=[60, 30, 10])[0]):
                    span = max(1, min(150, (self.today - subject.enrollment_date).days - 3))
                    onset = subject.enrollment_date + timedelta(days=rng.randint(1, span))
                    fields = self.adverse_event_fields(site, onset, serious=rng.random() < 0.06)
                    rows.append(AdverseEvent(subject=subject, **fields))
            if enrolled and rng.random() < 0.05:
                aware = now - timedelta(hours=rng.randint(19, 23))
                rows.append(
                    AdverseEvent(
                        subject=enrolled[0],
                        **self.adverse_event_fields(
                            site, aware.date(), serious=True, aware=aware, stage="draft"
                        ),
                    )
                )
            if enrolled and rng.random() < 0.03:
                aware = now - timedelta(hours=rng.randint(40, 60))
                rows.append(
                    AdverseEvent(
                        subject=enrolled[-1],
                        **self.adverse_event_fields(
                            site, aware.date(), serious=True, aware=aware, stage="reported"
                        ),
                    )
                )
        self.bulk(AdverseEvent, rows)

    def adverse_event_fields(
        self,
        site: _Site,
        onset: date,
        *,
        serious: bool,
        aware: datetime | None = None,
        stage: str = "acknowledged",
    ) -> dict:
        rng = self.rng
        fields = {
            "term": rng.choice(AE_TERMS),
            "onset_date": onset,
            "severity": rng.choice([Severity.MILD, Severity.MILD, Severity.MODERATE]),
            "relatedness": rng.choice([Relatedness.NOT_RELATED, Relatedness.UNLIKELY]),
            "outcome": Outcome.RECOVERED,
            "description": "Synthetic adverse event (bench).",
            "recorded_by": site.coordinator,
            "created_at": _at(onset + timedelta(days=1), 10),
        }
        if not serious:
            return {**fields, "status": AdverseEventStatus.RECORDED}
        aware = aware or _at(onset, 15)
        fields.update(
            is_serious=True,
            seriousness_criteria=["hospitalization"],
            severity=Severity.SEVERE,
            outcome=Outcome.RECOVERING,
            awareness_at=aware,
            due_at=aware + timedelta(hours=24),
            created_at=aware + timedelta(hours=1),
        )
        if stage == "draft":
            return {**fields, "status": AdverseEventStatus.DRAFT}
        late = stage == "acknowledged" and rng.random() < 0.03
        reported = aware + timedelta(hours=30 if late else rng.randint(2, 20))
        fields.update(reported_at=reported, reported_by=site.coordinator, is_late=late)
        if stage == "reported":
            return {**fields, "status": AdverseEventStatus.REPORTED}
        return {
            **fields,
            "status": AdverseEventStatus.ACKNOWLEDGED,
            "acknowledged_at": reported + timedelta(hours=rng.randint(2, 20)),
            "acknowledged_by": site.safety,
        }

    def load_milestones(self, chunk: list[_Site]) -> None:
        rows = []
        for site in chunk:
            ss = site.study_site
            rows.append(
                Milestone(
                    study_id=ss.study_id,
                    study_site=ss,
                    kind=MilestoneKind.SIV,
                    planned_date=site.siv - timedelta(days=7),
                    actual_date=site.siv,
                )
            )
            enrollments = [s.enrollment_date for s in site.subjects if s.enrollment_date]
            if enrollments:
                rows.append(
                    Milestone(
                        study_id=ss.study_id,
                        study_site=ss,
                        kind=MilestoneKind.FPI,
                        planned_date=site.siv + timedelta(days=30),
                        actual_date=min(enrollments),
                    )
                )
        for milestone in self.bulk(Milestone, rows):
            info = next(site for site in chunk if site.pk == milestone.study_site_id)
            info.milestones[milestone.kind] = milestone

    # --- monitoring ----------------------------------------------------------------------------

    def monitoring_plan(self, site: _Site) -> list[dict]:
        """SIV, then an IMV every eight weeks; the older reports approved, the latest visit
        anywhere in the report workflow, and the next one upcoming."""
        rng, today = self.rng, self.today
        visits = [{"type": VisitType.SIV, "date": site.siv, "status": VisitStatus.APPROVED}]
        day = site.siv + timedelta(days=IMV_SPACING_DAYS)
        while day < today - timedelta(days=3):
            status = VisitStatus.APPROVED
            if rng.random() < 0.03:
                status = VisitStatus.CANCELLED
            visits.append({"type": VisitType.IMV, "date": day, "status": status})
            day += timedelta(days=IMV_SPACING_DAYS + rng.randint(-5, 5))
        visits[-1]["status"] = self.pick(
            {
                VisitStatus.APPROVED: 45,
                VisitStatus.SUBMITTED: 15,
                VisitStatus.REPORT_DRAFTED: 15,
                VisitStatus.COMPLETED: 15,
                VisitStatus.RETURNED: 10,
            }
        )
        upcoming = max(day, today + timedelta(days=rng.randint(2, 30)))
        visits.append(
            {
                "type": VisitType.IMV,
                "date": upcoming,
                "status": self.pick(
                    {VisitStatus.PLANNED: 45, VisitStatus.CONFIRMED: 45, VisitStatus.PROPOSED: 10}
                ),
            }
        )
        return visits

    def load_monitoring(self, chunk: list[_Site]) -> None:
        rng, today = self.rng, self.today
        rows, plans, owners = [], [], []
        for site in chunk:
            for plan in self.monitoring_plan(site):
                held = plan["status"] not in (
                    VisitStatus.PLANNED,
                    VisitStatus.CONFIRMED,
                    VisitStatus.PROPOSED,
                    VisitStatus.CANCELLED,
                )
                confirmed = plan["status"] != VisitStatus.PLANNED and plan["status"] not in (
                    VisitStatus.PROPOSED,
                    VisitStatus.CANCELLED,
                )
                day = plan["date"]
                rows.append(
                    MonitoringVisit(
                        study_site=site.study_site,
                        cra=site.cra,
                        visit_type=plan["type"],
                        mode=VisitMode.REMOTE if rng.random() < 0.2 else VisitMode.ON_SITE,
                        planned_at=_at(day, 9),
                        attendees="PI, study coordinator",
                        agenda=f"{plan['type'].upper()}: SDV and ISF review (synthetic)",
                        status=plan["status"],
                        proposed_at=_at(day + timedelta(days=2), 13)
                        if plan["status"] == VisitStatus.PROPOSED
                        else None,
                        proposal_note="PI away that week (synthetic)"
                        if plan["status"] == VisitStatus.PROPOSED
                        else "",
                        confirmed_at=_at(min(day, today) - timedelta(days=10))
                        if confirmed
                        else None,
                        confirmed_by=site.coordinator if confirmed else None,
                        actual_date=day if held else None,
                        report_due_date=day + timedelta(days=10) if held else None,
                        cancel_reason="Site closed for a public holiday (synthetic)"
                        if plan["status"] == VisitStatus.CANCELLED
                        else "",
                        created_at=self.past(_at(day - timedelta(days=30), 8)),
                    )
                )
                plans.append(plan)
                owners.append(site)
        visits = self.bulk(MonitoringVisit, rows)
        report_of = {
            VisitStatus.APPROVED: ReportStatus.APPROVED,
            VisitStatus.SUBMITTED: ReportStatus.SUBMITTED,
            VisitStatus.RETURNED: ReportStatus.RETURNED,
            VisitStatus.REPORT_DRAFTED: ReportStatus.DRAFT,
        }
        reports, reported = [], []
        previous: dict[int, date] = {}
        for visit, site in zip(visits, owners, strict=True):
            status = report_of.get(visit.status)
            if visit.actual_date is None:
                continue
            since = previous.get(site.pk)
            previous[site.pk] = visit.actual_date
            if status is None:
                continue
            held = visit.actual_date
            submitted = status != ReportStatus.DRAFT
            reviewed = status in (ReportStatus.APPROVED, ReportStatus.RETURNED)
            reports.append(
                VisitReport(
                    visit=visit,
                    status=status,
                    sections=REPORT_SECTIONS,
                    enrollment=self.enrollment_figures(site, since, held),
                    created_by=site.cra,
                    created_at=self.past(_at(held + timedelta(days=1), 16)),
                    updated_at=self.past(_at(held + timedelta(days=4), 16)),
                    submitted_by=site.cra if submitted else None,
                    submitted_at=self.past(_at(held + timedelta(days=4), 16))
                    if submitted
                    else None,
                    reviewed_by=site.pm if reviewed else None,
                    reviewed_at=self.past(_at(held + timedelta(days=7), 11)) if reviewed else None,
                    return_comments="Please add the SDV figures per subject (synthetic)."
                    if status == ReportStatus.RETURNED
                    else "",
                )
            )
            reported.append((visit, site))
        reports = self.bulk(VisitReport, reports)
        findings = []
        for report in reports:
            for n in range(rng.choices([0, 1, 2, 3], weights=[35, 35, 20, 10])[0]):
                category, text = FINDINGS[(report.pk + n) % len(FINDINGS)]
                findings.append(
                    Finding(
                        report=report,
                        category=category,
                        severity=FindingSeverity.MAJOR if n == 2 else FindingSeverity.MINOR,
                        description=text,
                        created_at=report.created_at,
                    )
                )
        findings = self.bulk(Finding, findings)
        findings_of: dict[int, list[Finding]] = defaultdict(list)
        for finding in findings:
            findings_of[finding.report_id].append(finding)
        items = []
        for report, (visit, site) in zip(reports, reported, strict=True):
            if report.status == ReportStatus.DRAFT:
                continue
            for n in range(rng.choices([0, 1, 2], weights=[30, 45, 25])[0]):
                category, text = ACTION_ITEMS[(visit.pk + n) % len(ACTION_ITEMS)]
                owner = ActionItemOwner.CRA if n == 1 and rng.random() < 0.4 else "site"
                due = visit.actual_date + timedelta(days=21)
                status = ActionItemStatus.OPEN
                if due < today - timedelta(days=14) or rng.random() < 0.3:
                    status = ActionItemStatus.CLOSED if rng.random() < 0.9 else "resolved"
                resolver = site.coordinator if owner == ActionItemOwner.SITE else site.cra
                resolved_at = self.past(_at(min(due - timedelta(days=3), today), 15))
                done = status != ActionItemStatus.OPEN
                closed = status == ActionItemStatus.CLOSED
                items.append(
                    ActionItem(
                        study_site=site.study_site,
                        visit=visit,
                        description=text,
                        category=category,
                        owner=owner,
                        due_date=due,
                        status=status,
                        raised_by=site.cra,
                        created_at=_at(visit.actual_date, 17),
                        resolution_note="Done and filed in the ISF (synthetic)." if done else "",
                        resolved_by=resolver if done else None,
                        resolved_at=resolved_at if done else None,
                        closed_by=site.cra if closed else None,
                        closed_at=self.past(resolved_at + timedelta(days=2)) if closed else None,
                    )
                )
        items = self.bulk(ActionItem, items)
        items_of: dict[int, list[ActionItem]] = defaultdict(list)
        for item in items:
            items_of[item.visit_id].append(item)
        self.load_letters_and_signatures(reports, reported, findings_of, items_of)

    def enrollment_figures(self, site: _Site, since: date | None, until: date) -> dict:
        subjects = site.subjects
        screened = [s for s in subjects if s.screening_date <= until]
        enrolled = [s for s in subjects if s.enrollment_date and s.enrollment_date <= until]
        return {
            "since": since.isoformat() if since else "",
            "until": until.isoformat(),
            "screened_since": sum(1 for s in screened if not since or s.screening_date > since),
            "enrolled_since": sum(1 for s in enrolled if not since or s.enrollment_date > since),
            "screened_total": len(subjects),
            "enrolled_total": sum(1 for s in subjects if s.enrollment_date is not None),
            "withdrawn_total": sum(1 for s in subjects if s.status == SubjectStatus.WITHDRAWN),
            "screen_failed_total": sum(
                1 for s in subjects if s.status == SubjectStatus.SCREEN_FAILED
            ),
        }

    def load_letters_and_signatures(self, reports, reported, findings_of, items_of) -> None:
        letters, signatures = [], []
        latest_approved: dict[int, int] = {}
        for report, (_, site) in zip(reports, reported, strict=True):
            if report.status == ReportStatus.APPROVED:
                latest_approved[site.pk] = report.pk
        content_type = self.content_types[VisitReport]
        for report, (visit, site) in zip(reports, reported, strict=True):
            findings = findings_of.get(report.pk, [])
            if report.submitted_at is not None:
                content = content_hash(
                    {
                        "visit": visit.pk,
                        "version": report.version,
                        "sections": report.sections,
                        "enrollment": report.enrollment,
                        "findings": [[f.category, f.severity, f.description] for f in findings],
                    }
                )
                signatures.append(self.signature(site.cra, SignatureMeaning.AUTHORED, report))
                signatures[-1].content_type_id, signatures[-1].content_hash = content_type, content
                signatures[-1].signed_at = report.submitted_at
                if report.status == ReportStatus.APPROVED:
                    approval = self.signature(site.pm, SignatureMeaning.APPROVED, report)
                    approval.content_type_id, approval.content_hash = content_type, content
                    approval.signed_at = report.reviewed_at
                    signatures.append(approval)
            if report.status != ReportStatus.APPROVED:
                continue
            acknowledged = latest_approved[site.pk] != report.pk or self.rng.random() < 0.5
            sent = self.past(report.reviewed_at + timedelta(hours=2))
            letters.append(
                FollowUpLetter(
                    visit=visit,
                    report=report,
                    sent_at=sent,
                    status=LetterStatus.ACKNOWLEDGED if acknowledged else LetterStatus.SENT,
                    acknowledged_by=site.coordinator if acknowledged else None,
                    acknowledged_at=self.past(sent + timedelta(days=3)) if acknowledged else None,
                    content={
                        "visit_date": visit.actual_date.isoformat(),
                        "visit_type": visit.get_visit_type_display(),
                        "monitor": site.cra.printed_name,
                        "report_version": report.version,
                        "findings": [
                            {
                                "category": f.get_category_display(),
                                "severity": f.get_severity_display(),
                                "description": f.description,
                            }
                            for f in findings
                        ],
                        "action_items": [
                            {
                                "id": item.pk,
                                "description": item.description,
                                "category": item.get_category_display(),
                                "owner": item.get_owner_display(),
                                "due_date": item.due_date.isoformat(),
                                "status": "Open",
                            }
                            for item in items_of.get(visit.pk, [])
                        ],
                        "conclusions": REPORT_SECTIONS["conclusions"]["summary"],
                    },
                )
            )
        self.bulk(FollowUpLetter, letters)
        self.bulk(Signature, signatures)

    def signature(self, user: User, meaning: str, record: models.Model) -> Signature:
        return Signature(
            signer=user,
            printed_name=user.printed_name,
            meaning=meaning,
            object_id=record.pk,
            reason="",
        )

    # --- regulatory documents ------------------------------------------------------------------

    def load_documents(self, chunk: list[_Site]) -> None:
        documents, owners = [], []
        for site in chunk:
            for requirement in self.requirements.get(site.study_site.study_id, []):
                personal = requirement.scope != "site"
                documents.append(
                    Document(
                        study_site=site.study_site,
                        requirement=requirement,
                        person=site.pi if personal else None,
                        created_at=_at(site.siv - timedelta(days=60), 10),
                    )
                )
                owners.append((site, requirement))
        documents = self.bulk(Document, documents)
        versions = []
        for document, (site, requirement) in zip(documents, owners, strict=True):
            versions += self.document_versions(document, site, requirement.document_type)
        self.bulk(DocumentVersion, versions)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE regulatory_document AS d SET current_version_id = v.id "
                "FROM regulatory_documentversion AS v "
                "WHERE v.document_id = d.id AND v.superseded_at IS NULL AND d.id = ANY(%s)",
                [[d.pk for d in documents]],
            )

    def document_versions(self, document, site: _Site, kind: DocumentType) -> list:
        """Versions oldest first. An expiring document is renewed every year until its current
        version; a few were rejected and uploaded again; some wait for review."""
        rng, today = self.rng, self.today
        first = site.siv - timedelta(days=50)
        steps = []  # (effective_on, expires_on, status)
        if kind.expires:
            expires = today + timedelta(days=rng.randint(-7, 400))
            effective = expires - timedelta(days=365)
            while effective > first:
                steps.append((effective, expires))
                expires, effective = effective + timedelta(days=20), effective - timedelta(days=345)
            steps.append((first, expires))
            steps.reverse()
        else:
            steps.append((first, None))
        statuses = [ReviewStatus.APPROVED] * len(steps)
        roll = rng.random()
        if roll < 0.04:  # rejected, then uploaded again
            steps.insert(-1, steps[-1])
            statuses.insert(-1, ReviewStatus.REJECTED)
        elif roll < 0.10:  # the current version waits for the CRO's review
            statuses[-1] = ReviewStatus.SUBMITTED
        rows = []
        for number, ((effective, expires), status) in enumerate(
            zip(steps, statuses, strict=True), start=1
        ):
            uploaded = self.past(_at(min(effective + timedelta(days=1), today), 11))
            rows.append(
                DocumentVersion(
                    document=document,
                    version_number=number,
                    file=PLACEHOLDER_NAME,
                    original_filename=f"{kind.code}-v{number}.pdf",
                    content_type="application/pdf",
                    size=len(PLACEHOLDER_PDF),
                    sha256=self.sha256,
                    uploaded_by=site.coordinator,
                    uploaded_at=uploaded,
                    effective_on=effective if effective <= today else today,
                    expires_on=expires,
                    status=status,
                    reviewed_by=site.regulatory if status != ReviewStatus.SUBMITTED else None,
                    reviewed_at=self.past(uploaded + timedelta(days=2))
                    if status != ReviewStatus.SUBMITTED
                    else None,
                    review_reason="Unsigned copy; upload the signed one (synthetic)."
                    if status == ReviewStatus.REJECTED
                    else "",
                )
            )
        for older, newer in zip(rows, rows[1:], strict=False):
            older.superseded_at = newer.uploaded_at
        return rows

    # --- payments ------------------------------------------------------------------------------

    def load_payments(self, chunk: list[_Site]) -> None:
        budgets = self.bulk(
            Budget,
            [
                Budget(
                    study_site=site.study_site,
                    currency=CURRENCY,
                    created_at=_at(site.siv - timedelta(days=40)),
                )
                for site in chunk
            ],
        )
        versions, amended = [], {}
        for budget, site in zip(budgets, chunk, strict=True):
            versions.append(self.budget_version(budget, site, 1, site.siv - timedelta(days=40)))
            if self.rng.random() < 0.2:
                amended[site.pk] = self.today - timedelta(days=self.rng.randint(60, 200))
                versions.append(self.budget_version(budget, site, 2, amended[site.pk]))
        versions = self.bulk(BudgetVersion, versions)
        versions_of: dict[int, list[BudgetVersion]] = defaultdict(list)
        for version in versions:
            versions_of[version.budget.study_site_id].append(version)
        fees = []
        for site in chunk:
            for version in versions_of[site.pk]:
                fees += self.fees(version, site, raise_by=Decimal("1.05") ** (version.number - 1))
        fees = self.bulk(Fee, fees)
        fee_of: dict[tuple, Fee] = {}
        for fee in fees:
            target = fee.visit_definition_id or fee.milestone_kind or fee.item_category
            fee_of[(fee.version_id, target)] = fee
        earnings_of = self.load_earnings(chunk, versions_of, fee_of)
        invoices_of = self.load_invoices(chunk, versions_of, fee_of)
        self.load_runs(chunk, versions_of, earnings_of, invoices_of)

    def budget_version(self, budget: Budget, site: _Site, number: int, effective: date):
        return BudgetVersion(
            budget=budget,
            number=number,
            effective_date=effective,
            reason="Signed clinical trial agreement (synthetic)"
            if number == 1
            else "Amendment 1: visit fees up 5% (synthetic)",
            holdback_percent=HOLDBACK,
            payment_terms_days=PAYMENT_TERMS_DAYS,
            screen_failure_fee=SCREEN_FAILURE_FEE,
            screen_failure_cap=SCREEN_FAILURE_CAP,
            second_approval_threshold=SECOND_APPROVAL,
            created_by=site.finance,
            created_at=_at(effective - timedelta(days=5)),
        )

    def fees(self, version: BudgetVersion, site: _Site, *, raise_by: Decimal) -> list[Fee]:
        definitions = self.definitions[site.study_site.study_id]
        rows = [
            Fee(
                version=version,
                kind=FeeKind.VISIT,
                visit_definition=d,
                amount=_money(VISIT_FEES[i % len(VISIT_FEES)] * raise_by),
            )
            for i, d in enumerate(definitions)
        ]
        rows += [
            Fee(version=version, kind=FeeKind.MILESTONE, milestone_kind=kind, amount=amount)
            for kind, amount in MILESTONE_FEES.items()
        ]
        rows += [
            Fee(version=version, kind=FeeKind.ITEM, item_category=category, amount=cap)
            for category, cap in ITEM_CAPS.items()
        ]
        return rows

    @staticmethod
    def in_force(versions: list[BudgetVersion], on: date) -> BudgetVersion:
        current = versions[0]
        for version in versions:
            if version.effective_date <= on:
                current = version
        return current

    def load_earnings(self, chunk, versions_of, fee_of) -> dict[int, list[_Earning]]:
        """An earning for every completed visit (the fee of the budget version in force that
        day), the paid screen failures (up to the cap) and the SIV milestone."""
        rows, owners = [], []
        for site in chunk:
            versions = versions_of[site.pk]
            subjects = {s.pk: s for s in site.subjects}
            for visit in site.visits:
                if visit.status != SubjectVisitStatus.COMPLETED:
                    continue
                version = self.in_force(versions, visit.actual_date)
                subject = subjects[visit.subject_id]
                rows.append(
                    _Earning(
                        study_site_id=site.pk,
                        budget_version_id=version.pk,
                        kind=EarningKind.VISIT,
                        subject_visit_id=visit.pk,
                        subject_id=subject.pk,
                        event_date=visit.actual_date,
                        description=f"{subject.subject_identifier} · "
                        f"{self.definition_labels[visit.definition_id]}",
                        amount=fee_of[(version.pk, visit.definition_id)].amount,
                        created_at=_at(visit.actual_date, 18),
                    )
                )
                owners.append(site)
            failed = [s for s in site.subjects if s.status == SubjectStatus.SCREEN_FAILED]
            for subject in sorted(failed, key=lambda s: s.screening_date)[:SCREEN_FAILURE_CAP]:
                day = subject.screening_date + timedelta(days=7)
                rows.append(
                    _Earning(
                        study_site_id=site.pk,
                        budget_version_id=self.in_force(versions, day).pk,
                        kind=EarningKind.SCREEN_FAILURE,
                        subject_id=subject.pk,
                        event_date=day,
                        description=f"{subject.subject_identifier} · screen failure",
                        amount=SCREEN_FAILURE_FEE,
                        created_at=_at(day, 18),
                    )
                )
                owners.append(site)
            siv = site.milestones[MilestoneKind.SIV]
            version = self.in_force(versions, siv.actual_date)
            rows.append(
                _Earning(
                    study_site_id=site.pk,
                    budget_version_id=version.pk,
                    kind=EarningKind.MILESTONE,
                    milestone_id=siv.pk,
                    event_date=siv.actual_date,
                    description="Milestone: Site initiation visit",
                    amount=fee_of[(version.pk, MilestoneKind.SIV)].amount,
                    created_at=_at(siv.actual_date, 18),
                )
            )
            owners.append(site)
        earnings_of: dict[int, list[_Earning]] = defaultdict(list)
        for earning, site in zip(
            self.copy_records(Earning, _names(_Earning), rows), owners, strict=True
        ):
            earnings_of[site.pk].append(earning)
        return earnings_of

    def period_ends(self, site: _Site) -> list[date]:
        """Quarterly payment periods, oldest first; the latest ends PAYMENT_TERMS_DAYS ago."""
        ends, end = [], self.today - timedelta(days=PAYMENT_TERMS_DAYS)
        while end > site.siv:
            ends.append(end)
            end -= timedelta(days=RUN_PERIOD_DAYS)
        return ends[::-1]

    def load_invoices(self, chunk, versions_of, fee_of) -> dict[int, list]:
        """Pass-through invoices: about one per quarter (paid with that quarter's run) and a
        few current ones in every review status."""
        rng, today = self.rng, self.today
        invoices, plans = [], []
        for site in chunk:
            periods = self.period_ends(site)
            number = 0
            for end in periods[:-1]:
                if rng.random() < 0.6:
                    number += 1
                    service = max(end - timedelta(days=40), site.siv + timedelta(days=1))
                    plans.append((site, number, InvoiceStatus.PAID, service))
            for status in rng.sample(
                [
                    InvoiceStatus.DRAFT,
                    InvoiceStatus.SUBMITTED,
                    InvoiceStatus.SUBMITTED,
                    InvoiceStatus.AWAITING_SECOND_APPROVAL,
                    InvoiceStatus.CHANGES_REQUESTED,
                    InvoiceStatus.APPROVED,
                    InvoiceStatus.APPROVED,
                    InvoiceStatus.REJECTED,
                ],
                k=rng.randint(0, 3),
            ):
                number += 1
                service = (periods[-1] if periods else site.siv) - timedelta(days=20)
                if status not in (InvoiceStatus.APPROVED, InvoiceStatus.PAID):
                    service = today - timedelta(days=rng.randint(8, 40))
                plans.append((site, number, status, service))
        line_plans = []
        for site, number, status, service in plans:
            version = self.in_force(versions_of[site.pk], service)
            big = status == InvoiceStatus.AWAITING_SECOND_APPROVAL or rng.random() < 0.15
            categories = (
                [ItemCategory.IRB_FEE, ItemCategory.PHARMACY]
                if big
                else rng.sample(
                    [ItemCategory.PHARMACY, ItemCategory.TRAVEL, ItemCategory.PROCEDURE], k=2
                )
            )
            lines = []
            for category in categories:
                fee = fee_of[(version.pk, category)]
                quantity = 1 if category == ItemCategory.IRB_FEE else rng.randint(1, 3)
                unit = fee.amount if big else _money(fee.amount * Decimal("0.8"))
                lines.append((fee, category, quantity, unit, _money(unit * quantity)))
            total = sum((line[4] for line in lines), Decimal("0.00"))
            submitted = status != InvoiceStatus.DRAFT
            approved = status in (InvoiceStatus.APPROVED, InvoiceStatus.PAID)
            reviewed = status not in (InvoiceStatus.DRAFT, InvoiceStatus.SUBMITTED)
            two = total > SECOND_APPROVAL
            invoices.append(
                SiteInvoice(
                    study_site=site.study_site,
                    number=f"INV-{site.pk:05d}-{number:03d}",
                    currency=CURRENCY,
                    status=status,
                    total=total,
                    created_by=site.coordinator,
                    created_at=self.past(_at(service + timedelta(days=2), 10)),
                    submitted_by=site.coordinator if submitted else None,
                    submitted_at=self.past(_at(service + timedelta(days=3), 10))
                    if submitted
                    else None,
                    first_approved_by=site.finance
                    if two and (approved or status == InvoiceStatus.AWAITING_SECOND_APPROVAL)
                    else None,
                    approved_by=(site.approver if two else site.finance) if approved else None,
                    approved_at=self.past(_at(service + timedelta(days=8), 15))
                    if approved
                    else None,
                    reviewed_by=site.finance if reviewed else None,
                    review_comment={
                        InvoiceStatus.REJECTED: "Not in the budget (synthetic).",
                        InvoiceStatus.CHANGES_REQUESTED: "Attach the receipt (synthetic).",
                    }.get(status, ""),
                )
            )
            line_plans.append((lines, service))
        invoices = self.bulk(SiteInvoice, invoices)
        rows = []
        for invoice, (lines, service) in zip(invoices, line_plans, strict=True):
            for fee, category, quantity, unit, amount in lines:
                rows.append(
                    InvoiceLine(
                        invoice=invoice,
                        fee=fee,
                        item_category=category,
                        description=f"{ItemCategory(category).label} (synthetic)",
                        service_date=service,
                        quantity=quantity,
                        unit_amount=unit,
                        amount=amount,
                        currency=CURRENCY,
                    )
                )
        lines_of: dict[int, list[InvoiceLine]] = defaultdict(list)
        for line in self.bulk(InvoiceLine, rows):
            lines_of[line.invoice_id].append(line)
        signatures = []
        content_type = self.content_types[SiteInvoice]
        by_site: dict[int, list] = defaultdict(list)
        for invoice, (site, *_rest) in zip(invoices, plans, strict=True):
            by_site[site.pk].append((invoice, lines_of[invoice.pk]))
            if invoice.approved_by_id is None and invoice.first_approved_by_id is None:
                continue
            content = content_hash(
                {
                    "invoice": invoice.number,
                    "study_site": invoice.study_site_id,
                    "currency": invoice.currency,
                    "total": str(invoice.total),
                    "lines": [
                        [line.pk, line.item_category, str(line.service_date), line.quantity]
                        + [str(line.amount)]
                        for line in lines_of[invoice.pk]
                    ],
                }
            )
            signers = [invoice.first_approved_by, invoice.approved_by]
            for signer in [s for s in signers if s is not None]:
                signature = self.signature(signer, SignatureMeaning.APPROVED, invoice)
                signature.content_type_id, signature.content_hash = content_type, content
                signature.signed_at = invoice.approved_at or self.past(
                    invoice.submitted_at + timedelta(days=2)
                )
                signatures.append(signature)
        self.bulk(Signature, signatures)
        return by_site

    def load_runs(self, chunk, versions_of, earnings_of, invoices_of) -> None:
        """Quarterly runs: every older period paid; the latest one paid, approved and ready to
        pay, a draft waiting for approval, or not built yet (those earnings are overdue)."""
        rng = self.rng
        runs, run_lines, run_sites = [], [], []
        for site in chunk:
            periods = self.period_ends(site)
            earnings = sorted(earnings_of[site.pk], key=lambda e: (e.event_date, e.pk))
            paid_invoices = [
                (inv, lines)
                for inv, lines in invoices_of.get(site.pk, [])
                if inv.status == InvoiceStatus.PAID
            ]
            approved_invoices = [
                (inv, lines)
                for inv, lines in invoices_of.get(site.pk, [])
                if inv.status == InvoiceStatus.APPROVED
            ]
            start = site.siv
            for index, end in enumerate(periods):
                latest = index == len(periods) - 1
                status = PaymentRunStatus.PAID
                if latest:
                    status = self.pick(
                        {
                            PaymentRunStatus.PAID: 55,
                            PaymentRunStatus.APPROVED: 15,
                            PaymentRunStatus.DRAFT: 10,
                            None: 20,
                        }
                    )
                    if site.study_site.site_number == "001":
                        status = PaymentRunStatus.APPROVED  # each CRO has runs ready to pay
                    if status is None:
                        break
                period_start, start = start, end + timedelta(days=1)
                lines = []
                for earning in earnings:
                    if period_start <= earning.event_date <= end:
                        held, net = holdback_split(earning.amount, HOLDBACK, CURRENCY)
                        lines.append(
                            _RunLine(
                                earning_id=earning.pk,
                                description=earning.description,
                                event_date=earning.event_date,
                                gross=earning.amount,
                                holdback=held,
                                net=net,
                                currency=CURRENCY,
                            )
                        )
                invoice_pool = paid_invoices if not latest else []
                if latest and status != PaymentRunStatus.PAID:
                    invoice_pool = approved_invoices
                for invoice, invoice_lines in invoice_pool:
                    if not (period_start <= invoice_lines[0].service_date <= end):
                        continue
                    for line in invoice_lines:
                        lines.append(
                            _RunLine(
                                invoice_line_id=line.pk,
                                description=f"Invoice {invoice.number}: "
                                f"{line.get_item_category_display()} × {line.quantity}",
                                event_date=line.service_date,
                                gross=line.amount,
                                holdback=Decimal("0.00"),
                                net=line.amount,
                                currency=CURRENCY,
                            )
                        )
                if not lines:
                    continue
                gross = sum((line.gross for line in lines), Decimal("0.00"))
                held = sum((line.holdback for line in lines), Decimal("0.00"))
                approved = status in (PaymentRunStatus.APPROVED, PaymentRunStatus.PAID)
                paid = status == PaymentRunStatus.PAID
                built = min(end + timedelta(days=5), self.today)
                runs.append(
                    PaymentRun(
                        study_site=site.study_site,
                        period_start=period_start,
                        period_end=end,
                        currency=CURRENCY,
                        status=status,
                        gross=gross,
                        holdback=held,
                        net=gross - held,
                        prepared_by=site.finance,
                        created_at=self.past(_at(built, 10)),
                        approved_by=site.approver if approved else None,
                        approved_at=self.past(_at(min(built + timedelta(days=5), self.today), 11))
                        if approved
                        else None,
                        paid_by=site.finance if paid else None,
                        paid_at=_at(end + timedelta(days=20), 14) if paid else None,
                        payment_reference=f"BENCH-WIRE-{site.pk:05d}-{index + 1:02d}"
                        if paid
                        else "",
                        payment_date=end + timedelta(days=20) if paid else None,
                    )
                )
                run_lines.append(lines)
                run_sites.append(site)
        runs = self.bulk(PaymentRun, runs)
        rows = []
        for run, lines in zip(runs, run_lines, strict=True):
            for line in lines:
                line.run_id = run.pk
                rows.append(line)
        self.copy_records(PaymentRunLine, _names(_RunLine), rows)
        signatures = []
        content_type = self.content_types[PaymentRun]
        for run, lines in zip(runs, run_lines, strict=True):
            if run.approved_by_id is None:
                continue
            signature = self.signature(run.approved_by, SignatureMeaning.APPROVED, run)
            signature.content_type_id = content_type
            signature.signed_at = run.approved_at
            signature.content_hash = content_hash(
                {
                    "payment_run": run.pk,
                    "study_site": run.study_site_id,
                    "period": [str(run.period_start), str(run.period_end)],
                    "currency": run.currency,
                    "gross": str(run.gross),
                    "holdback": str(run.holdback),
                    "net": str(run.net),
                    "lines": [
                        [line.earning_id, line.invoice_line_id, str(line.gross), str(line.holdback)]
                        for line in lines
                    ],
                }
            )
            signatures.append(signature)
        self.bulk(Signature, signatures)
        self.load_disputes(runs, run_lines, run_sites, rng)

    def load_disputes(self, runs, run_lines, run_sites, rng) -> None:
        """About one study-site in twenty (and the first of every study) disputes a paid line:
        still open, rejected, or accepted with an adjustment earning (not paid yet)."""
        disputes, adjustments = [], []
        sites = {site.pk: site for site in run_sites}.values()  # each study-site once
        disputing = {
            site.pk for site in sites if site.study_site.site_number == "001" or rng.random() < 0.05
        }
        for run, lines, site in zip(runs, run_lines, run_sites, strict=True):
            if run.status != PaymentRunStatus.PAID or site.pk not in disputing:
                continue
            disputing.discard(site.pk)  # one dispute per study-site
            line = next((line for line in lines if line.earning_id), None)
            if line is None:
                continue
            status = self.pick(
                {DisputeStatus.OPEN: 50, DisputeStatus.REJECTED: 30, DisputeStatus.ACCEPTED: 20}
            )
            raised = run.paid_at + timedelta(days=5)
            answered = status != DisputeStatus.OPEN
            adjustment = None
            if status == DisputeStatus.ACCEPTED:
                adjustment = Earning(
                    study_site=site.study_site,
                    kind=EarningKind.ADJUSTMENT,
                    event_date=(raised + timedelta(days=4)).date(),
                    description=f"Adjustment (dispute): {line.description}",
                    amount=Decimal("25.00"),
                    currency=CURRENCY,
                    holdback_exempt=True,
                    created_at=raised + timedelta(days=4),
                )
                adjustments.append(adjustment)
            disputes.append(
                PaymentDispute(
                    study_site=site.study_site,
                    run_line_id=line.pk,
                    status=status,
                    comment="The amended budget pays more for this visit (synthetic).",
                    raised_by=site.coordinator,
                    raised_at=raised,
                    answer={
                        DisputeStatus.REJECTED: "Paid per the budget in force (synthetic).",
                        DisputeStatus.ACCEPTED: "Agreed; adjusted in the next run (synthetic).",
                    }.get(status, ""),
                    answered_by=site.finance if answered else None,
                    answered_at=raised + timedelta(days=4) if answered else None,
                    adjustment=adjustment,
                )
            )
        self.bulk(Earning, adjustments)
        self.bulk(PaymentDispute, disputes)

    # --- notifications -------------------------------------------------------------------------

    def load_notifications(self, infos: list[_Site]) -> None:
        """A notification history in proportion to the work: per study-site a dozen over the
        last 90 days to its coordinator, a few to its CRA and finance, most read. Every other
        coordinator takes a daily digest: each earlier day's digest is sent, yesterday's
        notifications still wait for theirs."""
        rng, now, today = self.rng, self.now, self.today
        coordinators = sorted({site.coordinator.pk: site.coordinator for site in infos}.items())
        digest_people = [user for number, (_, user) in enumerate(coordinators) if number % 2]
        self.bulk(
            NotificationPreference,
            [
                NotificationPreference(
                    user=user, kind=NotificationPreference.EVERY_OTHER_KIND, delivery="digest"
                )
                for user in digest_people
            ],
        )
        digests = self.bulk(
            NotificationDigest,
            [
                NotificationDigest(
                    recipient=user,
                    day=today - timedelta(days=days),
                    created_at=_at(today - timedelta(days=days - 1), 6),
                    sent_at=_at(today - timedelta(days=days - 1), 6, 1),
                )
                for user in digest_people
                for days in range(2, 92)
            ],
        )
        self.digests = {(d.recipient_id, d.day): d for d in digests}
        kinds = (
            ("visit_due", "Visit {n} opens soon"),
            ("query.waiting_on_site", "Query #{n} has waited 5 days for the site"),
            ("monitoring.visit_upcoming_7d", "In 7 days: monitoring visit"),
            ("document_expiry", "Expires in 60 days or less: a document"),
            ("payments.remittance", "Remittance: payment sent"),
        )
        cro_kinds = (
            ("query.answer_to_review", "The site answered query #{n}"),
            ("payments.invoice_review_waiting", "Invoice {n} waits for review"),
            ("monitoring.report_overdue", "Report overdue: IMV {n}"),
        )
        rows = []
        for site in infos:
            url = site.study_site.get_absolute_url()
            recipients = [(site.coordinator, kinds)] * 12 + [(site.cra, cro_kinds)] * 2
            recipients += [(site.finance, cro_kinds)]
            for user, options in recipients:
                kind, title = options[rng.randrange(len(options))]
                created = now - timedelta(days=rng.randint(2, 90), minutes=rng.randint(0, 600))
                rows.append(self.notification(user, kind, title, url, created, rng.random() < 0.8))
            if (site.coordinator.pk, today - timedelta(days=2)) in self.digests:
                created = _at(today - timedelta(days=1), rng.randint(8, 20))
                rows.append(
                    self.notification(
                        site.coordinator, "visit_due", "Visit {n} opens soon", url, created, False
                    )
                )
            if len(rows) >= BATCH:
                self.bulk(Notification, rows)
                rows = []
        self.bulk(Notification, rows)

    def notification(self, user, kind, title, url, created, read) -> Notification:
        self.notification_number += 1
        number = self.notification_number
        digest = self.digests.get((user.pk, created.date()))
        waiting = (user.pk, self.today - timedelta(days=2)) in self.digests and digest is None
        sent = None if waiting else (digest.sent_at if digest else created + timedelta(minutes=1))
        return Notification(
            recipient=user,
            kind=kind,
            title=title.format(n=number) + " (bench)",
            body="Bench data (synthetic).",
            url=url,
            dedupe_key=f"bench:{number}",
            created_at=created,
            delivery=Delivery.DIGEST if digest or waiting else Delivery.EMAIL,
            digest=digest,
            sent_at=sent,
            read_at=created + timedelta(hours=3) if read else None,
        )
