"""Writes to adverse events and SAE reports. Each checks the actor's role for the study-site and
the allowed transition, inside one transaction that locks the row.

Rules in one place:
- only the site (coordinator, investigator, site administrator) records, corrects, submits and
  follows up; only the CRO safety role acknowledges; sponsor viewers never write;
- an AE is serious when any seriousness criterion is ticked; a serious one needs the time the
  site became aware of it, and its clock runs from that time, drafted or not;
- submitting after awareness + 24 h marks the report late, and that never changes;
- the initial report never changes because of a follow-up; nothing is deleted; corrections
  need a reason and land in the audit trail.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import people_by_organization
from core.audit import audit_context, require_reason
from core.db import batches
from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.notifications import Note, notify_many
from safety.clock import DUE_SOON
from safety.models import (
    AE_TRANSITIONS,
    CORRECTABLE_STATUSES,
    REPORTING_WINDOW,
    AdverseEvent,
    AdverseEventStatus,
    Outcome,
    Relatedness,
    Seriousness,
    Severity,
)
from trials import access
from trials.models import StudyTeamMember, Subject, TeamRole

SITE_ROLES = access.SITE_ROLES
# Which roles may do what to adverse events (sponsor viewers appear nowhere: they only read).
SAFETY_ACTIONS: dict[str, frozenset[str]] = {
    "adverse_event.report": frozenset(SITE_ROLES),
    "adverse_event.acknowledge": frozenset({Role.SAFETY}),
}
CORRECTABLE_FIELDS = (
    "term",
    "onset_date",
    "severity",
    "seriousness_criteria",
    "relatedness",
    "outcome",
    "description",
    "awareness_at",
)
# Hours after submission before CRO safety is reminded; twice that, the study lead too.
ACK_REMINDER_HOURS = getattr(settings, "SAFETY_ACK_REMINDER_HOURS", 12)


def can(action: str, roles) -> bool:
    return bool(SAFETY_ACTIONS[action] & set(roles))


def _require(action: str, roles, message: str) -> None:
    if not can(action, roles):
        raise PermissionDenied(message)


def _require_site(actor: User, study_site) -> None:
    _require(
        "adverse_event.report",
        access.study_site_roles(actor, study_site),
        "Only the site's coordinator, investigator or administrator reports adverse events.",
    )


def _transition(adverse_event: AdverseEvent, to_status: str) -> None:
    if to_status not in AE_TRANSITIONS.get(adverse_event.status, ()):
        raise TransitionNotAllowed(
            f"A report that is {adverse_event.get_status_display().lower()} cannot become "
            f"{AdverseEventStatus(to_status).label.lower()}."
        )
    adverse_event.status = to_status


def _lock(adverse_event: AdverseEvent) -> AdverseEvent:
    return (
        AdverseEvent.objects.select_for_update(of=("self",))
        .select_related("subject__study_site__study")
        .get(pk=adverse_event.pk)
    )


# --- validation ------------------------------------------------------------------------------


def _validate(*, subject: Subject, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Clean the entered fields; raise ApplicationError naming each bad field."""
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    term = str(data.get("term") or "").strip()
    if not term:
        errors["term"] = ["Enter the event term, e.g. Pneumonia."]
    cleaned["term"] = term
    onset = data.get("onset_date")
    today = timezone.localdate(now)
    earliest = subject.consent_date or subject.screening_date
    if not isinstance(onset, date):
        errors["onset_date"] = ["Enter the onset date."]
    elif onset > today:
        errors["onset_date"] = ["The onset date cannot be in the future."]
    elif onset < earliest:
        which = "consent" if subject.consent_date else "screening"
        errors["onset_date"] = [
            f"The onset date cannot be before the subject's {which} ({earliest:%Y-%m-%d})."
        ]
    for field, choices in (
        ("severity", Severity),
        ("relatedness", Relatedness),
        ("outcome", Outcome),
    ):
        if data.get(field) not in choices.values:
            errors[field] = [f"Choose the {field}."]
    criteria = list(dict.fromkeys(data.get("seriousness_criteria") or []))
    if any(value not in Seriousness.values for value in criteria):
        errors["seriousness_criteria"] = ["Choose seriousness criteria from the list."]
    cleaned["seriousness_criteria"] = [v for v in Seriousness.values if v in criteria]
    cleaned["is_serious"] = bool(criteria)
    awareness = data.get("awareness_at")
    if cleaned["is_serious"]:
        if not isinstance(awareness, datetime):
            errors["awareness_at"] = [
                "A serious event needs the date and time the site became aware of it."
            ]
        elif awareness > now:
            errors["awareness_at"] = ["The awareness time cannot be in the future."]
        elif isinstance(onset, date) and timezone.localtime(awareness).date() < onset:
            errors["awareness_at"] = ["The site cannot have become aware before the onset."]
    else:
        cleaned["awareness_at"] = None
    if data.get("outcome") == Outcome.FATAL and Seriousness.DEATH not in criteria:
        errors["seriousness_criteria"] = ["A fatal outcome means the event resulted in death."]
    cleaned["description"] = str(data.get("description") or "").strip()
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    cleaned["due_at"] = (
        cleaned["awareness_at"] + REPORTING_WINDOW if cleaned["is_serious"] else None
    )
    return cleaned


