import pytest

from core.exceptions import ApplicationError, PermissionDenied
from sites.models import SiteProfile
from sites.services import site_profile_update


@pytest.mark.django_db
def test_coordinator_edits_the_profile_from_the_page(client, tenant):
    client.force_login(tenant.coordinator)
    response = client.post(
        "/organization/profile/",
        {
            "address_line": "1 Lake Road",
            "city": "Madison",
            "region": "WI",
            "postal_code": "53703",
            "phone": "+1 608 555 0100",
            "therapeutic_areas": "Cardiology, Oncology , ",
            "capabilities": ["pharmacy", "local_lab"],
            "staff_count": "12",
            "patient_population": "40000",
        },
    )
    assert response.status_code == 302
    profile = SiteProfile.objects.get(organization=tenant.site)
    assert profile.therapeutic_areas == ["Cardiology", "Oncology"]
    assert profile.capabilities == ["pharmacy", "local_lab"]
    page = client.get("/organization/profile/").content.decode()
    assert "Investigational pharmacy" in page
    assert "Madison" in page


@pytest.mark.django_db
def test_bad_input_is_shown_next_to_the_field_and_kept(client, tenant):
    client.force_login(tenant.coordinator)
    response = client.post(
        "/organization/profile/",
        {"city": "Typed city", "staff_count": "-3", "patient_population": "10"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Typed city" in page
    assert "greater than or equal to 0" in page
    assert not SiteProfile.objects.filter(organization=tenant.site).exists()


@pytest.mark.django_db
def test_investigators_read_but_do_not_edit(client, tenant):
    client.force_login(tenant.investigator)
    page = client.get("/organization/profile/").content.decode()
    assert "Save profile" not in page
    response = client.post(
        "/organization/profile/", {"staff_count": "1", "patient_population": "1"}
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_cro_users_have_no_site_profile_page(client, tenant):
    client.force_login(tenant.pm)
    assert client.get("/organization/profile/").status_code == 403


@pytest.mark.django_db
def test_service_refuses_outsiders_and_unknown_capabilities(tenant, other_tenant):
    with pytest.raises(PermissionDenied):
        site_profile_update(actor=other_tenant.coordinator, organization=tenant.site, city="X")
    with pytest.raises(ApplicationError) as error:
        site_profile_update(
            actor=tenant.coordinator, organization=tenant.site, capabilities=["teleporter"]
        )
    assert "capabilities" in error.value.fields
