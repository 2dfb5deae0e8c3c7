"""Writes about people and organizations."""

import secrets
from datetime import timedelta

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import (
    ROLES_BY_KIND,
    Invitation,
    InvitationStatus,
    Membership,
    Organization,
    User,
)
from accounts.selectors import account_exists, can_manage_members
from core.exceptions import ApplicationError, PermissionDenied
from core.notifications import notify


def _require_org_admin(actor: User, organization: Organization) -> None:
    if not can_manage_members(actor=actor, organization=organization):
        raise PermissionDenied("Only an administrator of the organization can do this.")


def _clean_role(organization: Organization, role: str) -> str:
    if role not in ROLES_BY_KIND[organization.kind]:
        raise ApplicationError(
            "That role does not exist for this kind of organization.",
            fields={"role": [f"Choose one of: {', '.join(ROLES_BY_KIND[organization.kind])}."]},
        )
    return role


@transaction.atomic
def invitation_create(
    *, actor: User, organization: Organization, email: str, role: str
) -> Invitation:
    _require_org_admin(actor, organization)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ApplicationError(
            "Enter a valid email address.", fields={"email": ["Enter a valid email address."]}
        ) from exc
    _clean_role(organization, role)
    if Membership.objects.filter(
        organization=organization, user__email=email, role=role, is_active=True
    ).exists():
        raise ApplicationError(
            "This person already has that role here.",
            fields={"email": ["Already a member with this role."]},
        )
    if Invitation.objects.filter(
        organization=organization,
        email=email,
        role=role,
        status=InvitationStatus.PENDING,
        expires_at__gt=timezone.now(),
    ).exists():
        raise ApplicationError(
            "This person already has a pending invitation for that role.",
            fields={"email": ["Already invited with this role; revoke that invitation first."]},
        )
    invitation = Invitation.objects.create(
        email=email,
        organization=organization,
        role=role,
        token=secrets.token_urlsafe(32),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    from django.core.mail import send_mail

    link = settings.SITE_URL.rstrip("/") + reverse(
        "invitation_accept", kwargs={"token": invitation.token}
    )
    role_label = invitation.get_role_display()
    transaction.on_commit(
        lambda: send_mail(
            subject=f"[TrialBridge] {actor.printed_name} invites you to {organization.name}",
            message=(
                f"You are invited to join {organization.name} on TrialBridge as {role_label}.\n\n"
                f"Accept the invitation: {link}\n\n"
                f"The link expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC."
            ),
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _require_org_admin(actor, invitation.organization)
    if invitation.status != InvitationStatus.PENDING:
        raise ApplicationError("Only a pending invitation can be revoked.")
    invitation.status = InvitationStatus.REVOKED
    invitation.save(update_fields=["status"])
    return invitation


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    user: User | None = None,
    full_name: str = "",
    password: str = "",
) -> Membership:
    """Accept an invitation: join with the signed-in account (same email) or create one."""
    invitation = (
        Invitation.objects.select_for_update().select_related("organization").get(pk=invitation.pk)
    )
    if invitation.status != InvitationStatus.PENDING:
        raise ApplicationError("This invitation has already been used or was revoked.")
    if invitation.is_expired:
        raise ApplicationError("This invitation has expired; ask for a new one.")
    if user is not None and user.is_authenticated:
        if user.email.lower() != invitation.email:
            raise ApplicationError(
                f"This invitation is for {invitation.email}; sign out and open the link again."
            )
    else:
        if account_exists(email=invitation.email):
            raise ApplicationError(
                "An account with this email exists: sign in first, then open the link again."
            )
        errors: dict[str, list[str]] = {}
        if not full_name.strip():
            errors["full_name"] = ["Enter your full name as it should appear on signatures."]
        candidate = User(email=invitation.email, full_name=full_name.strip())
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
        if errors:
            raise ApplicationError("Please correct the fields below.", fields=errors)
        user = User.objects.create_user(
            email=invitation.email, password=password, full_name=full_name.strip()
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                user=user, organization=invitation.organization, role=invitation.role
            )
    except IntegrityError:
        membership = Membership.objects.get(
            user=user, organization=invitation.organization, role=invitation.role
        )
        if not membership.is_active:
            membership.is_active = True
            membership.save(update_fields=["is_active"])
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at"])
    notify(
        recipient=invitation.invited_by,
        kind="invitation.accepted",
        title=f"{user.printed_name} joined {invitation.organization.name}",
        body=f"{user.email} accepted your invitation as {invitation.get_role_display()}.",
        dedupe_key=f"invitation.accepted:{invitation.pk}",
    )
    return membership


@transaction.atomic
def api_token_issue(*, request, email: str, password: str, code: str = "") -> Token:
    """The API token of the person with these credentials (created on first use).

    When the person has turned on two-factor sign-in, the one-time code is required too: a
    token must not be a way around it.
    """
    user: User | None = authenticate(request, username=email.strip().lower(), password=password)
    if user is None:
        raise ApplicationError(
            "The email address or password is not correct.", code="invalid_credentials"
        )
    if is_mfa_enabled(user):
        if not code:
            raise ApplicationError(
                "Enter the code from your authenticator app.",
                fields={"code": ["Two-factor sign-in is on for this account."]},
                code="mfa_required",
            )
        authenticators = Authenticator.objects.filter(user=user).exclude(
            type=Authenticator.Type.WEBAUTHN
        )
        if not any(authenticator.wrap().validate_code(code) for authenticator in authenticators):
            raise ApplicationError(
                "The code is not correct.",
                fields={"code": ["Enter the current code from your authenticator app."]},
                code="mfa_invalid",
            )
    token, _ = Token.objects.get_or_create(user=user)
    return token