# --- writes ------------------------------------------------------------------------------------


@transaction.atomic
def adverse_event_report(
    *,
    actor: User,
    subject: Subject,
    term: str,
    onset_date: date,
    severity: str,
    relatedness: str,
    outcome: str,
    seriousness_criteria: list[str] | None = None,
    awareness_at: datetime | None = None,
    description: str = "",
    submit: bool = False,
) -> AdverseEvent:
    """Record an adverse event for a subject. A serious one starts its 24-hour clock at
    ``awareness_at``; it is submitted to the CRO now (``submit``) or kept as a draft."""
    subject = Subject.objects.select_related("study_site__study").get(pk=subject.pk)
    _require_site(actor, subject.study_site)
    access.require_open(subject.study_site)
    now = timezone.now()
    cleaned = _validate(
        subject=subject,
        now=now,
        data={
            "term": term,
            "onset_date": onset_date,
            "severity": severity,
            "relatedness": relatedness,
            "outcome": outcome,
            "seriousness_criteria": seriousness_criteria,
            "awareness_at": awareness_at,
            "description": description,
        },
    )
    adverse_event = AdverseEvent.objects.create(
        subject=subject,
        recorded_by=actor,
        status=AdverseEventStatus.DRAFT if cleaned["is_serious"] else AdverseEventStatus.RECORDED,
        **cleaned,
    )
    if submit and adverse_event.is_serious:
        return adverse_event_submit(actor=actor, adverse_event=adverse_event)
    return adverse_event


@transaction.atomic
def adverse_event_submit(*, actor: User, adverse_event: AdverseEvent) -> AdverseEvent:
    """Submit a serious report to the CRO. Submitted after its due time, it is late for good."""
    adverse_event = _lock(adverse_event)
    _require_site(actor, adverse_event.subject.study_site)
    access.require_open(adverse_event.subject.study_site)
    _transition(adverse_event, AdverseEventStatus.REPORTED)
    now = timezone.now()
    adverse_event.reported_at = now
    adverse_event.reported_by = actor
    adverse_event.is_late = now > adverse_event.due_at
    with audit_context(reason="SAE report submitted to the CRO"):
        adverse_event.save(update_fields=["status", "reported_at", "reported_by", "is_late"])
    ae_id = adverse_event.pk
    transaction.on_commit(lambda: _enqueue_submitted(ae_id))
    return adverse_event


def _enqueue_submitted(adverse_event_id: int) -> None:
    from safety.tasks import adverse_event_submitted

    adverse_event_submitted.delay(adverse_event_id)


@transaction.atomic
def adverse_event_acknowledge(*, actor: User, adverse_event: AdverseEvent) -> AdverseEvent:
    """The CRO safety role acknowledges a submitted report (who and when are recorded)."""
    adverse_event = _lock(adverse_event)
    _require(
        "adverse_event.acknowledge",
        access.study_site_roles(actor, adverse_event.subject.study_site),
        "Only the CRO's safety team acknowledges SAE reports.",
    )
    access.require_open(adverse_event.subject.study_site)
    _transition(adverse_event, AdverseEventStatus.ACKNOWLEDGED)
    adverse_event.acknowledged_at = timezone.now()
    adverse_event.acknowledged_by = actor
    with audit_context(reason="SAE report acknowledged by CRO safety"):
        adverse_event.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    return adverse_event


