import datetime as dt

import pytest

from accounts.models import Role
from tests.factories import member

# A fixed "now" for clock tests: 2026-03-10 12:00 UTC.
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def safety_user(tenant):
    """The CRO's safety officer (role "safety")."""
    return member(tenant.cro, Role.SAFETY, full_name="Alpha Safety Officer")


def event_fields(**overrides) -> dict:
    """What a coordinator enters for a serious event aware 2 hours before NOW."""
    fields = {
        "term": "Pneumonia",
        "onset_date": dt.date(2026, 3, 9),
        "severity": "severe",
        "seriousness_criteria": ["hospitalization"],
        "relatedness": "possible",
        "outcome": "recovering",
        "awareness_at": NOW - dt.timedelta(hours=2),
        "description": "Admitted for IV antibiotics.",
    }
    fields.update(overrides)
    return fields
