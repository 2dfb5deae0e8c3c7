import time

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role
from tests.api.errors import error_of
from tests.factories import PASSWORD, MembershipFactory

TOKEN_URL = reverse("api_token")
STUDIES_URL = reverse("api_study-list")


def obtain(client: APIClient, email: str, password: str = PASSWORD, **extra):
    return client.post(TOKEN_URL, {"email": email, "password": password, **extra}, format="json")


@pytest.mark.django_db
def test_good_credentials_give_a_token_and_the_same_token_next_time(api_client, tenant):
    first = obtain(api_client, tenant.pm.email)
    second = obtain(api_client, tenant.pm.email.upper())

    assert first.status_code == 200
    assert first.json() == {"token": Token.objects.get(user=tenant.pm).key}
    assert second.json() == first.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "password"),
    [("alpha@nowhere.test", PASSWORD), (None, "not-the-password")],
    ids=["unknown-email", "wrong-password"],
)
def test_wrong_credentials_are_a_400_in_the_error_shape(api_client, tenant, email, password):
    response = obtain(api_client, email or tenant.pm.email, password)

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_credentials"
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_missing_password_names_the_field(api_client, tenant):
    response = api_client.post(TOKEN_URL, {"email": tenant.pm.email}, format="json")

    assert response.status_code == 400
    assert "password" in error_of(response)["fields"]


@pytest.mark.django_db
def test_token_requests_are_throttled_after_the_limit(api_client, tenant, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth_token": "3/min"},
    }
    for _ in range(3):
        assert obtain(api_client, tenant.pm.email, "guess-again-123").status_code == 400

    response = obtain(api_client, tenant.pm.email)

    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"
    assert not Token.objects.filter(user=tenant.pm).exists()


@pytest.mark.django_db
def test_the_token_authenticates_api_requests_until_revoked(api_client, tenant):
    token = obtain(api_client, tenant.pm.email).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    listed = client.get(STUDIES_URL)
    revoked = client.delete(TOKEN_URL)
    after = client.get(STUDIES_URL)

    assert listed.status_code == 200
    assert [row["protocol_number"] for row in listed.json()["results"]] == ["ALPHA-001"]
    assert revoked.status_code == 204
    assert not Token.objects.filter(user=tenant.pm).exists()
    assert after.status_code in (401, 403)
    error_of(after)


@pytest.mark.django_db
def test_anonymous_requests_are_refused_in_the_error_shape(api_client, tenant):
    response = api_client.get(STUDIES_URL)

    assert response.status_code in (401, 403)
    assert error_of(response)["code"] == "not_authenticated"


@pytest.mark.django_db
def test_two_factor_accounts_need_the_current_code(api_client, tenant, settings):
    settings.MFA_TOTP_TOLERANCE = 1  # a code generated at the end of a period still counts
    secret = generate_totp_secret()
    TOTP.activate(tenant.pm, secret)

    without_code = obtain(api_client, tenant.pm.email)
    wrong_code = obtain(api_client, tenant.pm.email, code="000000x")
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    with_code = obtain(api_client, tenant.pm.email, code=code)

    assert without_code.status_code == 400
    assert error_of(without_code)["code"] == "mfa_required"
    assert "code" in error_of(without_code)["fields"]
    assert wrong_code.status_code == 400
    assert error_of(wrong_code)["code"] == "mfa_invalid"
    assert with_code.status_code == 200
    assert with_code.json()["token"] == Token.objects.get(user=tenant.pm).key


@pytest.mark.django_db
def test_my_organizations_lists_each_organization_once_with_its_roles(api_client, tenant):
    MembershipFactory(user=tenant.cro_admin, organization=tenant.cro, role=Role.FINANCE)
    api_client.force_login(tenant.cro_admin)

    response = api_client.get(reverse("api_organizations_me"))

    assert response.status_code == 200
    assert response.json() == {
        "user": {
            "id": tenant.cro_admin.pk,
            "email": tenant.cro_admin.email,
            "full_name": "Alpha CRO Admin",
        },
        "memberships": [
            {
                "organization": {
                    "id": tenant.cro.pk,
                    "name": "Alpha CRO",
                    "kind": "cro",
                    "country": "US",
                },
                "roles": ["admin", "finance"],
            }
        ],
    }


@pytest.mark.django_db
def test_api_root_links_to_the_resources(api_client, tenant):
    api_client.force_login(tenant.coordinator)

    response = api_client.get(reverse("api_root"))

    assert response.status_code == 200
    assert response.json()["studies"] == "http://testserver/api/v1/studies/"
    assert response.json()["study_sites"] == "http://testserver/api/v1/study-sites/"
