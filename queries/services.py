"""Writes to data queries. Each checks the actor's role at the study-site (queries.rules over
trials.access) and the allowed transition (DATA_QUERY_TRANSITIONS), inside one transaction
that locks the row; every action adds a message to the query's thread."""

import codecs
import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import members_by_organization, organization_roles
from core.audit import audit_context
from core.db import batches
from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.notifications import Note, notify_many
from queries import rules
from queries.models import (
    DATA_QUERY_TRANSITIONS,
    RESOLVED,
    WAITING_ON_CRO,
    WAITING_ON_SITE,
    DataQuery,
    DataQueryAction,
    DataQueryStatus,
    QueryMessage,
    WaitingOn,
)
from trials import access
from trials.models import Study, StudySite, StudySiteStatus, Subject, SubjectVisit

MAX_TEXT = 4000
MAX_NAME = 100
MAX_EXTERNAL_ID = 64


def _clean_text(text: str | None, *, required: bool, message: str) -> str:
    cleaned = (text or "").strip()
    if required and not cleaned:
        raise ApplicationError(message, fields={"text": [message]})
    if len(cleaned) > MAX_TEXT:
        raise ApplicationError(
            "The message is too long.", fields={"text": [f"Keep it under {MAX_TEXT} characters."]}
        )
    return cleaned


