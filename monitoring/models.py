"""Monitoring visits, their reports (ICH E6(R3) 3.11.4.6), findings, action items, the
follow-up letters the site acknowledges, and private calendar feeds.

Statuses change only through monitoring/services.py; the database guards the values."""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.db import protect_delete
from trials.models import Study, StudySite

DEFAULT_REPORT_DUE_DAYS = 10


def _choices_check(field: str, choices: type[models.TextChoices], name: str):
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


@pghistory.track()
class MonitoringSettings(models.Model):
    """Per-study monitoring settings kept by the monitoring app (the report due period)."""

    study_path = "study"

    study = models.OneToOneField(Study, on_delete=models.PROTECT, related_name="+")
    report_due_days = models.PositiveIntegerField(
        default=DEFAULT_REPORT_DUE_DAYS, help_text="Days after the visit the report is due"
    )

    class Meta:
        triggers = [protect_delete("monitoring_settings")]
        verbose_name_plural = "monitoring settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(report_due_days__gte=1) & Q(report_due_days__lte=90),
                name="monitoring_settings_due_days_range",
            )
        ]

    def __str__(self) -> str:
        return f"Monitoring settings for {self.study_id}"


class VisitType(models.TextChoices):
    PRE_STUDY = "pre_study", "Pre-study / qualification"
    SIV = "siv", "Site initiation (SIV)"
    IMV = "imv", "Interim monitoring (IMV)"
    COV = "cov", "Close-out (COV)"


class VisitMode(models.TextChoices):
    ON_SITE = "on_site", "On-site"
    REMOTE = "remote", "Remote"


class VisitStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    PROPOSED = "proposed", "Site proposed another date"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    REPORT_DRAFTED = "report_drafted", "Report drafted"
    SUBMITTED = "submitted", "Report submitted"
    RETURNED = "returned", "Report returned"
    APPROVED = "approved", "Report approved"
    CANCELLED = "cancelled", "Cancelled"


S = VisitStatus
# The one place the visit lifecycle is written down: status → statuses it may move to.
VISIT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.PLANNED: (S.CONFIRMED, S.PROPOSED, S.PLANNED, S.CANCELLED),
    S.PROPOSED: (S.CONFIRMED, S.PLANNED, S.CANCELLED),
    S.CONFIRMED: (S.COMPLETED, S.PLANNED, S.CANCELLED),
    S.COMPLETED: (S.REPORT_DRAFTED,),
    S.REPORT_DRAFTED: (S.REPORT_DRAFTED, S.SUBMITTED),
    S.SUBMITTED: (S.APPROVED, S.RETURNED),
    S.RETURNED: (S.RETURNED, S.SUBMITTED),
    S.APPROVED: (S.REPORT_DRAFTED,),  # a correction starts a new report version
    S.CANCELLED: (),
}
UPCOMING_STATUSES = (S.PLANNED, S.PROPOSED, S.CONFIRMED)
REPORT_PENDING_STATUSES = (S.COMPLETED, S.REPORT_DRAFTED, S.RETURNED)
EDITABLE_REPORT_STATUSES = (S.COMPLETED, S.REPORT_DRAFTED, S.RETURNED)


