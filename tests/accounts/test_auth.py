"""Sign-in, password reset and two-factor pages (django-allauth) inside our layout."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.urls import reverse

from accounts.models import Role
from tests.factories import PASSWORD, CROFactory, UserFactory, member

LAYOUT_MARK = 'class="navbar navbar-expand-lg navbar-dark tb-navbar"'
BOOTSTRAP = "bootstrap/css/bootstrap.min.css"


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # ACCOUNT_RATE_LIMITS = {} keeps allauth's defaults (False turns them off); the counters
    # live in the shared Redis cache, so a whole-suite run would otherwise hit "too many
    # failed logins" here.
    settings.ACCOUNT_RATE_LIMITS = False


def sign_in(client, user, password=PASSWORD):
    """Sign in through allauth's own view (which also records a recent authentication)."""
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


def confirm_password(client, password=PASSWORD):
    """allauth asks for the password again before two-factor settings change."""
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302
    return response


def assert_our_layout(response):
    html = response.content.decode()
    assert LAYOUT_MARK in html
    assert BOOTSTRAP in html
    return html


@pytest.fixture
def person(db):
    return member(CROFactory(name="Helix CRO"), Role.CRA, full_name="Casey Reyes")


@pytest.mark.django_db
def test_sign_in_page_uses_our_layout_with_labelled_fields_and_no_sign_up_offer(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    html = assert_our_layout(response)
    assert '<label class="form-label" for="id_login">' in html
    assert '<label class="form-label" for="id_password">' in html
    assert 'class="form-control' in html
    assert "sign up" not in html.lower()
    assert "ask your organization's administrator" in html
    assert reverse("account_reset_password") in html


@pytest.mark.django_db
def test_email_and_password_sign_in_lands_on_the_dashboard(client, person):
    response = sign_in(client, person)
    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert client.get(reverse("dashboard")).wsgi_request.user == person


@pytest.mark.django_db
def test_email_is_matched_case_insensitively(client, person):
    response = client.post(
        reverse("account_login"), {"login": person.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_wrong_password_shows_an_error_and_keeps_the_email(client, person):
    response = sign_in(client, person, password="not-the-password")
    assert response.status_code == 200
    html = assert_our_layout(response)
    assert 'class="alert alert-danger"' in html
    assert "email address and/or password you specified are not correct" in html
    assert f'value="{person.email}"' in html
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_sign_out_page_renders_and_signs_out(client, person):
    client.force_login(person)
    page = client.get(reverse("account_logout"))
    assert page.status_code == 200
    assert "Are you sure you want to sign out?" in assert_our_layout(page)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_reset_by_email_end_to_end(client, person):
    page = client.get(reverse("account_reset_password"))
    assert page.status_code == 200
    assert '<label class="form-label" for="id_email">' in assert_our_layout(page)

    response = client.post(reverse("account_reset_password"), {"email": person.email})
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")
    done = client.get(response.url)
    assert done.status_code == 200
    assert "We have sent you an email" in assert_our_layout(done)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [person.email]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    key_page = client.get(link.group(1), follow=True)
    assert key_page.status_code == 200
    html = assert_our_layout(key_page)
    assert '<label class="form-label" for="id_password1">' in html
    new_password = "a-much-better-passphrase-42"
    changed = client.post(
        key_page.redirect_chain[-1][0] if key_page.redirect_chain else link.group(1),
        {"password1": new_password, "password2": new_password},
        follow=True,
    )
    assert changed.status_code == 200
    assert "Your password is now changed." in assert_our_layout(changed)
    person.refresh_from_db()
    assert person.check_password(new_password)


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_sends_no_reset_link(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert all("/password/reset/key/" not in message.body for message in mail.outbox)


@pytest.mark.django_db
def test_bad_reset_link_says_so(client):
    response = client.get("/accounts/password/reset/key/zz-set-password/")
    assert response.status_code == 200
    assert "Bad Token" in assert_our_layout(response)


@pytest.mark.django_db
def test_password_change_shows_errors_next_to_the_fields(client, person):
    client.force_login(person)
    page = client.get(reverse("account_change_password"))
    assert page.status_code == 200
    assert '<label class="form-label" for="id_oldpassword">' in assert_our_layout(page)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": "short", "password2": "short"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_oldpassword_errors"' in html
    assert "Please type your current password." in html
    assert 'aria-invalid="true"' in html
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


@pytest.mark.django_db
def test_two_factor_index_renders_for_a_signed_in_user(client, person):
    client.force_login(person)
    response = client.get(reverse("mfa_index"))
    assert response.status_code == 200
    html = assert_our_layout(response)
    assert "Authenticator App" in html
    assert "An authenticator app is not active." in html
    assert reverse("mfa_activate_totp") in html


@pytest.mark.django_db
def test_activating_totp_asks_for_the_password_again_first(client, person):
    sign_in(client, person)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    page = client.get(response.url)
    assert page.status_code == 200
    html = assert_our_layout(page)
    assert "Confirm Access" in html
    assert '<label class="form-label" for="id_password">' in html
    wrong = client.post(reverse("account_reauthenticate"), {"password": "nope"})
    assert wrong.status_code == 200
    assert 'id="id_password_errors"' in wrong.content.decode()
    confirm_password(client)
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


@pytest.mark.django_db
def test_totp_activation_page_shows_the_qr_code_allowed_by_the_csp(client, person):
    sign_in(client, person)
    confirm_password(client)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    html = assert_our_layout(response)
    assert 'src="data:image/svg+xml;base64,' in html
    assert 'alt="QR code to scan with your authenticator app"' in html
    assert 'id="authenticator_secret"' in html
    assert '<label class="form-label" for="id_code">' in html
    policy = response.headers["Content-Security-Policy"]
    img_src = next(part for part in policy.split(";") if part.strip().startswith("img-src"))
    assert "data:" in img_src.split()


@pytest.mark.django_db
def test_totp_activation_with_a_wrong_code_shows_the_error(client, person):
    sign_in(client, person)
    confirm_password(client)
    client.get(reverse("mfa_activate_totp"))
    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_code_errors"' in html
    assert "Incorrect code." in html
    assert not Authenticator.objects.filter(user=person).exists()


@pytest.fixture
def protected(person):
    """A person with an authenticator app and recovery codes."""
    TOTP.activate(person, generate_totp_secret())
    RecoveryCodes.activate(person)
    return person


@pytest.mark.django_db
def test_sign_in_with_two_factor_asks_for_a_code_in_our_layout(client, protected):
    response = sign_in(client, protected)
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    page = client.get(response.url)
    assert page.status_code == 200
    html = assert_our_layout(page)
    assert "Please enter an authenticator code" in html
    assert '<label class="form-label" for="id_code">' in html
    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert wrong.status_code == 200
    assert 'id="id_code_errors"' in wrong.content.decode()
    assert "_auth_user_id" not in client.session


def complete_with_recovery_code(client, user):
    codes = RecoveryCodes(Authenticator.objects.get(user=user, type="recovery_codes"))
    return client.post(reverse("mfa_authenticate"), {"code": codes.get_unused_codes()[0]})


@pytest.mark.django_db
def test_recovery_code_completes_a_two_factor_sign_in(client, protected):
    sign_in(client, protected)
    response = complete_with_recovery_code(client, protected)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(protected.pk)


@pytest.mark.django_db
def test_two_factor_management_pages_render(client, protected):
    sign_in(client, protected)
    complete_with_recovery_code(client, protected)
    confirm_password(client)
    index = client.get(reverse("mfa_index"))
    assert "Authentication using an authenticator app is active." in assert_our_layout(index)
    for name, text in [
        ("mfa_deactivate_totp", "Deactivate Authenticator App"),
        ("mfa_view_recovery_codes", "Unused codes"),
        ("mfa_generate_recovery_codes", "generate a new set of recovery codes"),
    ]:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert text in assert_our_layout(response), name


@pytest.mark.django_db
def test_deactivating_totp_removes_the_authenticator(client, protected):
    sign_in(client, protected)
    complete_with_recovery_code(client, protected)
    confirm_password(client)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=protected, type="totp").exists()


@pytest.mark.django_db
def test_account_pages_need_a_signed_in_user(client):
    for name in ["mfa_index", "account_change_password"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


@pytest.mark.django_db
def test_public_sign_up_is_closed(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "walk-in@example.test", "password1": "x" * 12, "password2": "x" * 12},
    )
    assert "Sign Up Closed" in response.content.decode()
    assert not UserFactory._meta.model.objects.filter(email="walk-in@example.test").exists()
