import pytest

from trials import access


@pytest.mark.django_db
def test_site_coordinator_sees_only_their_study_sites(tenant, other_tenant):
    visible = set(access.visible_study_sites(tenant.coordinator))
    assert visible == {tenant.study_site}
