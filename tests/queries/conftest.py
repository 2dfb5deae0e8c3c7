import pytest

from accounts.models import Role
from queries import services
from tests.factories import member


@pytest.fixture
def data_manager(tenant):
    return member(tenant.cro, Role.DATA_MANAGER, full_name="Alpha Data Manager")


@pytest.fixture
def query(tenant):
    """An open query raised by the tenant's assigned CRA on its subject's screening visit."""
    return services.data_query_raise(
        actor=tenant.cra,
        subject=tenant.subject,
        subject_visit=tenant.subject_visit,
        form_name="Vital signs",
        field_name="Systolic BP",
        text="Systolic BP 310 looks like a typo; please check the source.",
    )
