"""Audit context: who, in which organization, where (request path or task) and why.

django-pghistory writes the events from database triggers, so no code path can skip them;
this module only adds context to the events a request or task produces.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import pghistory
from django.apps import apps
from django.db.models import QuerySet
from pghistory import runtime as pghistory_runtime

from core.exceptions import ApplicationError


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
    """Attach a reason (and any other metadata) to every audit event written inside.

    pghistory keeps one metadata row per context, and the last write to it wins for every event
    of that context. So inside a surrounding context (a request, a task, the demo seed) a block
    with its own reason gets a context of its own that inherits who and where, and the
    surrounding one is restored afterwards: a reason never leaks onto later changes, nor a
    later reason onto earlier ones. (Uses pghistory's thread-local tracker; pinned version.)
    """
    if reason is not None:
        metadata["reason"] = reason
    outer = getattr(pghistory_runtime._tracker, "value", None)
    if outer is None:
        with pghistory.context(**metadata):
            yield
        return
    pghistory_runtime._tracker.value = pghistory_runtime.Context(
        id=uuid.uuid4(), metadata={**outer.metadata, **metadata}
    )
    try:
        yield
    finally:
        pghistory_runtime._tracker.value = outer


# ---------------------------------------------------------------------------------------------
# Reading the trail
# ---------------------------------------------------------------------------------------------

AUDIT_PAGE_LIMIT = 500
_HIDDEN_FIELDS = {"pgh_id", "pgh_created_at", "pgh_label", "pgh_obj", "pgh_context", "id"}


@dataclass
class AuditEntry:
    """One change to one record, ready to show: who, when, what (old → new) and why."""

    at: datetime
    record: str
    record_id: str
    action: str
    changes: list[tuple[str, object, object]]
    user: object | None
    organization_id: int | None
    where: str
    reason: str


def _field_labels(event_model_label: str) -> tuple[str, dict[str, str]]:
    try:
        event_model = apps.get_model(event_model_label)
    except LookupError:
        return event_model_label, {}
    tracked = getattr(event_model, "pgh_tracked_model", None) or event_model
    labels = {}
    for field in tracked._meta.concrete_fields:
        labels[field.attname] = str(field.verbose_name).capitalize()
        labels[field.name] = str(field.verbose_name).capitalize()
    return str(tracked._meta.verbose_name).capitalize(), labels


def audit_trail(*targets, limit: int = AUDIT_PAGE_LIMIT) -> list[AuditEntry]:
    """Events of the given records and of every record that references them, newest first.

    Each target is a model instance or a queryset; one SQL query per target plus one for the
    people named, whatever the number of events.
    """
    from django.contrib.auth import get_user_model
    from pghistory.models import Events

    User = get_user_model()  # noqa: N806

    rows: dict[str, dict] = {}
    for target in targets:
        if isinstance(target, QuerySet) and not target.exists():
            continue
        for row in (
            Events.objects.references(target)
            .order_by("-pgh_created_at")
            .values(
                "pgh_slug",
                "pgh_model",
                "pgh_obj_id",
                "pgh_label",
                "pgh_data",
                "pgh_diff",
                "pgh_context",
                "pgh_created_at",
            )[:limit]
        ):
            rows.setdefault(row["pgh_slug"], row)
    ordered = sorted(rows.values(), key=lambda r: r["pgh_created_at"], reverse=True)[:limit]
    user_ids = {
        (row["pgh_context"] or {}).get("user")
        for row in ordered
        if (row["pgh_context"] or {}).get("user")
    }
    users = User.objects.in_bulk([int(u) for u in user_ids]) if user_ids else {}
    entries = []
    for row in ordered:
        context = row["pgh_context"] or {}
        record, labels = _field_labels(row["pgh_model"])
        if row["pgh_label"] == "insert" or not row["pgh_diff"]:
            action = "Created" if row["pgh_label"] == "insert" else "Saved"
            changes = [
                (labels.get(k, k), None, v)
                for k, v in (row["pgh_data"] or {}).items()
                if k not in _HIDDEN_FIELDS and v not in (None, "", [], {})
            ]
        else:
            action = "Changed"
            changes = [
                (labels.get(k, k), old_new[0], old_new[1])
                for k, old_new in row["pgh_diff"].items()
                if k not in _HIDDEN_FIELDS
            ]
        user_id = context.get("user")
        entries.append(
            AuditEntry(
                at=row["pgh_created_at"],
                record=record,
                record_id=str(row["pgh_obj_id"]),
                action=action,
                changes=changes,
                user=users.get(int(user_id)) if user_id else None,
                organization_id=context.get("organization"),
                where=context.get("url")
                or (f"task {context['task']}" if context.get("task") else "system"),
                reason=context.get("reason", ""),
            )
        )
    return entries
