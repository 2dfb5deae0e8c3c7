"""Hand-built records for the scorecard measures, each with an answer worked out by hand.

Rows are written directly with the factories (the services' own rules are tested in their
apps); dates are chosen around an as-of date so each record lands clearly before or after it.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from monitoring.models import ActionItemOwner, ActionItemStatus
from payments.models import EarningKind, PaymentRunLine, PaymentRunStatus
from queries.models import DataQueryAction, DataQueryStatus
from regulatory.models import ReviewStatus
from safety.models import AdverseEventStatus
from tests.factories import (
    StudySiteFactory,
    SubjectFactory,
    SubjectVisitFactory,
    UserFactory,
    VisitDefinitionFactory,
)
from tests.factories.monitoring import ActionItemFactory
from tests.factories.payments import EarningFactory, PaymentRunFactory
from tests.factories.queries import DataQueryFactory, QueryMessageFactory
from tests.factories.regulatory import (
    DocumentFactory,
    DocumentRequirementFactory,
    document_type,
    version_add,
)
from tests.factories.safety import SeriousAdverseEventFactory
from trials.models import StudySiteStatus, SubjectStatus, SubjectVisitStatus

AS_OF = dt.date(2026, 6, 30)
END = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)  # the first instant after AS_OF


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def enrolling(study, site=None, target: int = 10, **fields):
    extra = {"site": site} if site is not None else {}
    return StudySiteFactory(
        study=study, status=StudySiteStatus.ENROLLING, enrollment_target=target, **extra, **fields
    )


def enrolled(study_site, on: dt.date, status: str = SubjectStatus.ENROLLED):
    screened = on - dt.timedelta(days=7)
    return SubjectFactory(
        study_site=study_site,
        status=status,
        screening_date=screened,
        consent_date=screened,
        enrollment_date=on,
    )


def screen_failed(study_site, screened: dt.date):
    return SubjectFactory(
        study_site=study_site,
        status=SubjectStatus.SCREEN_FAILED,
        screening_date=screened,
        consent_date=screened,
        status_reason="Did not meet inclusion criterion 3",
    )


def in_screening(study_site, screened: dt.date):
    return SubjectFactory(
        study_site=study_site,
        status=SubjectStatus.SCREENING,
        screening_date=screened,
        consent_date=screened,
    )


def visit(subject, *, target: dt.date, status=SubjectVisitStatus.SCHEDULED, actual=None, **kw):
    definition = VisitDefinitionFactory(study=subject.study_site.study)
    return SubjectVisitFactory(
        subject=subject,
        definition=definition,
        target_date=target,
        window_start=target - dt.timedelta(days=3),
        window_end=target + dt.timedelta(days=3),
        status=status,
        actual_date=actual,
        **kw,
    )


def query(subject, raised: dt.datetime, *, answers=(), resolved: dt.datetime | None = None):
    """A query raised at ``raised``, answered at each time in ``answers``, and closed at
    ``resolved`` (if given)."""
    status = DataQueryStatus.CLOSED if resolved else DataQueryStatus.OPEN
    if answers and not resolved:
        status = DataQueryStatus.ANSWERED
    data_query = DataQueryFactory(
        subject=subject, raised_at=raised, status=status, resolved_at=resolved
    )
    for when in answers:
        QueryMessageFactory(
            data_query=data_query,
            author=data_query.raised_by,
            action=DataQueryAction.ANSWER,
            from_status=DataQueryStatus.OPEN,
            to_status=DataQueryStatus.ANSWERED,
            created_at=when,
            text="Corrected in the EDC.",
        )
    if resolved:
        QueryMessageFactory(
            data_query=data_query,
            author=data_query.raised_by,
            action=DataQueryAction.CLOSE,
            from_status=DataQueryStatus.ANSWERED,
            to_status=DataQueryStatus.CLOSED,
            created_at=resolved,
        )
    return data_query


def sae(subject, aware: dt.datetime, *, reported: dt.datetime | None = None, **fields):
    reporter = UserFactory() if reported else None
    return SeriousAdverseEventFactory(
        subject=subject,
        awareness_at=aware,
        reported_at=reported,
        reported_by=reporter,
        status=AdverseEventStatus.REPORTED if reported else AdverseEventStatus.DRAFT,
        is_late=bool(reported and reported > aware + dt.timedelta(hours=24)),
        **fields,
    )


def requirement(study, code: str, **fields):
    return DocumentRequirementFactory(study=study, document_type=document_type(code), **fields)


def approved_document(study_site, req, *, expires_on=None, person=None):
    document = DocumentFactory(study_site=study_site, requirement=req, person=person)
    version_add(
        document,
        version_number=1,
        status=ReviewStatus.APPROVED,
        reviewed_at=timezone.now(),
        reviewed_by=UserFactory(),
        expires_on=expires_on,
    )
    return document


def action_item(study_site, raised_by, *, due: dt.date, closed: dt.datetime | None = None, **kw):
    fields = {}
    if closed:
        fields = {
            "status": ActionItemStatus.CLOSED,
            "resolution_note": "Done.",
            "resolved_at": closed,
            "closed_at": closed,
        }
    return ActionItemFactory(
        study_site=study_site,
        raised_by=raised_by,
        due_date=due,
        owner=kw.pop("owner", ActionItemOwner.SITE),
        **fields,
        **kw,
    )


def paid_visit(study_site, *, visit_on: dt.date, paid_on: dt.date | None, run_status=None):
    """A subject-visit earning on ``visit_on``, in a payment run paid on ``paid_on`` (or a run
    in ``run_status`` that is not paid)."""
    earning = EarningFactory(study_site=study_site, kind=EarningKind.VISIT, event_date=visit_on)
    status = run_status or PaymentRunStatus.PAID
    run = PaymentRunFactory(
        study_site=study_site,
        status=status,
        payment_date=paid_on if status == PaymentRunStatus.PAID else None,
        payment_reference="WIRE-1" if status == PaymentRunStatus.PAID else "",
    )
    PaymentRunLine.objects.create(
        run=run,
        earning=earning,
        description=earning.description,
        event_date=visit_on,
        gross=Decimal("100.00"),
        holdback=Decimal("10.00"),
        net=Decimal("90.00"),
        currency="USD",
    )
    return earning


def busy_study_site(study, site=None, *, raised_by, base: dt.date = AS_OF):
    """A study-site with a little of everything before ``base``, so every measure has a value
    (for query budgets: an N+1 would show)."""
    study_site = enrolling(study, site)
    first = enrolled(study_site, base - dt.timedelta(days=60))
    enrolled(study_site, base - dt.timedelta(days=40))
    screen_failed(study_site, base - dt.timedelta(days=50))
    visit(
        first,
        target=base - dt.timedelta(days=30),
        status=SubjectVisitStatus.COMPLETED,
        actual=base - dt.timedelta(days=20),
        out_of_window=True,
    )
    query(first, at(base - dt.timedelta(days=45)), answers=[at(base - dt.timedelta(days=43))])
    query(first, at(base - dt.timedelta(days=35)))
    sae(first, at(base - dt.timedelta(days=20)), reported=at(base - dt.timedelta(days=20), 15))
    action_item(
        study_site,
        raised_by,
        due=base - dt.timedelta(days=10),
        closed=at(base - dt.timedelta(days=12)),
    )
    paid_visit(
        study_site,
        visit_on=base - dt.timedelta(days=50),
        paid_on=base - dt.timedelta(days=5),
    )
    return study_site