@transaction.atomic
def adverse_event_follow_up(
    *,
    actor: User,
    adverse_event: AdverseEvent,
    awareness_at: datetime | None,
    submit: bool = False,
    **changes: Any,
) -> AdverseEvent:
    """Add a follow-up report to a submitted SAE: a new numbered report linked to the initial
    one, starting from its values with ``changes`` applied; the initial one stays unchanged.
    ``awareness_at`` is when the site learned the new information (its own 24-hour clock)."""
    # Locking the initial report serializes the numbering of its follow-ups.
    initial = _lock(AdverseEvent(pk=adverse_event.initial_id or adverse_event.pk))
    _require_site(actor, initial.subject.study_site)
    access.require_open(initial.subject.study_site)
    if not initial.is_serious or initial.status not in (
        AdverseEventStatus.REPORTED,
        AdverseEventStatus.ACKNOWLEDGED,
    ):
        raise TransitionNotAllowed("Follow-ups are added to a serious report once it is submitted.")
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"These fields cannot be set here: {', '.join(sorted(unknown))}.")
    data = {field: getattr(initial, field) for field in CORRECTABLE_FIELDS}
    data.update(changes)
    data["awareness_at"] = awareness_at
    if not data.get("seriousness_criteria"):
        raise ApplicationError(
            "A follow-up of a serious event keeps at least one seriousness criterion.",
            fields={"seriousness_criteria": ["Tick at least one criterion."]},
        )
    now = timezone.now()
    cleaned = _validate(subject=initial.subject, data=data, now=now)
    if cleaned["awareness_at"] < initial.awareness_at:
        raise ApplicationError(
            "The new information cannot predate the initial report's awareness time.",
            fields={"awareness_at": ["Enter when the site learned the new information."]},
        )
    number = (initial.follow_ups.aggregate(n=Max("follow_up_number"))["n"] or 0) + 1
    follow_up = AdverseEvent.objects.create(
        subject=initial.subject,
        initial=initial,
        follow_up_number=number,
        recorded_by=actor,
        status=AdverseEventStatus.DRAFT,
        **cleaned,
    )
    if submit:
        return adverse_event_submit(actor=actor, adverse_event=follow_up)
    return follow_up


@transaction.atomic
def adverse_event_correct(
    *, actor: User, adverse_event: AdverseEvent, reason: str, **changes: Any
) -> AdverseEvent:
    """Correct the entered data of a report not yet submitted (a recorded AE or an SAE draft).
    A reason is required and kept in the audit trail. Ticking a seriousness criterion on a
    recorded AE makes it an SAE draft whose clock runs from the awareness time given."""
    reason = require_reason(reason)
    adverse_event = _lock(adverse_event)
    _require_site(actor, adverse_event.subject.study_site)
    access.require_open(adverse_event.subject.study_site)
    if adverse_event.status not in CORRECTABLE_STATUSES:
        raise TransitionNotAllowed(
            "A submitted report is not changed: add a follow-up report with the new information."
        )
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ApplicationError(
            f"These fields cannot be changed here: {', '.join(sorted(unknown))}."
        )
    data = {field: getattr(adverse_event, field) for field in CORRECTABLE_FIELDS}
    data.update(changes)
    cleaned = _validate(subject=adverse_event.subject, data=data, now=timezone.now())
    if adverse_event.is_serious and not cleaned["is_serious"]:
        raise ApplicationError(
            "A serious report keeps at least one seriousness criterion.",
            fields={"seriousness_criteria": ["Tick at least one criterion."]},
        )
    if (
        adverse_event.follow_up_number
        and cleaned["awareness_at"] < adverse_event.initial.awareness_at
    ):
        raise ApplicationError(
            "The new information cannot predate the initial report's awareness time.",
            fields={"awareness_at": ["Enter when the site learned the new information."]},
        )
    if cleaned["is_serious"] and adverse_event.status == AdverseEventStatus.RECORDED:
        _transition(adverse_event, AdverseEventStatus.DRAFT)
    changed = [f for f, v in cleaned.items() if getattr(adverse_event, f) != v]
    if not changed:
        return adverse_event
    with audit_context(reason=reason):
        for field in changed:
            setattr(adverse_event, field, cleaned[field])
        adverse_event.save(update_fields=[*changed, "status"])
    return adverse_event


# --- notifications and escalation -------------------------------------------------------------


def _people(organization_ids: set[int], roles) -> dict[int, set[User]]:
    people = people_by_organization(organization_ids=organization_ids, roles=roles)
    return defaultdict(set, {org: set(users) for org, users in people.items()})


def _site_people(site_ids: set[int]) -> dict[int, set[User]]:
    return _people(site_ids, SITE_ROLES)


def _cro_safety_people(cro_ids: set[int]) -> dict[int, set[User]]:
    return _people(cro_ids, [Role.SAFETY])


def _study_leads(study_ids: set[int]) -> dict[int, set[User]]:
    people: dict[int, set[User]] = defaultdict(set)
    for member in StudyTeamMember.objects.filter(
        study_id__in=study_ids, role=TeamRole.LEAD, user__is_active=True
    ).select_related("user"):
        people[member.study_id].add(member.user)
    return people


def _notes(
    users, *, kind: str, key: str, adverse_event: AdverseEvent, title: str, body: str
) -> list[Note]:
    return [
        Note(
            recipient=user,
            kind=kind,
            title=title,
            body=body,
            dedupe_key=f"{kind}:{key}:{user.pk}",
            url=adverse_event.get_absolute_url(),
            subject=adverse_event,
        )
        for user in sorted(users, key=lambda u: u.pk)
    ]


