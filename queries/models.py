"""Data queries: a question from the CRO about one subject's data, and its message thread.

Statuses change only through queries/services.py along ``DATA_QUERY_TRANSITIONS``; the database
guards the values. The time a query spends waiting on the site and on the CRO is accumulated at
each transition (``site_wait`` / ``cro_wait``, plus the running period since ``waiting_since``),
so lists can filter and sort by age without reading the threads.
"""

from datetime import datetime, timedelta

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.db import protect_delete
from trials.models import Study, StudySite, Subject, SubjectVisit


class DataQueryStatus(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    REOPENED = "reopened", "Re-opened"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class DataQueryAction(models.TextChoices):
    RAISE = "raise", "Raised"
    ANSWER = "answer", "Answered"
    CLOSE = "close", "Closed"
    REOPEN = "reopen", "Re-opened"
    CANCEL = "cancel", "Cancelled"


# THE state machine: {current status: {action: new status}}. Nothing else moves a query.
DATA_QUERY_TRANSITIONS: dict[str, dict[str, str]] = {
    DataQueryStatus.OPEN: {
        DataQueryAction.ANSWER: DataQueryStatus.ANSWERED,
        DataQueryAction.CANCEL: DataQueryStatus.CANCELLED,
    },
    DataQueryStatus.ANSWERED: {
        DataQueryAction.CLOSE: DataQueryStatus.CLOSED,
        DataQueryAction.REOPEN: DataQueryStatus.REOPENED,
    },
    DataQueryStatus.REOPENED: {
        DataQueryAction.ANSWER: DataQueryStatus.ANSWERED,
        DataQueryAction.CANCEL: DataQueryStatus.CANCELLED,
    },
    DataQueryStatus.CLOSED: {},
    DataQueryStatus.CANCELLED: {},
}


class WaitingOn(models.TextChoices):
    SITE = "site", "Site"
    CRO = "cro", "CRO"
    NOBODY = "nobody", "Nobody (resolved)"


WAITING_ON_SITE = (DataQueryStatus.OPEN, DataQueryStatus.REOPENED)
WAITING_ON_CRO = (DataQueryStatus.ANSWERED,)
RESOLVED = (DataQueryStatus.CLOSED, DataQueryStatus.CANCELLED)


def waiting_on(status: str) -> str:
    if status in WAITING_ON_SITE:
        return WaitingOn.SITE
    if status in WAITING_ON_CRO:
        return WaitingOn.CRO
    return WaitingOn.NOBODY


def _choices_check(field: str, choices: type[models.TextChoices], name: str):
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


@pghistory.track()
class DataQuery(models.Model):
    """A question about one subject's data (optionally one visit and one form field)."""

    study_site_path = "study_site"

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="data_queries")
    study_site = models.ForeignKey(StudySite, on_delete=models.PROTECT, related_name="data_queries")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="data_queries")
    subject_visit = models.ForeignKey(
        SubjectVisit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="data_queries",
    )
    form_name = models.CharField("form", max_length=100)
    field_name = models.CharField("field", max_length=100, blank=True)
    text = models.TextField()
    status = models.CharField(
        max_length=10, choices=DataQueryStatus.choices, default=DataQueryStatus.OPEN
    )
    external_id = models.CharField(
        "external query id",
        max_length=64,
        blank=True,
        help_text="The query's id in the EDC it was imported from",
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="raised_data_queries"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    waiting_since = models.DateTimeField(
        default=timezone.now, help_text="Start of the current waiting period"
    )
    site_wait = models.DurationField(
        default=timedelta, help_text="Finished periods spent waiting on the site"
    )
    cro_wait = models.DurationField(
        default=timedelta, help_text="Finished periods spent waiting on the CRO"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        triggers = [protect_delete("data_query")]
        ordering = ["-raised_at", "-pk"]
        verbose_name = "data query"
        verbose_name_plural = "data queries"
        constraints = [
            _choices_check("status", DataQueryStatus, "data_query_status_valid"),
            models.UniqueConstraint(
                fields=["study", "external_id"],
                condition=~Q(external_id=""),
                name="data_query_external_id_once_per_study",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RESOLVED, resolved_at__isnull=False)
                | (~Q(status__in=RESOLVED) & Q(resolved_at__isnull=True)),
                name="data_query_resolved_at_iff_resolved",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="data_query_text_not_empty"),
        ]
        indexes = [
            models.Index(fields=["study_site", "status"], name="data_query_site_status_idx"),
            models.Index(fields=["status", "waiting_since"], name="data_query_waiting_idx"),
            models.Index(fields=["subject", "status"], name="data_query_subject_idx"),
            # The list's default order (newest first) read from an index, LIMIT included.
            models.Index(fields=["raised_at", "id"], name="data_query_raised_idx"),
            # "Queries to answer" (open or re-opened, longest waiting first).
            models.Index(
                fields=["waiting_since", "id"],
                name="data_query_site_waiting_idx",
                condition=Q(status__in=WAITING_ON_SITE),
            ),
        ]

    def __str__(self) -> str:
        return f"Query #{self.pk} on {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("data_query_detail", kwargs={"data_query_id": self.pk})

    @property
    def waiting_on(self) -> str:
        return waiting_on(self.status)

    def get_waiting_on_display(self) -> str:
        return WaitingOn(self.waiting_on).label

    @property
    def is_resolved(self) -> bool:
        return self.status in RESOLVED

    def aging(self, now: datetime | None = None) -> "Aging":
        return Aging.of(self, now or timezone.now())


class Aging:
    """How long a query has been open, and how that time splits between the two sides."""

    def __init__(self, *, open_for: timedelta, site: timedelta, cro: timedelta, on: str):
        self.open_for = open_for
        self.site = site
        self.cro = cro
        self.waiting_on = on

    @classmethod
    def of(cls, query: DataQuery, now: datetime) -> "Aging":
        site, cro = query.site_wait, query.cro_wait
        running = max(now - query.waiting_since, timedelta())
        on = query.waiting_on
        if on == WaitingOn.SITE:
            site += running
        elif on == WaitingOn.CRO:
            cro += running
        end = query.resolved_at or now
        return cls(open_for=max(end - query.raised_at, timedelta()), site=site, cro=cro, on=on)

    @property
    def days_open(self) -> int:
        return self.open_for.days

    @property
    def days_waiting_on_site(self) -> int:
        return self.site.days

    @property
    def days_waiting_on_cro(self) -> int:
        return self.cro.days

    def as_dict(self) -> dict:
        return {
            "days_open": self.days_open,
            "days_waiting_on_site": self.days_waiting_on_site,
            "days_waiting_on_cro": self.days_waiting_on_cro,
            "waiting_on": self.waiting_on,
        }


@pghistory.track()
class QueryMessage(models.Model):
    """One message of a query's thread: who wrote what, when, and the action it went with."""

    study_site_path = "data_query__study_site"

    data_query = models.ForeignKey(DataQuery, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="query_messages"
    )
    action = models.CharField(max_length=10, choices=DataQueryAction.choices)
    from_status = models.CharField(max_length=10, choices=DataQueryStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=DataQueryStatus.choices)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        triggers = [protect_delete("query_message")]
        ordering = ["created_at", "pk"]
        constraints = [
            _choices_check("action", DataQueryAction, "query_message_action_valid"),
            _choices_check("to_status", DataQueryStatus, "query_message_to_status_valid"),
            models.CheckConstraint(
                condition=Q(from_status="") | Q(from_status__in=DataQueryStatus.values),
                name="query_message_from_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["data_query", "created_at"], name="query_message_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.author} at {self.created_at:%Y-%m-%d %H:%M}"


def aging_from_thread(
    messages: list[QueryMessage], now: datetime
) -> tuple[timedelta, timedelta, timedelta]:
    """(open for, waiting on site, waiting on CRO) recomputed from the thread alone: each
    message starts a period in which its ``to_status`` waits on one side."""
    site = cro = timedelta()
    if not messages:
        return timedelta(), site, cro
    for current, following in zip(messages, [*messages[1:], None], strict=True):
        end = following.created_at if following is not None else now
        on = waiting_on(current.to_status)
        if on == WaitingOn.SITE:
            site += end - current.created_at
        elif on == WaitingOn.CRO:
            cro += end - current.created_at
    last = messages[-1]
    end = last.created_at if last.to_status in RESOLVED else now
    return end - messages[0].created_at, site, cro
