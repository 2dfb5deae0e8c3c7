"""Invitation rules (accounts/services.py) and the reads behind the team page."""

from datetime import timedelta

import pytest
from django.core import mail
from django.http import Http404
from django.utils import timezone

from accounts import selectors, services
from accounts.models import Invitation, InvitationStatus, Membership, Role, User
from core.exceptions import ApplicationError, PermissionDenied
from core.models import Notification
from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "tidal-quartz-meadow-81"


def invite(tenant, email="new.cra@example.test", role=Role.CRA, **kwargs):
    return services.invitation_create(
        actor=kwargs.pop("actor", tenant.cro_admin),
        organization=kwargs.pop("organization", tenant.cro),
        email=email,
        role=role,
    )


@pytest.mark.django_db
def test_admin_invites_and_the_email_carries_the_link(tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(tenant, email="  New.CRA@Example.test ")
    assert invitation.email == "new.cra@example.test"
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.cra@example.test"]
    assert tenant.cro.name in message.subject
    assert f"/invitations/{invitation.token}/" in message.body
    assert "CRA" in message.body


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["pm", "cra", "coordinator", "sponsor_viewer"])
def test_only_an_admin_of_the_organization_invites(tenant, who):
    organization = tenant.site if who == "coordinator" else tenant.cro
    role = Role.COORDINATOR if who == "coordinator" else Role.CRA
    if who == "sponsor_viewer":
        organization, role = tenant.sponsor, Role.VIEWER
    with pytest.raises(PermissionDenied):
        invite(tenant, actor=getattr(tenant, who), organization=organization, role=role)
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_an_admin_cannot_invite_into_another_organization(tenant, other_tenant):
    with pytest.raises(PermissionDenied):
        invite(tenant, organization=other_tenant.cro)
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_site_admin_invites_site_roles_only(tenant):
    invitation = invite(
        tenant, actor=tenant.site_admin, organization=tenant.site, role=Role.INVESTIGATOR
    )
    assert invitation.organization == tenant.site
    with pytest.raises(ApplicationError) as error:
        invite(
            tenant,
            email="x@example.test",
            actor=tenant.site_admin,
            organization=tenant.site,
            role=Role.CRA,
        )
    assert "role" in error.value.fields
    assert Invitation.objects.count() == 1


@pytest.mark.django_db
def test_bad_email_is_refused_with_a_field_message(tenant):
    with pytest.raises(ApplicationError) as error:
        invite(tenant, email="not-an-email")
    assert error.value.fields == {"email": ["Enter a valid email address."]}


@pytest.mark.django_db
def test_existing_member_with_the_same_role_is_not_invited_again(tenant):
    with pytest.raises(ApplicationError) as error:
        invite(tenant, email=tenant.cra.email, role=Role.CRA)
    assert "email" in error.value.fields
    # A different role is a new invitation.
    assert invite(tenant, email=tenant.cra.email, role=Role.REGULATORY).role == Role.REGULATORY


@pytest.mark.django_db
def test_a_second_pending_invitation_for_the_same_role_is_refused(tenant):
    first = invite(tenant)
    with pytest.raises(ApplicationError):
        invite(tenant)
    services.invitation_revoke(actor=tenant.cro_admin, invitation=first)
    assert invite(tenant).status == InvitationStatus.PENDING


@pytest.mark.django_db
def test_revoke_needs_an_admin_and_a_pending_invitation(tenant):
    invitation = invite(tenant)
    with pytest.raises(PermissionDenied):
        services.invitation_revoke(actor=tenant.pm, invitation=invitation)
    revoked = services.invitation_revoke(actor=tenant.cro_admin, invitation=invitation)
    assert revoked.status == InvitationStatus.REVOKED
    with pytest.raises(ApplicationError):
        services.invitation_revoke(actor=tenant.cro_admin, invitation=invitation)


@pytest.mark.django_db
def test_accept_creates_the_account_and_membership_and_tells_the_inviter(tenant):
    invitation = invite(tenant)
    membership = services.invitation_accept(
        invitation=invitation, full_name="Noor Haddad", password=NEW_PASSWORD
    )
    user = User.objects.get(email="new.cra@example.test")
    assert membership.user == user
    assert (membership.organization, membership.role) == (tenant.cro, Role.CRA)
    assert user.full_name == "Noor Haddad"
    assert user.check_password(NEW_PASSWORD)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.accepted_by == user
    assert Notification.objects.filter(
        recipient=tenant.cro_admin, kind="invitation.accepted"
    ).exists()


