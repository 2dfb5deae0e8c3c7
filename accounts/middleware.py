"""Audit context for requests: pghistory's user and path, plus the acting organization."""

from pghistory.middleware import HistoryMiddleware

from accounts.selectors import active_membership


class AuditContextMiddleware(HistoryMiddleware):
    """Every audit event written during a request names the user, the organization they act
    for, the path and the method."""

    def get_context(self, request):
        context = super().get_context(request)
        user = getattr(request, "user", None)
        membership = active_membership(request) if user and user.is_authenticated else None
        context["organization"] = membership.organization_id if membership else None
        context["method"] = request.method
        return context
