"""Reads about people and organizations."""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import (
    ADMIN_ROLES,
    Invitation,
    InvitationStatus,
    Membership,
    Organization,
    User,
)

SESSION_ORGANIZATION_KEY = "organization_id"


def organization_roles(user: User) -> dict[int, set[str]]:
    """{organization id: {roles}} for the user's active memberships; cached on the user."""
    if not getattr(user, "is_authenticated", False):
        return {}
    cached = getattr(user, "_organization_roles", None)
    if cached is None:
        cached = defaultdict(set)
        for organization_id, role in Membership.objects.filter(
            user=user, is_active=True
        ).values_list("organization_id", "role"):
            cached[organization_id].add(role)
        cached = dict(cached)
        user._organization_roles = cached
    return cached


def members_by_organization(
    *, organization_ids: Iterable[int], roles: Iterable[str]
) -> defaultdict[int, list[Membership]]:
    """The active memberships of active people holding any of ``roles`` in each of these
    organizations (the user joined), by organization id, in one query: what a sweep needs to
    address a whole batch of sites or CROs."""
    members: defaultdict[int, list[Membership]] = defaultdict(list)
    organization_ids = set(organization_ids)
    if organization_ids:
        for membership in (
            Membership.objects.filter(
                organization_id__in=organization_ids,
                role__in=list(roles),
                is_active=True,
                user__is_active=True,
            )
            .select_related("user")
            .order_by("user__full_name", "pk")
        ):
            members[membership.organization_id].append(membership)
    return members


def people_by_organization(
    *, organization_ids: Iterable[int], roles: Iterable[str]
) -> defaultdict[int, list[User]]:
    """As ``members_by_organization``, each person once per organization."""
    people: defaultdict[int, list[User]] = defaultdict(list)
    for organization_id, members in members_by_organization(
        organization_ids=organization_ids, roles=roles
    ).items():
        people[organization_id] = list({m.user_id: m.user for m in members}.values())
    return people


def membership_list(*, user: User) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_membership_list", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, is_active=True)
            .select_related("organization")
            .order_by("organization__name", "role")
        )
        user._membership_list = cached
    return cached


def active_membership(request) -> Membership | None:
    """The membership the user is working in now (chosen in the session, else the first)."""
    if hasattr(request, "_active_membership"):
        return request._active_membership
    memberships = membership_list(user=request.user)
    chosen = request.session.get(SESSION_ORGANIZATION_KEY) if hasattr(request, "session") else None
    membership = next((m for m in memberships if m.organization_id == chosen), None)
    if membership is None and memberships:
        membership = memberships[0]
    request._active_membership = membership
    return membership


def can_manage_members(*, actor: User, organization: Organization) -> bool:
    """Whether the actor administers the organization (invites and revokes)."""
    return bool(organization_roles(actor).get(organization.pk, set()) & ADMIN_ROLES)


def organization_member_list(*, actor: User, organization: Organization) -> QuerySet[Membership]:
    """Members of an organization the actor belongs to (never another organization's)."""
    if organization.pk not in organization_roles(actor):
        return Membership.objects.none()
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__full_name", "role")
    )


def invitation_list(*, actor: User, organization: Organization) -> QuerySet[Invitation]:
    if organization.pk not in organization_roles(actor):
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(organization=organization, status=InvitationStatus.PENDING)
        .select_related("invited_by")
        .order_by("-created_at")
    )


def invitation_get(*, actor: User, invitation_id: int) -> Invitation:
    """An invitation of one of the actor's organizations; any other is a 404."""
    return get_object_or_404(
        Invitation.objects.select_related("organization", "invited_by").filter(
            organization_id__in=list(organization_roles(actor))
        ),
        pk=invitation_id,
    )


def account_exists(*, email: str) -> bool:
    """Whether someone already has an account with this email address."""
    return User.objects.filter(email__iexact=(email or "").strip()).exists()


def invitation_get_by_token(*, token: str) -> Invitation | None:
    """The invitation a link points to; the token is the capability, so no actor is needed."""
    return (
        Invitation.objects.select_related("organization", "invited_by").filter(token=token).first()
    )