@pghistory.track()
class MonitoringVisit(models.Model):
    study_site_path = "study_site"

    study_site = models.ForeignKey(
        StudySite, on_delete=models.PROTECT, related_name="monitoring_visits"
    )
    cra = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="monitoring_visits"
    )
    visit_type = models.CharField("type", max_length=10, choices=VisitType.choices)
    mode = models.CharField(max_length=8, choices=VisitMode.choices, default=VisitMode.ON_SITE)
    planned_at = models.DateTimeField("planned date and time")
    duration_minutes = models.PositiveIntegerField(default=240)
    attendees = models.TextField("planned attendees", blank=True)
    agenda = models.TextField(blank=True)
    subjects_to_prepare = models.TextField("subjects to prepare", blank=True)
    documents_to_prepare = models.TextField("documents to prepare", blank=True)
    status = models.CharField(max_length=16, choices=VisitStatus.choices, default=S.PLANNED)
    proposed_at = models.DateTimeField("date proposed by the site", null=True, blank=True)
    proposal_note = models.CharField(max_length=500, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actual_date = models.DateField("visit date", null=True, blank=True)
    report_due_date = models.DateField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("monitoring_visit")]
        ordering = ["-planned_at", "-pk"]
        constraints = [
            _choices_check("status", VisitStatus, "monitoring_visit_status_valid"),
            _choices_check("visit_type", VisitType, "monitoring_visit_type_valid"),
            _choices_check("mode", VisitMode, "monitoring_visit_mode_valid"),
            models.CheckConstraint(
                condition=Q(status__in=[S.PLANNED, S.PROPOSED, S.CONFIRMED, S.CANCELLED])
                | Q(actual_date__isnull=False),
                name="monitoring_visit_done_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=S.CANCELLED) | ~Q(cancel_reason=""),
                name="monitoring_visit_cancel_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["study_site", "status"]),
            models.Index(fields=["status", "planned_at"]),
            models.Index(fields=["status", "report_due_date"]),
            models.Index(fields=["cra", "status"]),
            # The visit list's default order (newest first), LIMIT included.
            models.Index(fields=["planned_at", "id"], name="monitoring_visit_planned_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_visit_type_display()} — {self.study_site}"

    def get_absolute_url(self) -> str:
        return reverse("monitoring_visit_detail", kwargs={"monitoring_visit_id": self.pk})


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded by a correction"


@pghistory.track()
class VisitReport(models.Model):
    """One version of a visit's report. Version 1 is the original; a correction after approval
    is a new version with a reason, and the earlier one stays as it was signed."""

    study_site_path = "visit__study_site"

    visit = models.ForeignKey(MonitoringVisit, on_delete=models.PROTECT, related_name="reports")
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    sections = models.JSONField(default=dict, blank=True)
    enrollment = models.JSONField(
        default=dict, blank=True, help_text="Enrollment figures taken from the subjects"
    )
    correction_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    return_comments = models.TextField(blank=True)

    class Meta:
        triggers = [protect_delete("visit_report")]
        ordering = ["visit", "-version"]
        constraints = [
            _choices_check("status", ReportStatus, "visit_report_status_valid"),
            models.UniqueConstraint(fields=["visit", "version"], name="visit_report_version_once"),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(correction_reason=""),
                name="visit_report_correction_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Report v{self.version} of {self.visit}"

    def signature_content(self) -> dict:
        """Exactly what the author and the approver see: sections, figures and findings."""
        return {
            "visit": self.visit_id,
            "version": self.version,
            "sections": self.sections,
            "enrollment": self.enrollment,
            "findings": [
                [f.category, f.severity, f.description]
                for f in self.findings.order_by("pk").only("category", "severity", "description")
            ],
        }


class FindingCategory(models.TextChoices):
    DEVIATION = "deviation", "Protocol deviation"
    CONSENT = "consent", "Informed consent"
    SDV = "sdv", "Source data"
    SAFETY = "safety", "AE/SAE reporting"
    IP = "ip", "Investigational product"
    ISF = "isf", "Investigator site file"
    FACILITIES = "facilities", "Facilities"
    GENERAL = "general", "General"


class FindingSeverity(models.TextChoices):
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"


@pghistory.track()
class Finding(models.Model):
    study_site_path = "report__visit__study_site"

    report = models.ForeignKey(VisitReport, on_delete=models.PROTECT, related_name="findings")
    category = models.CharField(max_length=12, choices=FindingCategory.choices)
    severity = models.CharField(
        max_length=10, choices=FindingSeverity.choices, default=FindingSeverity.MINOR
    )
    description = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("finding")]
        ordering = ["pk"]
        constraints = [
            _choices_check("category", FindingCategory, "finding_category_valid"),
            _choices_check("severity", FindingSeverity, "finding_severity_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.description[:50]}"


class ActionItemOwner(models.TextChoices):
    SITE = "site", "Site"
    CRA = "cra", "CRA"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


A = ActionItemStatus
ACTION_ITEM_TRANSITIONS: dict[str, tuple[str, ...]] = {
    A.OPEN: (A.RESOLVED,),
    A.RESOLVED: (A.CLOSED, A.OPEN),
    A.CLOSED: (A.OPEN,),
}


class ActionItemCategory(models.TextChoices):
    CONSENT = "consent", "Informed consent"
    DATA = "data", "Data entry / source"
    SAFETY = "safety", "Safety reporting"
    IP = "ip", "Investigational product"
    ISF = "isf", "Investigator site file"
    TRAINING = "training", "Training"
    FACILITIES = "facilities", "Facilities"
    OTHER = "other", "Other"


@pghistory.track()
class ActionItem(models.Model):
    study_site_path = "study_site"

    study_site = models.ForeignKey(StudySite, on_delete=models.PROTECT, related_name="action_items")
    visit = models.ForeignKey(
        MonitoringVisit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="action_items",
        help_text="The visit that raised it (empty when raised on its own)",
    )
    description = models.TextField()
    category = models.CharField(max_length=12, choices=ActionItemCategory.choices)
    owner = models.CharField(max_length=4, choices=ActionItemOwner.choices)
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=ActionItemStatus.choices, default=A.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        triggers = [protect_delete("action_item")]
        ordering = ["due_date", "pk"]
        constraints = [
            _choices_check("status", ActionItemStatus, "action_item_status_valid"),
            _choices_check("owner", ActionItemOwner, "action_item_owner_valid"),
            _choices_check("category", ActionItemCategory, "action_item_category_valid"),
            models.CheckConstraint(
                condition=Q(status=A.OPEN) | ~Q(resolution_note=""),
                name="action_item_resolved_has_note",
            ),
        ]
        indexes = [
            models.Index(fields=["study_site", "status"]),
            models.Index(fields=["status", "due_date"]),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    def get_absolute_url(self) -> str:
        return reverse("action_item_detail", kwargs={"action_item_id": self.pk})


class LetterStatus(models.TextChoices):
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


@pghistory.track()
class FollowUpLetter(models.Model):
    """Generated when a report version is approved: findings and action items addressed to the
    site, as they stood at approval."""

    study_site_path = "visit__study_site"

    visit = models.ForeignKey(
        MonitoringVisit, on_delete=models.PROTECT, related_name="follow_up_letters"
    )
    report = models.OneToOneField(
        VisitReport, on_delete=models.PROTECT, related_name="follow_up_letter"
    )
    content = models.JSONField(default=dict)
    status = models.CharField(max_length=14, choices=LetterStatus.choices, default="sent")
    sent_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        triggers = [protect_delete("follow_up_letter")]
        ordering = ["-sent_at", "-pk"]
        constraints = [
            _choices_check("status", LetterStatus, "follow_up_letter_status_valid"),
            models.CheckConstraint(
                condition=Q(status="sent") | Q(acknowledged_at__isnull=False),
                name="follow_up_letter_ack_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "sent_at"])]

    def __str__(self) -> str:
        return f"Follow-up letter for {self.visit}"


class CalendarFeed(models.Model):
    """A private, revocable iCalendar URL for one person; the token is the capability."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="calendar_feed_one_live"
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