def _field_errors(
    *, text: str, form_name: str, field_name: str, external_id: str = ""
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = ["Say what needs checking."]
    elif len(text) > MAX_TEXT:
        errors["text"] = [f"Keep it under {MAX_TEXT} characters."]
    if not form_name:
        errors["form_name"] = ["Name the form (CRF page) the query is about."]
    elif len(form_name) > MAX_NAME:
        errors["form_name"] = [f"Keep it under {MAX_NAME} characters."]
    if len(field_name) > MAX_NAME:
        errors["field_name"] = [f"Keep it under {MAX_NAME} characters."]
    if len(external_id) > MAX_EXTERNAL_ID:
        errors["external_id"] = [f"Keep it under {MAX_EXTERNAL_ID} characters."]
    return errors


@transaction.atomic
def data_query_raise(
    *,
    actor: User,
    subject: Subject,
    text: str,
    form_name: str,
    field_name: str = "",
    subject_visit: SubjectVisit | None = None,
    external_id: str = "",
) -> DataQuery:
    """Raise a query on a subject (optionally one of its visits, a form and a field)."""
    subject = Subject.objects.select_related("study_site__study").get(pk=subject.pk)
    study_site = subject.study_site
    rules.require(DataQueryAction.RAISE, access.study_site_roles(actor, study_site))
    access.require_open(study_site)
    text, form_name = (text or "").strip(), (form_name or "").strip()
    field_name, external_id = (field_name or "").strip(), (external_id or "").strip()
    errors = _field_errors(
        text=text, form_name=form_name, field_name=field_name, external_id=external_id
    )
    if subject_visit is not None and subject_visit.subject_id != subject.pk:
        errors["subject_visit"] = ["Choose a visit of this subject."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    duplicate = ApplicationError(
        "A query with this external id already exists in the study.",
        fields={"external_id": ["Already used in this study."]},
    )
    if (
        external_id
        and DataQuery.objects.filter(study_id=study_site.study_id, external_id=external_id).exists()
    ):
        raise duplicate
    now = timezone.now()
    try:
        with transaction.atomic():
            query = DataQuery.objects.create(
                study_id=study_site.study_id,
                study_site=study_site,
                subject=subject,
                subject_visit=subject_visit,
                form_name=form_name,
                field_name=field_name,
                text=text,
                external_id=external_id,
                raised_by=actor,
                raised_at=now,
                status_changed_at=now,
                waiting_since=now,
            )
    except IntegrityError as exc:  # a concurrent raise took the external id first
        raise duplicate from exc
    QueryMessage.objects.create(
        data_query=query,
        author=actor,
        action=DataQueryAction.RAISE,
        to_status=DataQueryStatus.OPEN,
        text=text,
        created_at=now,
    )
    return query


def _advance_clock(query: DataQuery, now: datetime) -> None:
    """Add the waiting period that ends now to the side it was waiting on."""
    elapsed = max(now - query.waiting_since, timedelta())
    if query.waiting_on == WaitingOn.SITE:
        query.site_wait += elapsed
    elif query.waiting_on == WaitingOn.CRO:
        query.cro_wait += elapsed
    query.waiting_since = now


def _transition(
    *, actor: User, data_query: DataQuery, action: str, text: str, required_text: str | None
) -> DataQuery:
    query = (
        DataQuery.objects.select_for_update(of=("self",))
        .select_related("study_site__study")
        .get(pk=data_query.pk)
    )
    rules.require(action, access.study_site_roles(actor, query.study_site))
    access.require_open(query.study_site)
    new_status = DATA_QUERY_TRANSITIONS[query.status].get(action)
    if new_status is None:
        raise TransitionNotAllowed(
            f"This query is {query.get_status_display().lower()}: it cannot be "
            f"{DataQueryAction(action).label.lower()} now."
        )
    text = _clean_text(text, required=required_text is not None, message=required_text or "")
    now = timezone.now()
    old_status = query.status
    _advance_clock(query, now)
    query.status = new_status
    query.status_changed_at = now
    if new_status in RESOLVED:
        query.resolved_at = now
    reason = text if action in (DataQueryAction.REOPEN, DataQueryAction.CANCEL) else None
    with audit_context(reason=reason):
        query.save(
            update_fields=[
                "status",
                "status_changed_at",
                "waiting_since",
                "site_wait",
                "cro_wait",
                "resolved_at",
            ]
        )
        QueryMessage.objects.create(
            data_query=query,
            author=actor,
            action=action,
            from_status=old_status,
            to_status=new_status,
            text=text,
            created_at=now,
        )
    return query


@transaction.atomic
def data_query_answer(*, actor: User, data_query: DataQuery, text: str) -> DataQuery:
    """The site answers an open or re-opened query; it then waits on the CRO."""
    return _transition(
        actor=actor,
        data_query=data_query,
        action=DataQueryAction.ANSWER,
        text=text,
        required_text="Write the answer.",
    )


@transaction.atomic
def data_query_close(*, actor: User, data_query: DataQuery, text: str = "") -> DataQuery:
    """The CRO side accepts the site's answer; an optional comment goes into the thread."""
    return _transition(
        actor=actor,
        data_query=data_query,
        action=DataQueryAction.CLOSE,
        text=text,
        required_text=None,
    )


@transaction.atomic
def data_query_reopen(*, actor: User, data_query: DataQuery, text: str) -> DataQuery:
    """The CRO side does not accept the answer: it goes back to the site with a comment."""
    return _transition(
        actor=actor,
        data_query=data_query,
        action=DataQueryAction.REOPEN,
        text=text,
        required_text="Say why the answer does not resolve the query.",
    )


@transaction.atomic
def data_query_cancel(*, actor: User, data_query: DataQuery, text: str) -> DataQuery:
    """Withdraw a query raised in error (while it waits on the site)."""
    return _transition(
        actor=actor,
        data_query=data_query,
        action=DataQueryAction.CANCEL,
        text=text,
        required_text="Say why the query was raised in error.",
    )


# ---------------------------------------------------------------------------------------------
# Bulk import from an EDC export
# ---------------------------------------------------------------------------------------------

IMPORT_COLUMNS = ("subject_id", "visit_code", "form", "field", "text", "external_id")
REQUIRED_COLUMNS = ("subject_id", "form", "text", "external_id")
IMPORT_CHUNK_ROWS = 500
MAX_REPORTED_ERRORS = 500


def max_import_bytes() -> int:
    return getattr(settings, "QUERY_IMPORT_MAX_BYTES", 5 * 1024 * 1024)


def max_import_rows() -> int:
    return getattr(settings, "QUERY_IMPORT_MAX_ROWS", 20_000)


@dataclass
class ImportRowError:
    line: int
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    created_ids: list[int] = field(default_factory=list)
    errors: list[ImportRowError] = field(default_factory=list)
    errors_not_shown: int = 0

    @property
    def imported(self) -> int:
        return len(self.created_ids)

    @property
    def rejected(self) -> int:
        return len(self.errors) + self.errors_not_shown

    def refuse(self, line: int, reason: str) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(ImportRowError(line=line, reason=reason))
        else:
            self.errors_not_shown += 1


@dataclass
class _ImportRun:
    actor: User
    study: Study
    report: ImportReport
    columns: dict[str, int]
    seen_external_ids: dict[str, int] = field(default_factory=dict)
    may_raise_at: dict[int, bool] = field(default_factory=dict)

    def cell(self, row: list[str], name: str) -> str:
        index = self.columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    def may_raise(self, study_site: StudySite) -> bool:
        if study_site.pk not in self.may_raise_at:
            study_site.study = self.study
            self.may_raise_at[study_site.pk] = rules.may(
                DataQueryAction.RAISE, access.study_site_roles(self.actor, study_site)
            )
        return self.may_raise_at[study_site.pk]


def _import_chunk(run: _ImportRun, chunk: list[tuple[int, list[str]]]) -> None:
    """Validate and create one chunk of rows with a constant number of lookups."""
    parsed = []
    for line, row in chunk:
        values = {name: run.cell(row, name) for name in IMPORT_COLUMNS}
        missing = [name for name in REQUIRED_COLUMNS if not values[name]]
        if missing:
            run.report.refuse(line, f"missing {', '.join(missing)}")
            continue
        errors = _field_errors(
            text=values["text"],
            form_name=values["form"],
            field_name=values["field"],
            external_id=values["external_id"],
        )
        if errors:
            name, messages = next(iter(errors.items()))
            label = {"form_name": "form", "field_name": "field"}.get(name, name)
            run.report.refuse(line, f"{label}: {messages[0]}")
            continue
        parsed.append((line, values))
    if not parsed:
        return
    external_ids = {values["external_id"] for _, values in parsed}
    existing = dict(
        DataQuery.objects.filter(study=run.study, external_id__in=external_ids).values_list(
            "external_id", "pk"
        )
    )
    subjects: dict[str, list[Subject]] = {}
    for subject in Subject.objects.filter(
        study_site__study=run.study,
        subject_identifier__in={values["subject_id"] for _, values in parsed},
    ).select_related("study_site"):
        subjects.setdefault(subject.subject_identifier, []).append(subject)
    codes = {values["visit_code"] for _, values in parsed if values["visit_code"]}
    visits: dict[tuple[int, str], SubjectVisit] = {}
    if codes:
        for visit in SubjectVisit.objects.filter(
            subject__in=[s for found in subjects.values() for s in found],
            definition__code__in=codes,
        ).select_related("definition"):
            visits[(visit.subject_id, visit.definition.code)] = visit

    accepted: list[tuple[DataQuery, str]] = []
    now = timezone.now()
    for line, values in parsed:
        external_id = values["external_id"]
        if external_id in existing:
            run.report.refuse(
                line,
                f"external id {external_id} was already imported (query #{existing[external_id]})",
            )
            continue
        if external_id in run.seen_external_ids:
            run.report.refuse(
                line,
                f"external id {external_id} already appears on line "
                f"{run.seen_external_ids[external_id]}",
            )
            continue
        found = subjects.get(values["subject_id"], [])
        if not found:
            run.report.refuse(line, f"subject {values['subject_id']} is not in this study")
            continue
        if len(found) > 1:
            run.report.refuse(
                line, f"subject {values['subject_id']} exists at more than one site of the study"
            )
            continue
        subject = found[0]
        if not run.may_raise(subject.study_site):
            run.report.refuse(
                line,
                f"subject {values['subject_id']} is at a site where you may not raise queries",
            )
            continue
        if subject.study_site.status == StudySiteStatus.CLOSED:
            run.report.refuse(
                line, f"subject {values['subject_id']} is at a closed site (read-only)"
            )
            continue
        subject_visit = None
        if values["visit_code"]:
            subject_visit = visits.get((subject.pk, values["visit_code"]))
            if subject_visit is None:
                run.report.refuse(
                    line,
                    f"subject {values['subject_id']} has no visit {values['visit_code']}",
                )
                continue
        run.seen_external_ids[external_id] = line
        accepted.append(
            (
                DataQuery(
                    study=run.study,
                    study_site=subject.study_site,
                    subject=subject,
                    subject_visit=subject_visit,
                    form_name=values["form"],
                    field_name=values["field"],
                    text=values["text"],
                    external_id=external_id,
                    raised_by=run.actor,
                    raised_at=now,
                    status_changed_at=now,
                    waiting_since=now,
                ),
                values["text"],
            )
        )
    if not accepted:
        return
    created = DataQuery.objects.bulk_create([query for query, _ in accepted])
    QueryMessage.objects.bulk_create(
        [
            QueryMessage(
                data_query=query,
                author=run.actor,
                action=DataQueryAction.RAISE,
                to_status=DataQueryStatus.OPEN,
                text=text,
                created_at=now,
            )
            for query, (_, text) in zip(created, accepted, strict=True)
        ]
    )
    run.report.created_ids += [query.pk for query in created]


def _lines(uploaded_file) -> Iterable[str]:
    """The file's text, line by line, read in chunks (never the whole file at once)."""
    uploaded_file.seek(0)
    return codecs.iterdecode(uploaded_file, "utf-8-sig")


def importable_cro_ids(actor: User) -> list[int]:
    """CRO organizations where the actor holds a role that may import queries."""
    return [
        org_id for org_id, roles in organization_roles(actor).items() if roles & rules.IMPORT_ROLES
    ]


@transaction.atomic
def data_query_import(*, actor: User, study: Study, uploaded_file) -> ImportReport:
    """Import queries from an EDC's CSV export: one row per query with the columns
    subject_id, visit_code (optional), form, field (optional), text, external_id.

    Every row is checked on its own: invalid rows are reported by line number with the reason,
    valid rows are imported, and an external id already imported (or repeated in the file) is
    never imported twice. The file is streamed row by row; its size and row count are capped.
    """
    study = Study.objects.select_for_update().get(pk=study.pk)  # one import per study at a time
    if study.cro_id not in importable_cro_ids(actor):
        raise PermissionDenied("Only a CRA or data manager of the study's CRO can import queries.")
    size = getattr(uploaded_file, "size", None)
    limit = max_import_bytes()
    if size is None or size > limit:
        raise ApplicationError(
            "The file is too large.",
            fields={
                "file": [f"Upload at most {limit // (1024 * 1024) or 1} MB; split the export."]
            },
        )
    report = ImportReport()
    try:
        reader = csv.reader(_lines(uploaded_file))
        header = next(reader, None)
        if not header:
            raise ApplicationError("The file is empty.", fields={"file": ["The file is empty."]})
        names = [cell.strip().lower().replace(" ", "_") for cell in header]
        missing = [name for name in REQUIRED_COLUMNS if name not in names]
        if missing:
            message = f"The first line must name the columns; missing: {', '.join(missing)}."
            raise ApplicationError(message, fields={"file": [message]})
        run = _ImportRun(
            actor=actor,
            study=study,
            report=report,
            columns={name: names.index(name) for name in IMPORT_COLUMNS if name in names},
        )
        chunk: list[tuple[int, list[str]]] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            report.rows += 1
            if report.rows > max_import_rows():
                message = f"The file has more than {max_import_rows()} rows; split the export."
                raise ApplicationError(message, fields={"file": [message]})
            chunk.append((reader.line_num, row))
            if len(chunk) >= IMPORT_CHUNK_ROWS:
                _import_chunk(run, chunk)
                chunk = []
        if chunk:
            _import_chunk(run, chunk)
        report.errors.sort(key=lambda error: error.line)
    except UnicodeDecodeError as exc:
        message = "The file is not UTF-8 text; export it as CSV (UTF-8)."
        raise ApplicationError(message, fields={"file": [message]}) from exc
    except csv.Error as exc:
        message = f"The file is not valid CSV near line {report.rows + 1}: {exc}."
        raise ApplicationError(message, fields={"file": [message]}) from exc
    return report


# ---------------------------------------------------------------------------------------------
# Reminders (Celery beat)
# ---------------------------------------------------------------------------------------------

SITE_REMINDER_DAYS = 5
SITE_ESCALATION_DAYS = 10
CRO_REMINDER_DAYS = 5


def data_query_send_aging_reminders(*, now: datetime | None = None) -> int:
    """Remind whoever a query waits on: site coordinators after 5 days (and, after 10 days,
    the site administrators and the PI as well); the raiser after 5 days of an unreviewed
    answer. At most one notification per query, person and day (dedupe keys). Returns how many
    notifications were created. Reads the queries in batches; per batch one query for the
    sites' people and two to write the notifications."""
    now = now or timezone.now()
    day = now.date().isoformat()
    site_waiting = (
        DataQuery.objects.filter(
            status__in=WAITING_ON_SITE,
            waiting_since__lte=now - timedelta(days=SITE_REMINDER_DAYS),
        )
        .select_related("study", "study_site__principal_investigator", "subject")
        .order_by("pk")
    )
    created = 0
    for queries in batches(site_waiting):
        site_people = members_by_organization(
            organization_ids={query.study_site.site_id for query in queries},
            roles=(Role.COORDINATOR, Role.SITE_ADMIN),
        )
        notes = []
        for query in queries:
            days = (now - query.waiting_since).days
            escalated = days >= SITE_ESCALATION_DAYS
            recipients = {
                m.user_id: m.user
                for m in site_people[query.study_site.site_id]
                if m.role == Role.COORDINATOR or escalated
            }
            pi = query.study_site.principal_investigator
            if escalated and pi is not None and pi.is_active:
                recipients[pi.pk] = pi
            notes += [
                _reminder(
                    user=user,
                    query=query,
                    day=day,
                    kind="query.overdue" if escalated else "query.waiting_on_site",
                    title=f"Query #{query.pk} on {query.subject} has waited {days} days for "
                    "the site",
                    body=f"{query.study.protocol_number}, form {query.form_name}: {query.text}",
                )
                for user in recipients.values()
            ]
        created += len(notify_many(notes))
    cro_waiting = (
        DataQuery.objects.filter(
            status__in=WAITING_ON_CRO,
            waiting_since__lte=now - timedelta(days=CRO_REMINDER_DAYS),
            raised_by__is_active=True,
        )
        .select_related("study", "subject", "raised_by")
        .order_by("pk")
    )
    for queries in batches(cro_waiting):
        notes = []
        for query in queries:
            days = (now - query.waiting_since).days
            notes.append(
                _reminder(
                    user=query.raised_by,
                    query=query,
                    day=day,
                    kind="query.answer_to_review",
                    title=f"The site answered query #{query.pk} on {query.subject} {days} days ago",
                    body=f"{query.study.protocol_number}, form {query.form_name}: close or "
                    "re-open it.",
                )
            )
        created += len(notify_many(notes))
    return created


def _reminder(*, user: User, query: DataQuery, day: str, kind: str, title: str, body: str) -> Note:
    return Note(
        recipient=user,
        kind=kind,
        title=title,
        body=body,
        url=query.get_absolute_url(),
        subject=query,
        dedupe_key=f"query-aging:{query.pk}:{user.pk}:{day}",
    )