@pytest.mark.django_db
def test_accept_checks_name_and_password_strength_and_saves_nothing(tenant):
    invitation = invite(tenant)
    with pytest.raises(ApplicationError) as error:
        services.invitation_accept(invitation=invitation, full_name=" ", password="12345")
    assert set(error.value.fields) == {"full_name", "password"}
    assert not User.objects.filter(email=invitation.email).exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


@pytest.mark.django_db
def test_signed_in_user_with_the_invited_email_joins_with_their_account(tenant, other_tenant):
    invitation = invite(tenant, email=other_tenant.cra.email)
    membership = services.invitation_accept(invitation=invitation, user=other_tenant.cra)
    assert membership.user == other_tenant.cra
    assert other_tenant.cra.check_password(PASSWORD)
    assert set(selectors.organization_roles(User.objects.get(pk=other_tenant.cra.pk))) == {
        tenant.cro.pk,
        other_tenant.cro.pk,
    }


@pytest.mark.django_db
def test_accept_refuses_another_signed_in_account(tenant):
    invitation = invite(tenant)
    with pytest.raises(ApplicationError):
        services.invitation_accept(invitation=invitation, user=tenant.pm)
    assert not Membership.objects.filter(user=tenant.pm, role=Role.CRA).exists()


@pytest.mark.django_db
def test_anonymous_accept_for_an_existing_account_asks_to_sign_in(tenant):
    person = UserFactory(email="known@example.test")
    invitation = invite(tenant, email=person.email)
    with pytest.raises(ApplicationError, match="sign in first"):
        services.invitation_accept(invitation=invitation, full_name="X", password=NEW_PASSWORD)
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


@pytest.mark.django_db
def test_expired_used_and_revoked_invitations_are_refused(tenant):
    expired = invite(tenant, email="late@example.test")
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    used = invite(tenant, email="used@example.test")
    services.invitation_accept(invitation=used, full_name="Used Once", password=NEW_PASSWORD)
    revoked = services.invitation_revoke(
        actor=tenant.cro_admin, invitation=invite(tenant, email="gone@example.test")
    )
    for invitation, reason in [(expired, "expired"), (used, "already"), (revoked, "revoked")]:
        with pytest.raises(ApplicationError, match=reason):
            services.invitation_accept(
                invitation=invitation, full_name="Some One", password=NEW_PASSWORD
            )
    assert not User.objects.filter(email__in=["late@example.test", "gone@example.test"]).exists()


@pytest.mark.django_db
def test_member_list_and_invitations_are_the_actors_organizations_only(tenant, other_tenant):
    invite(tenant)
    members = selectors.organization_member_list(actor=tenant.cra, organization=tenant.cro)
    assert {m.user for m in members} == {tenant.pm, tenant.cra, tenant.finance, tenant.cro_admin}
    assert not selectors.organization_member_list(actor=tenant.cra, organization=other_tenant.cro)
    assert selectors.invitation_list(actor=tenant.cro_admin, organization=tenant.cro).count() == 1
    assert not selectors.invitation_list(actor=other_tenant.cro_admin, organization=tenant.cro)


@pytest.mark.django_db
def test_invitation_get_is_a_404_outside_the_actors_organizations(tenant, other_tenant):
    invitation = invite(tenant)
    assert selectors.invitation_get(actor=tenant.pm, invitation_id=invitation.pk) == invitation
    with pytest.raises(Http404):
        selectors.invitation_get(actor=other_tenant.cro_admin, invitation_id=invitation.pk)


@pytest.mark.django_db
def test_only_admin_roles_manage_members(tenant):
    assert selectors.can_manage_members(actor=tenant.cro_admin, organization=tenant.cro)
    assert selectors.can_manage_members(actor=tenant.site_admin, organization=tenant.site)
    assert not selectors.can_manage_members(actor=tenant.pm, organization=tenant.cro)
    assert not selectors.can_manage_members(actor=tenant.cro_admin, organization=tenant.site)
