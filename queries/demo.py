"""Invented demo data queries (called by dashboards.demo inside its transaction and audit
context). Idempotent: each query is looked up by its natural key (study + external id
``DEMO-…``) and created only when missing, with its whole thread.

The queries sit on the demo subjects (pseudonymous ids only) and are spread over every state so
each page has something to show: waiting on the site (some overdue), answered and waiting on
the CRO, re-opened, closed and cancelled.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from accounts.models import User
from queries.models import (
    DATA_QUERY_TRANSITIONS,
    RESOLVED,
    DataQuery,
    DataQueryAction,
    DataQueryStatus,
    QueryMessage,
    WaitingOn,
    waiting_on,
)
from trials.models import StudySite, Subject, SubjectStatus, SubjectVisitStatus


@dataclass(frozen=True)
class Step:
    action: str
    days_ago: float
    text: str


@dataclass(frozen=True)
class QuerySpec:
    external_id: str
    protocol_number: str
    site_number: str
    subject_index: int  # which enrolled subject of the site (by id order)
    raiser: str
    answerer: str
    form_name: str
    field_name: str
    on_visit: bool
    steps: tuple[Step, ...]  # the first step is the raise


MC, MC_CRA, LAKE, RIVER = (
    "MER-CARD-301",
    "cra@meridian.example",
    "coordinator@lakeside.example",
    "coordinator@riverbend.example",
)
APX, APX_CRA = "APX-DERM-210", "cra@apex.example"
R, A, C, REOPEN, X = (
    DataQueryAction.RAISE,
    DataQueryAction.ANSWER,
    DataQueryAction.CLOSE,
    DataQueryAction.REOPEN,
    DataQueryAction.CANCEL,
)

QUERIES: tuple[QuerySpec, ...] = (
    QuerySpec(
        "DEMO-MC-1",
        MC,
        "101",
        0,
        MC_CRA,
        LAKE,
        "Vital signs",
        "Systolic BP",
        True,
        (Step(R, 2.2, "Systolic BP recorded as 310 mmHg; please verify against the source."),),
    ),
    QuerySpec(
        "DEMO-MC-2",
        MC,
        "101",
        1,
        MC_CRA,
        LAKE,
        "Concomitant medications",
        "Start date",
        False,
        (Step(R, 8.1, "The medication start date is after the visit date; please check."),),
    ),
    QuerySpec(
        "DEMO-MC-3",
        MC,
        "101",
        2,
        MC_CRA,
        LAKE,
        "Laboratory",
        "Potassium",
        True,
        (
            Step(R, 9.3, "Potassium result is missing for this visit."),
            Step(A, 3.1, "Sample haemolysed; redrawn at an unscheduled visit, 4.1 mmol/L entered."),
        ),
    ),
    QuerySpec(
        "DEMO-MC-4",
        MC,
        "101",
        3,
        MC_CRA,
        LAKE,
        "Adverse events",
        "Outcome",
        False,
        (
            Step(R, 20.2, "Outcome of the headache event is not recorded."),
            Step(A, 15.4, "Outcome entered as recovered."),
            Step(REOPEN, 12.0, "Please also enter the end date of the event."),
            Step(A, 10.3, "End date entered from the subject diary."),
            Step(C, 9.2, "Thank you, resolved."),
        ),
    ),
    QuerySpec(
        "DEMO-MC-5",
        MC,
        "101",
        4,
        MC_CRA,
        LAKE,
        "Vital signs",
        "Weight",
        True,
        (
            Step(R, 6.3, "Weight 7 kg looks wrong."),
            Step(X, 6.2, "Raised in error: the value is 70 kg on the CRF; misread the listing."),
        ),
    ),
    QuerySpec(
        "DEMO-MC-6",
        MC,
        "101",
        5,
        MC_CRA,
        LAKE,
        "ECG",
        "QTc",
        True,
        (
            Step(R, 14.1, "QTc value is outside the plausible range."),
            Step(A, 12.2, "Corrected to 412 ms."),
            Step(REOPEN, 4.0, "The ECG printout in the source says 421 ms; please recheck."),
        ),
    ),
    QuerySpec(
        "DEMO-MC-7",
        MC,
        "102",
        0,
        MC_CRA,
        RIVER,
        "Eligibility",
        "Inclusion 4",
        False,
        (Step(R, 5.4, "Inclusion criterion 4 is ticked but the lab date is missing."),),
    ),
    QuerySpec(
        "DEMO-MC-8",
        MC,
        "102",
        1,
        MC_CRA,
        RIVER,
        "Vital signs",
        "Heart rate",
        True,
        (
            Step(R, 7.2, "Heart rate missing at this visit."),
            Step(A, 2.3, "Not done: the subject arrived late; a note to file is in the ISF."),
        ),
    ),
    QuerySpec(
        "DEMO-AX-1",
        APX,
        "3001",
        0,
        APX_CRA,
        LAKE,
        "Dermatology assessment",
        "EASI score",
        True,
        (Step(R, 11.2, "EASI total does not match the sum of the regional scores."),),
    ),
    QuerySpec(
        "DEMO-AX-2",
        APX,
        "3001",
        1,
        APX_CRA,
        LAKE,
        "Concomitant medications",
        "Dose",
        False,
        (
            Step(R, 4.2, "Dose unit missing for the topical steroid."),
            Step(A, 1.1, "Unit added: grams per application."),
        ),
    ),
    QuerySpec(
        "DEMO-AX-3",
        APX,
        "3001",
        2,
        APX_CRA,
        LAKE,
        "Laboratory",
        "ALT",
        True,
        (
            Step(R, 18.0, "ALT flagged high; is it clinically significant?"),
            Step(A, 16.2, "Not clinically significant per the investigator; comment added."),
            Step(C, 15.0, ""),
        ),
    ),
)


def _subject_and_visit(spec: QuerySpec) -> tuple[Subject, object] | None:
    study_site = StudySite.objects.filter(
        study__protocol_number=spec.protocol_number, site_number=spec.site_number
    ).first()
    if study_site is None:
        return None
    subjects = list(
        Subject.objects.filter(
            study_site=study_site,
            status__in=(SubjectStatus.ENROLLED, SubjectStatus.COMPLETED),
        ).order_by("subject_identifier")[: spec.subject_index + 1]
    )
    if len(subjects) <= spec.subject_index:
        return None
    subject = subjects[spec.subject_index]
    visit = None
    if spec.on_visit:
        visit = (
            subject.visits.filter(status=SubjectVisitStatus.COMPLETED)
            .order_by("target_date")
            .first()
        )
    return subject, visit


def seed(*, today: date) -> dict[str, int]:
    """Create the missing demo queries; returns how many rows of each kind were created."""
    created = {"data queries": 0, "query messages": 0}
    users = {u.email: u for u in User.objects.filter(email__endswith=".example")}
    noon = datetime.combine(today, time(12, 0), tzinfo=UTC)
    for spec in QUERIES:
        found = _subject_and_visit(spec)
        if found is None or spec.raiser not in users or spec.answerer not in users:
            continue
        subject, visit = found
        study_id = subject.study_site.study_id
        if DataQuery.objects.filter(study_id=study_id, external_id=spec.external_id).exists():
            continue
        raised_at = noon - timedelta(days=spec.steps[0].days_ago)
        query = DataQuery(
            study_id=study_id,
            study_site=subject.study_site,
            subject=subject,
            subject_visit=visit,
            form_name=spec.form_name,
            field_name=spec.field_name,
            text=spec.steps[0].text,
            external_id=spec.external_id,
            raised_by=users[spec.raiser],
            raised_at=raised_at,
            status_changed_at=raised_at,
            waiting_since=raised_at,
        )
        messages = [
            QueryMessage(
                author=users[spec.raiser],
                action=DataQueryAction.RAISE,
                to_status=DataQueryStatus.OPEN,
                text=spec.steps[0].text,
                created_at=raised_at,
            )
        ]
        for step in spec.steps[1:]:
            at = noon - timedelta(days=step.days_ago)
            new_status = DATA_QUERY_TRANSITIONS[query.status][step.action]
            side = waiting_on(query.status)
            if side == WaitingOn.SITE:
                query.site_wait += at - query.waiting_since
            elif side == WaitingOn.CRO:
                query.cro_wait += at - query.waiting_since
            author = spec.answerer if step.action == DataQueryAction.ANSWER else spec.raiser
            messages.append(
                QueryMessage(
                    author=users[author],
                    action=step.action,
                    from_status=query.status,
                    to_status=new_status,
                    text=step.text,
                    created_at=at,
                )
            )
            query.status, query.status_changed_at, query.waiting_since = new_status, at, at
            if new_status in RESOLVED:
                query.resolved_at = at
        query.save()
        for message in messages:
            message.data_query = query
        QueryMessage.objects.bulk_create(messages)
        created["data queries"] += 1
        created["query messages"] += len(messages)
    return created
