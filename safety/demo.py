"""Invented demo adverse events (called by dashboards/demo.py inside seed_demo's transaction).

Idempotent: each row is looked up by its natural key (subject, term, follow-up number) and
created only when missing; nothing is ever updated. Times are relative to the moment of the
first run, so a fresh demo shows a running SAE clock, one waiting for acknowledgment, a late
one, a follow-up and a few non-serious events.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from accounts.models import User
from safety.models import REPORTING_WINDOW, AdverseEvent, AdverseEventStatus
from trials.models import StudySite, Subject, SubjectStatus


@dataclass(frozen=True)
class DemoEvent:
    protocol_number: str
    site_number: str
    subject_index: int  # nth enrolled/completed subject of the study-site, by identifier
    term: str
    severity: str
    relatedness: str
    outcome: str
    criteria: tuple[str, ...] = ()
    onset_days_ago: int = 3
    aware_hours_ago: float | None = None  # serious events
    reported_hours_ago: float | None = None  # submitted ones
    acknowledged_hours_ago: float | None = None
    follow_up_of: str | None = None  # term of the initial report (same subject)
    description: str = ""


EVENTS: tuple[DemoEvent, ...] = (
    DemoEvent(
        "MER-CARD-301",
        "101",
        0,
        "Atrial fibrillation",
        "severe",
        "possible",
        "recovering",
        criteria=("hospitalization",),
        onset_days_ago=1,
        aware_hours_ago=5,
        description="Admitted overnight for rate control (invented).",
    ),
    DemoEvent(
        "MER-CARD-301",
        "101",
        1,
        "Acute kidney injury",
        "severe",
        "probable",
        "not_recovered",
        criteria=("hospitalization", "other_important"),
        onset_days_ago=2,
        aware_hours_ago=30,
        reported_hours_ago=14,
        description="Creatinine rise after dose increase (invented).",
    ),
    DemoEvent(
        "MER-CARD-301",
        "101",
        2,
        "Pneumonia",
        "severe",
        "unlikely",
        "recovering",
        criteria=("hospitalization",),
        onset_days_ago=12,
        aware_hours_ago=11 * 24,
        reported_hours_ago=11 * 24 - 6,
        acknowledged_hours_ago=11 * 24 - 9,
        description="Community-acquired pneumonia, IV antibiotics (invented).",
    ),
    DemoEvent(
        "MER-CARD-301",
        "101",
        2,
        "Pneumonia",
        "moderate",
        "unlikely",
        "recovered",
        criteria=("hospitalization",),
        onset_days_ago=12,
        aware_hours_ago=4 * 24,
        reported_hours_ago=4 * 24 - 2,
        follow_up_of="Pneumonia",
        description="Discharged home; antibiotics completed (invented follow-up).",
    ),
    DemoEvent(
        "MER-CARD-301",
        "102",
        0,
        "Syncope",
        "moderate",
        "possible",
        "recovered",
        criteria=("other_important",),
        onset_days_ago=20,
        aware_hours_ago=20 * 24,
        reported_hours_ago=20 * 24 - 31,
        acknowledged_hours_ago=20 * 24 - 40,
        description="Fainted at home; reported after the weekend (invented).",
    ),
    DemoEvent("MER-CARD-301", "101", 3, "Headache", "mild", "unlikely", "recovered"),
    DemoEvent(
        "MER-CARD-301", "102", 1, "Nausea", "moderate", "possible", "recovering", onset_days_ago=6
    ),
    DemoEvent(
        "APX-DERM-210",
        "3001",
        0,
        "Injection site reaction",
        "mild",
        "probable",
        "recovered",
        onset_days_ago=9,
    ),
)


def _subject(event: DemoEvent) -> Subject | None:
    study_site = StudySite.objects.filter(
        study__protocol_number=event.protocol_number, site_number=event.site_number
    ).first()
    if study_site is None:
        return None
    subjects = list(
        Subject.objects.filter(
            study_site=study_site,
            status__in=[SubjectStatus.ENROLLED, SubjectStatus.COMPLETED],
        ).order_by("subject_identifier")[: event.subject_index + 1]
    )
    return subjects[event.subject_index] if len(subjects) > event.subject_index else None


def _site_person(subject: Subject) -> User | None:
    return (
        User.objects.filter(
            memberships__organization_id=subject.study_site.site_id,
            memberships__role="coordinator",
        )
        .order_by("pk")
        .first()
    )


def _safety_person(subject: Subject) -> User | None:
    return (
        User.objects.filter(
            memberships__organization_id=subject.study_site.study.cro_id,
            memberships__role="safety",
        )
        .order_by("pk")
        .first()
    )


def seed(*, today: date) -> dict[str, int]:
    now = timezone.now()
    created = 0
    for event in EVENTS:
        subject = _subject(event)
        reporter = _site_person(subject) if subject else None
        if subject is None or reporter is None:
            continue
        initial = None
        number = 0
        if event.follow_up_of:
            initial = AdverseEvent.objects.filter(
                subject=subject, term=event.follow_up_of, follow_up_number=0
            ).first()
            if initial is None:
                continue
            number = 1
        if AdverseEvent.objects.filter(
            subject=subject, term=event.term, follow_up_number=number
        ).exists():
            continue
        earliest = subject.enrollment_date or subject.consent_date or subject.screening_date
        onset = max(today - timedelta(days=event.onset_days_ago), earliest)
        fields: dict = {
            "subject": subject,
            "initial": initial,
            "follow_up_number": number,
            "term": event.term,
            "onset_date": onset,
            "severity": event.severity,
            "relatedness": event.relatedness,
            "outcome": event.outcome,
            "description": event.description,
            "recorded_by": reporter,
            "status": AdverseEventStatus.RECORDED,
        }
        if event.criteria:
            aware = _hours_ago(now, event.aware_hours_ago or 1)
            aware = max(aware, timezone.make_aware(datetime.combine(onset, datetime.min.time())))
            fields.update(
                seriousness_criteria=list(event.criteria),
                is_serious=True,
                awareness_at=aware,
                due_at=aware + REPORTING_WINDOW,
                status=AdverseEventStatus.DRAFT,
            )
            if event.reported_hours_ago is not None:
                reported = _hours_ago(now, event.reported_hours_ago)
                fields.update(
                    status=AdverseEventStatus.REPORTED,
                    reported_at=reported,
                    reported_by=reporter,
                    is_late=reported > fields["due_at"],
                )
            safety = _safety_person(subject)
            if event.acknowledged_hours_ago is not None and safety is not None:
                fields.update(
                    status=AdverseEventStatus.ACKNOWLEDGED,
                    acknowledged_at=_hours_ago(now, event.acknowledged_hours_ago),
                    acknowledged_by=safety,
                )
        AdverseEvent.objects.create(**fields)
        created += 1
    return {"adverse events": created}


def _hours_ago(now: datetime, hours: float) -> datetime:
    return now - timedelta(hours=hours)
