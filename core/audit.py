"""Audit context: who, in which organization, where (request path or task) and why.

django-pghistory writes the events from database triggers, so no code path can skip them;
this module only adds context to the events a request or task produces.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pghistory
from pghistory.middleware import HistoryMiddleware

from core.exceptions import ApplicationError


class AuditContextMiddleware(HistoryMiddleware):
    """pghistory's middleware plus the acting organization."""

    def get_context(self, request):
        context = super().get_context(request)
        organization = getattr(request, "organization", None)
        if organization is None and getattr(request, "user", None) is not None:
            from accounts.selectors import active_membership

            membership = (
                active_membership(request) if request.user.is_authenticated else None
            )
            organization = membership.organization if membership else None
        context["organization"] = organization.pk if organization else None
        context["method"] = request.method
        return context


def require_reason(reason: str | None) -> str:
    """Edits of entered data need a reason; an empty one is refused."""
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ApplicationError(
            "A reason for the change is required.", fields={"reason": ["Say why."]}
        )
    return cleaned


@contextmanager
def audit_context(*, reason: str | None = None, **metadata) -> Iterator[None]:
    """Attach a reason (and any other metadata) to every audit event written inside."""
    if reason is not None:
        metadata["reason"] = reason
    with pghistory.context(**metadata):
        yield
