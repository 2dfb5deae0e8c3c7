"""The work inbox page: everything waiting on the signed-in user, from every app's provider."""

from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from accounts.selectors import active_membership, membership_list
from core import inbox

COUNT_TTL_SECONDS = 60

DUE_CHOICES = {
    "overdue": "Overdue",
    "week": "Due within 7 days",
    "later": "Due later",
    "none": "No due date",
}


def _membership_roles(request) -> tuple[str | None, set[str]]:
    membership = active_membership(request)
    if membership is None:
        return None, set()
    roles = {
        m.role
        for m in membership_list(user=request.user)
        if m.organization_id == membership.organization_id
    }
    return membership.organization.kind, roles


def _due_matches(item: inbox.InboxItem, due: str, now) -> bool:
    at = item.due_at
    if due == "none":
        return at is None
    if at is None:
        return False
    if due == "overdue":
        return at < now
    if due == "week":
        return now <= at < now + timedelta(days=7)
    if due == "later":
        return at >= now + timedelta(days=7)
    return True


def work_items(request) -> tuple[list[inbox.InboxItem], dict[str, str]]:
    """The actor's items (most urgent, nearest due and newest first) and the kinds they may
    receive. Computing them refreshes the cached count of the navigation badge."""
    kind, roles = _membership_roles(request)
    items = inbox.items_for(request.user, kind, roles)
    remember_count(request, len(items))
    return items, inbox.kinds_for(kind, roles)


def _count_key(request) -> str:
    membership = active_membership(request)
    organization = membership.organization_id if membership else 0
    return f"inbox:work-count:{request.user.pk}:{organization}"


def remember_count(request, count: int) -> None:
    cache.set(_count_key(request), count, COUNT_TTL_SECONDS)


def cached_count(request) -> int:
    """How many work items wait on the signed-in user in their active organization, cached per
    user and organization for a minute (the providers run only on a miss)."""
    if not getattr(request.user, "is_authenticated", False):
        return 0
    count = cache.get(_count_key(request))
    if count is None:
        count = len(work_items(request)[0])  # work_items stores it
    return count


def filter_items(items: list[inbox.InboxItem], params) -> list[inbox.InboxItem]:
    now = timezone.now()
    cro = params.get("cro") or ""
    study = params.get("study") or ""
    kind = params.get("kind") or ""
    due = params.get("due") or ""
    return [
        item
        for item in items
        if (not cro or str(item.cro_id) == cro)
        and (not study or str(item.study_id) == study)
        and (not kind or item.kind == kind)
        and (not due or due not in DUE_CHOICES or _due_matches(item, due, now))
    ]


def choices(items: list[inbox.InboxItem]) -> tuple[list[tuple], list[tuple]]:
    cros = sorted({(i.cro_id, i.cro_name) for i in items if i.cro_id}, key=lambda c: c[1])
    studies = sorted({(i.study_id, i.study_label) for i in items if i.study_id}, key=lambda s: s[1])
    return cros, studies
