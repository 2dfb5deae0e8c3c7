from accounts.selectors import active_membership, membership_list
from core.models import Notification


def navigation(request):
    """The signed-in user's organization, roles and unread count for the base layout."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "active_membership": active_membership(request),
        "memberships": membership_list(user=user),
        "unread_notifications": Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count(),
    }
