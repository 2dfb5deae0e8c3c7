import datetime as dt

import pytest

from accounts.models import Role
from tests.factories import member
from tests.factories.payments import budget_for


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def approver(tenant):
    return member(tenant.cro, Role.FINANCE_APPROVER, full_name="Alpha Approver")


@pytest.fixture
def approver2(tenant):
    return member(tenant.cro, Role.FINANCE_APPROVER, full_name="Alpha Second Approver")


@pytest.fixture
def budget(tenant):
    """Version 1 of the Alpha study-site's budget: 400.00 per visit, 10 % holdback."""
    return budget_for(
        tenant.study_site, created_by=tenant.finance, effective_date=dt.date(2025, 1, 1)
    )
