"""Safety objects for the access sweep: one SAE of the tenant, submitted (so every action
route has something to refuse)."""

import datetime as dt

from safety.models import AdverseEvent, AdverseEventStatus
from tests.factories.safety import SeriousAdverseEventFactory


def _term(tenant) -> str:
    return f"{tenant.cro.name} sweep pneumonitis"


def _adverse_event_id(tenant) -> int:
    existing = AdverseEvent.objects.filter(subject=tenant.subject, term=_term(tenant)).first()
    if existing:
        return existing.pk
    return SeriousAdverseEventFactory(
        subject=tenant.subject,
        term=_term(tenant),
        recorded_by=tenant.coordinator,
        status=AdverseEventStatus.REPORTED,
        reported_at=dt.datetime(2026, 2, 2, 12, 0, tzinfo=dt.UTC),
        reported_by=tenant.coordinator,
    ).pk


OBJECT_KWARGS = {"adverse_event_id": _adverse_event_id}


def markers(tenant) -> list[str]:
    return [_term(tenant)]
