from accounts.selectors import active_membership, membership_list
from core.models import Notification
from core.navigation import entries_for


def navigation(request):
    """The signed-in user's organization, roles and unread count for the base layout."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = active_membership(request)
    roles = {
        m.role
        for m in membership_list(user=user)
        if membership and m.organization_id == membership.organization_id
    }
    return {
        "nav_entries": entries_for(membership.organization.kind if membership else None, roles),
        "active_membership": membership,
        "memberships": membership_list(user=user),
        "unread_notifications": Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count(),
    }
