"""The one error type services raise; views and the API turn it into a message."""

from typing import Any


class ApplicationError(Exception):
    """A rule of the domain refused the request.

    ``fields`` maps a form or API field name to a list of messages, so views can show the
    error next to the field and the API can answer 400 with the same detail.
    """

    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra or {}
        if code:
            self.code = code


class PermissionDenied(ApplicationError):
    """The actor may see the object but their role does not allow this action."""

    code = "permission_denied"


class TransitionNotAllowed(ApplicationError):
    """The record's current status does not allow this action (the API answers 409)."""

    code = "invalid_transition"


class RecordLocked(TransitionNotAllowed):
    """The record belongs to a closed study-site, which is read-only (the API answers 409)."""

    code = "read_only"
