"""The team page, invitations end to end, switching organization, and the admin."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, InvitationStatus, Membership, Role, User
from accounts.selectors import SESSION_ORGANIZATION_KEY
from tests.factories import (
    PASSWORD,
    CROFactory,
    MembershipFactory,
    SiteProfileFactory,
    member,
)

MEMBERS = "/organization/members/"
NEW_PASSWORD = "tidal-quartz-meadow-81"


def invite_through_the_page(client, admin, email, role, capture):
    client.force_login(admin)
    with capture(execute=True):
        response = client.post(MEMBERS, {"email": email, "role": role})
    return response


def link_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/invitations/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def make_invitation(tenant, email="new.person@example.test", role=Role.CRA):
    return services.invitation_create(
        actor=tenant.cro_admin, organization=tenant.cro, email=email, role=role
    )


# --- invitation flow, end to end -------------------------------------------------------


@pytest.mark.django_db
def test_invitation_end_to_end_new_person(client, tenant, django_capture_on_commit_callbacks):
    response = invite_through_the_page(
        client,
        tenant.cro_admin,
        "noor@example.test",
        Role.REGULATORY,
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    assert response.url == MEMBERS
    page = client.get(MEMBERS).content.decode()
    assert "Invitation sent to noor@example.test." in page
    assert "noor@example.test" in page.split("Pending invitations")[1]

    assert len(mail.outbox) == 1
    path = link_path(mail.outbox[0])
    visitor = client.__class__()
    landing = visitor.get(path)
    assert landing.status_code == 200
    html = landing.content.decode()
    assert tenant.cro.name in html
    assert "Regulatory specialist" in html
    assert 'for="id_full_name"' in html and 'for="id_password1"' in html

    with django_capture_on_commit_callbacks(execute=True):
        done = visitor.post(
            path,
            {"full_name": "Noor Haddad", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    assert done.status_code == 302
    assert done.url == reverse("dashboard")
    user = User.objects.get(email="noor@example.test")
    assert Membership.objects.filter(
        user=user, organization=tenant.cro, role=Role.REGULATORY, is_active=True
    ).exists()
    assert visitor.session["_auth_user_id"] == str(user.pk)
    assert visitor.session[SESSION_ORGANIZATION_KEY] == tenant.cro.pk
    # The inviter hears about it.
    assert any(m.to == [tenant.cro_admin.email] and "Noor Haddad" in m.subject for m in mail.outbox)

    # The link works once.
    again = client.__class__().get(path)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()


@pytest.mark.django_db
def test_second_use_of_a_link_changes_nothing(client, tenant):
    invitation = make_invitation(tenant)
    client.post(
        f"/invitations/{invitation.token}/",
        {"full_name": "First", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    other = client.__class__()
    response = other.post(
        f"/invitations/{invitation.token}/",
        {"full_name": "Second", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 410
    assert User.objects.get(email=invitation.email).full_name == "First"
    assert "_auth_user_id" not in other.session


@pytest.mark.django_db
def test_expired_link_is_refused(client, tenant):
    invitation = make_invitation(tenant)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    page = client.get(f"/invitations/{invitation.token}/")
    assert page.status_code == 410
    assert "This invitation has expired." in page.content.decode()
    response = client.post(
        f"/invitations/{invitation.token}/",
        {"full_name": "Late", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 410
    assert not User.objects.filter(email=invitation.email).exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


@pytest.mark.django_db
def test_revoked_link_is_refused(client, tenant):
    invitation = make_invitation(tenant)
    services.invitation_revoke(actor=tenant.cro_admin, invitation=invitation)
    response = client.post(
        f"/invitations/{invitation.token}/",
        {"full_name": "Nope", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
    assert not User.objects.filter(email=invitation.email).exists()


@pytest.mark.django_db
def test_unknown_token_is_a_404(client, db):
    assert client.get("/invitations/not-a-real-token/").status_code == 404


@pytest.mark.django_db
def test_account_form_errors_sit_next_to_the_fields_and_keep_the_name(client, tenant):
    invitation = make_invitation(tenant)
    path = f"/invitations/{invitation.token}/"
    mismatch = client.post(
        path, {"full_name": "Ana Lima", "password1": NEW_PASSWORD, "password2": "different-1"}
    )
    assert mismatch.status_code == 200
    html = mismatch.content.decode()
    assert "The two passwords do not match." in html
    assert 'value="Ana Lima"' in html
    weak = client.post(path, {"full_name": "Ana Lima", "password1": "12345", "password2": "12345"})
    html = weak.content.decode()
    assert "This password is too short." in html
    assert html.index("This password is too short.") > html.index('id="id_password1"')
    assert not User.objects.filter(email=invitation.email).exists()


@pytest.mark.django_db
def test_existing_account_is_asked_to_sign_in_first(client, tenant, other_tenant):
    invitation = make_invitation(tenant, email=other_tenant.pm.email)
    path = f"/invitations/{invitation.token}/"
    response = client.get(path)
    html = response.content.decode()
    assert "Sign in first" in html
    assert f"{reverse('account_login')}?next=/invitations/{invitation.token}/" in html
    assert 'name="password1"' not in html
    client.post(path, {"full_name": "X", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert not Membership.objects.filter(user=other_tenant.pm, organization=tenant.cro).exists()


@pytest.mark.django_db
def test_signed_in_invitee_accepts_with_one_button(client, tenant, other_tenant):
    invitation = make_invitation(tenant, email=other_tenant.pm.email, role=Role.FINANCE)
    path = f"/invitations/{invitation.token}/"
    client.force_login(other_tenant.pm)
    page = client.get(path).content.decode()
    assert f"Accept and join {tenant.cro.name}" in page
    response = client.post(path)
    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert Membership.objects.filter(
        user=other_tenant.pm, organization=tenant.cro, role=Role.FINANCE
    ).exists()
    assert client.session[SESSION_ORGANIZATION_KEY] == tenant.cro.pk


@pytest.mark.django_db
def test_signed_in_as_someone_else_cannot_accept(client, tenant):
    invitation = make_invitation(tenant)
    client.force_login(tenant.pm)
    path = f"/invitations/{invitation.token}/"
    page = client.get(path).content.decode()
    assert f"This invitation is for <strong>{invitation.email}</strong>" in page
    client.post(path)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not Membership.objects.filter(user=tenant.pm, role=Role.CRA).exists()


# --- team page -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_members_page_lists_only_the_own_organization(client, tenant, other_tenant):
    client.force_login(tenant.cra)
    response = client.get(MEMBERS)
    assert response.status_code == 200
    html = response.content.decode()
    for person in [tenant.pm, tenant.cra, tenant.finance, tenant.cro_admin]:
        assert person.email in html
    for person in [tenant.coordinator, other_tenant.pm, other_tenant.cra, other_tenant.cro_admin]:
        assert person.email not in html
    assert "Project manager" in html and "CRO administrator" in html


@pytest.mark.django_db
def test_non_admin_sees_no_invite_form_and_cannot_post(client, tenant):
    client.force_login(tenant.pm)
    html = client.get(MEMBERS).content.decode()
    assert "Invite someone" not in html
    assert "Pending invitations" not in html
    for data in [{"email": "sneaky@example.test", "role": Role.CRA}, {"email": "", "role": ""}]:
        response = client.post(MEMBERS, data)
        assert response.status_code == 403
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_role_not_valid_for_the_organization_kind_is_a_form_error(client, tenant):
    client.force_login(tenant.cro_admin)
    form_html = client.get(MEMBERS).content.decode()
    assert 'value="coordinator"' not in form_html
    assert 'value="cra"' in form_html
    response = client.post(MEMBERS, {"email": "wrong.kind@example.test", "role": Role.COORDINATOR})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a valid choice." in html
    assert 'value="wrong.kind@example.test"' in html
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_service_refusal_shows_next_to_the_email(client, tenant):
    client.force_login(tenant.cro_admin)
    response = client.post(MEMBERS, {"email": tenant.cra.email, "role": Role.CRA})
    assert response.status_code == 200
    assert "Already a member with this role." in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_site_admin_invites_into_the_site(client, tenant, django_capture_on_commit_callbacks):
    client.force_login(tenant.site_admin)
    html = client.get(MEMBERS).content.decode()
    assert 'value="investigator"' in html and 'value="cra"' not in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(MEMBERS, {"email": "sub-i@example.test", "role": Role.INVESTIGATOR})
    invitation = Invitation.objects.get()
    assert (invitation.organization, invitation.role) == (tenant.site, Role.INVESTIGATOR)
    assert mail.outbox[0].to == ["sub-i@example.test"]


@pytest.mark.django_db
def test_htmx_invite_swaps_the_invitations_panel(
    client, tenant, django_capture_on_commit_callbacks
):
    client.force_login(tenant.cro_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            MEMBERS, {"email": "quick@example.test", "role": Role.SAFETY}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="invitations">')
    assert "<html" not in html
    assert "Invitation sent to quick@example.test." in html
    assert "quick@example.test" in html.split("Pending invitations")[1]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_revoke_without_javascript(client, tenant):
    invitation = make_invitation(tenant)
    client.force_login(tenant.cro_admin)
    response = client.post(f"/organization/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    html = client.get(MEMBERS).content.decode()
    assert f"The invitation for {invitation.email} was revoked." in html
    assert "No pending invitations." in html


@pytest.mark.django_db
def test_htmx_revoke_swaps_the_row(client, tenant):
    invitation = make_invitation(tenant)
    client.force_login(tenant.cro_admin)
    response = client.post(
        f"/organization/invitations/{invitation.pk}/revoke/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith(f'<tr id="invitation-{invitation.pk}">')
    assert "Revoked" in html
    assert "btn-outline-danger" not in html
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED


@pytest.mark.django_db
def test_revoking_another_organizations_invitation_is_a_404(client, tenant, other_tenant):
    invitation = make_invitation(tenant)
    client.force_login(other_tenant.cro_admin)
    response = client.post(f"/organization/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


@pytest.mark.django_db
def test_non_admin_member_cannot_revoke(client, tenant):
    invitation = make_invitation(tenant)
    client.force_login(tenant.cra)
    response = client.post(f"/organization/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


@pytest.mark.django_db
def test_team_pages_need_sign_in(client, db):
    response = client.get(MEMBERS)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def _members_page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(MEMBERS).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_members_page_query_count_does_not_grow_with_the_team(
    client, django_assert_max_num_queries
):
    cro = CROFactory()
    admin = member(cro, Role.ADMIN)
    for _ in range(2):
        member(cro, Role.CRA)
    for n in range(3):
        services.invitation_create(
            actor=admin, organization=cro, email=f"p{n}@example.test", role=Role.CRA
        )
    client.force_login(admin)
    small = _members_page_queries(client)
    for _ in range(17):
        member(cro, Role.REGULATORY)
    for n in range(3, 20):
        services.invitation_create(
            actor=admin, organization=cro, email=f"p{n}@example.test", role=Role.CRA
        )
    assert Membership.objects.filter(organization=cro).count() == 20
    large = _members_page_queries(client)
    assert small == large
    with django_assert_max_num_queries(10):
        client.get(MEMBERS)


# --- switching organization ----------------------------------------------------------------


@pytest.mark.django_db
def test_switch_organization(client, tenant, other_tenant):
    MembershipFactory(user=tenant.pm, organization=other_tenant.site, role=Role.COORDINATOR)
    client.force_login(tenant.pm)
    response = client.post("/organization/switch/", {"organization": other_tenant.site.pk})
    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert client.session[SESSION_ORGANIZATION_KEY] == other_tenant.site.pk
    html = client.get(MEMBERS).content.decode()
    assert f"{other_tenant.site.name} team" in html
    assert other_tenant.coordinator.email in html
    assert tenant.cra.email not in html


@pytest.mark.django_db
def test_switch_to_an_organization_you_do_not_belong_to_is_a_404(client, tenant, other_tenant):
    client.force_login(tenant.pm)
    for value in [other_tenant.cro.pk, "nonsense", ""]:
        response = client.post("/organization/switch/", {"organization": value})
        assert response.status_code == 404
    assert SESSION_ORGANIZATION_KEY not in client.session
    assert client.get("/organization/switch/").status_code == 405


# --- admin ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_pages_render(client, tenant):
    staff = User.objects.create_superuser(
        email="root@example.test", password=PASSWORD, full_name="Root"
    )
    client.force_login(staff)
    invitation = make_invitation(tenant)
    profile = SiteProfileFactory(organization=tenant.site)
    membership = Membership.objects.filter(user=tenant.cra).first()
    pages = [
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        f"/admin/accounts/user/{tenant.cra.pk}/change/",
        "/admin/accounts/organization/",
        f"/admin/accounts/organization/{tenant.cro.pk}/change/",
        "/admin/accounts/membership/",
        f"/admin/accounts/membership/{membership.pk}/change/",
        "/admin/accounts/invitation/",
        f"/admin/accounts/invitation/{invitation.pk}/change/",
        "/admin/research_sites/siteprofile/",
        f"/admin/research_sites/siteprofile/{profile.pk}/change/",
    ]
    for page in pages:
        assert client.get(page).status_code == 200, page
    change = client.get(f"/admin/accounts/invitation/{invitation.pk}/change/").content.decode()
    assert invitation.token in change
    assert 'name="token"' not in change
    assert client.get("/admin/accounts/invitation/add/").status_code == 403


@pytest.mark.django_db
def test_admin_creates_a_user_by_email(client, db):
    staff = User.objects.create_superuser(
        email="root@example.test", password=PASSWORD, full_name="Root"
    )
    client.force_login(staff)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "support.made@example.test",
            "full_name": "Made By Support",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(email="support.made@example.test").check_password(NEW_PASSWORD)