def _notify_all(users, *, kind: str, key: str, adverse_event: AdverseEvent, title: str, body: str):
    return len(
        notify_many(
            _notes(users, kind=kind, key=key, adverse_event=adverse_event, title=title, body=body)
        )
    )


def _describe(ae: AdverseEvent) -> str:
    study_site = ae.subject.study_site
    return (
        f"{ae.kind_label} {ae.reference} for subject {ae.subject.subject_identifier} "
        f"({study_site.study.protocol_number}, site {study_site.site_number}): {ae.term}"
    )


def adverse_event_notify_submitted(*, adverse_event_id: int) -> int:
    """Tell the CRO safety team a report arrived (and, when late, the study lead too). Once
    per person and report, however often it runs."""
    ae = (
        AdverseEvent.objects.select_related("subject__study_site__study")
        .filter(pk=adverse_event_id, reported_at__isnull=False)
        .first()
    )
    if ae is None:
        return 0
    study = ae.subject.study_site.study
    safety_people = _cro_safety_people({study.cro_id})[study.cro_id]
    sent = _notify_all(
        safety_people,
        kind="sae_submitted",
        key=str(ae.pk),
        adverse_event=ae,
        title=f"{ae.kind_label} to acknowledge: {ae.term}",
        body=f"{_describe(ae)}. Please acknowledge it.",
    )
    if ae.is_late:
        sent += _notify_all(
            safety_people | _study_leads({study.pk})[study.pk],
            kind="sae_late",
            key=str(ae.pk),
            adverse_event=ae,
            title=f"{ae.kind_label} reported late: {ae.term}",
            body=f"{_describe(ae)} reached the CRO more than 24 hours after the site's awareness.",
        )
    return sent


def sae_escalate(*, now: datetime | None = None) -> int:
    """The SAE clock sweep (beat): warn the site and CRO safety about unsubmitted serious reports
    due within 6 hours or overdue, and CRO safety (later also the study lead) about submitted
    reports not acknowledged. Each notice once per person and report (dedupe keys); the reports
    are read in batches, with a few indexed queries per batch whatever the data size. Returns
    the number of notices written."""
    now = now or timezone.now()
    related = ("subject__study_site__study",)
    drafts = (
        AdverseEvent.objects.filter(status=AdverseEventStatus.DRAFT, due_at__lte=now + DUE_SOON)
        .select_related(*related)
        .order_by("pk")
    )
    reminder_after = timedelta(hours=ACK_REMINDER_HOURS)
    unacknowledged = (
        AdverseEvent.objects.filter(
            status=AdverseEventStatus.REPORTED, reported_at__lte=now - reminder_after
        )
        .select_related(*related)
        .order_by("pk")
    )
    sent = 0
    for batch in batches(drafts):
        site_people = _site_people({ae.subject.study_site.site_id for ae in batch})
        safety_people = _cro_safety_people({ae.subject.study_site.study.cro_id for ae in batch})
        notes = []
        for ae in batch:
            study_site = ae.subject.study_site
            people = site_people[study_site.site_id] | safety_people[study_site.study.cro_id]
            if ae.due_at <= now:
                kind, title = "sae_overdue", f"{ae.kind_label} overdue: not submitted within 24 h"
                body = f"{_describe(ae)}. It was due {ae.due_at:%Y-%m-%d %H:%M} UTC."
            else:
                kind, title = "sae_due_soon", f"{ae.kind_label} due within 6 hours"
                body = f"{_describe(ae)}. It is due {ae.due_at:%Y-%m-%d %H:%M} UTC."
            notes += _notes(
                people, kind=kind, key=str(ae.pk), adverse_event=ae, title=title, body=body
            )
        sent += len(notify_many(notes))
    for batch in batches(unacknowledged):
        safety_people = _cro_safety_people({ae.subject.study_site.study.cro_id for ae in batch})
        leads = _study_leads({ae.subject.study_site.study_id for ae in batch})
        notes = []
        for ae in batch:
            study = ae.subject.study_site.study
            notes += _notes(
                safety_people[study.cro_id],
                kind="sae_unacknowledged",
                key=str(ae.pk),
                adverse_event=ae,
                title=f"{ae.kind_label} not acknowledged after {ACK_REMINDER_HOURS} h",
                body=f"{_describe(ae)}. Submitted {ae.reported_at:%Y-%m-%d %H:%M} UTC.",
            )
            if ae.reported_at <= now - 2 * reminder_after:
                notes += _notes(
                    leads[study.pk],
                    kind="sae_unacknowledged_lead",
                    key=str(ae.pk),
                    adverse_event=ae,
                    title=f"{ae.kind_label} still not acknowledged by safety",
                    body=f"{_describe(ae)}. Submitted {ae.reported_at:%Y-%m-%d %H:%M} UTC.",
                )
        sent += len(notify_many(notes))
    return sent
