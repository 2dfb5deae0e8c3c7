from accounts.selectors import active_membership, membership_list


def navigation(request):
    """The signed-in user's organization, role and unread count for the base layout."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from core.models import Notification

    membership = active_membership(request)
    return {
        "active_membership": membership,
        "memberships": membership_list(user=user),
        "unread_notifications": Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count(),
    }
