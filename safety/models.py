"""Adverse events and SAE reports with their 24-hour clock.

One row per report: an adverse event as first recorded (``follow_up_number`` 0), or a follow-up
report of a serious one (``initial`` points at the first report; the first report never
changes because of a follow-up). A serious report's clock starts at the site's awareness time,
even when the report is only drafted then and submitted later; it is due 24 hours after
awareness, and a report submitted after that is marked late for good (a database trigger
refuses to clear the flag).

Statuses change only through safety/services.py; the database guards the values.
"""

from datetime import timedelta

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.db import protect_delete
from trials.models import Subject

REPORTING_WINDOW = timedelta(hours=24)


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class Seriousness(models.TextChoices):
    DEATH = "death", "Results in death"
    LIFE_THREATENING = "life_threatening", "Life-threatening"
    HOSPITALIZATION = "hospitalization", "Requires or prolongs hospitalization"
    DISABILITY = "disability", "Persistent or significant disability"
    CONGENITAL_ANOMALY = "congenital_anomaly", "Congenital anomaly / birth defect"
    OTHER_IMPORTANT = "other_important", "Other important medical event"


class Relatedness(models.TextChoices):
    NOT_RELATED = "not_related", "Not related"
    UNLIKELY = "unlikely", "Unlikely"
    POSSIBLE = "possible", "Possible"
    PROBABLE = "probable", "Probable"
    DEFINITE = "definite", "Definite"


class Outcome(models.TextChoices):
    RECOVERING = "recovering", "Recovering / resolving"
    RECOVERED = "recovered", "Recovered / resolved"
    NOT_RECOVERED = "not_recovered", "Not recovered / not resolved"
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae", "Recovered with sequelae"
    FATAL = "fatal", "Fatal"
    UNKNOWN = "unknown", "Unknown"


class AdverseEventStatus(models.TextChoices):
    RECORDED = "recorded", "Recorded"  # a non-serious AE: no reporting clock
    DRAFT = "draft", "SAE draft"  # serious, awareness entered, not yet submitted: clock runs
    REPORTED = "reported", "Reported"  # submitted to the CRO
    ACKNOWLEDGED = "acknowledged", "Acknowledged"  # the CRO safety team acknowledged it


# The one place that says which status may follow which.
AE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    AdverseEventStatus.RECORDED: (AdverseEventStatus.DRAFT,),  # corrected to serious
    AdverseEventStatus.DRAFT: (AdverseEventStatus.REPORTED,),
    AdverseEventStatus.REPORTED: (AdverseEventStatus.ACKNOWLEDGED,),
    AdverseEventStatus.ACKNOWLEDGED: (),
}

# Entered data may be corrected (with a reason) until the report is submitted.
CORRECTABLE_STATUSES = (AdverseEventStatus.RECORDED, AdverseEventStatus.DRAFT)

SERIOUS_STATUSES = (
    AdverseEventStatus.DRAFT,
    AdverseEventStatus.REPORTED,
    AdverseEventStatus.ACKNOWLEDGED,
)


def _choices_check(field: str, choices: type[models.TextChoices], name: str):
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


@pghistory.track()
class AdverseEvent(models.Model):
    study_site_path = "subject__study_site"

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="adverse_events")
    initial = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        help_text="The initial report this follow-up belongs to",
    )
    follow_up_number = models.PositiveSmallIntegerField(default=0)
    term = models.CharField("term (MedDRA-style)", max_length=200)
    onset_date = models.DateField()
    severity = models.CharField(max_length=10, choices=Severity.choices)
    seriousness_criteria = ArrayField(
        models.CharField(max_length=20, choices=Seriousness.choices), default=list, blank=True
    )
    is_serious = models.BooleanField(default=False)
    relatedness = models.CharField(max_length=12, choices=Relatedness.choices)
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    description = models.TextField("narrative", blank=True)
    status = models.CharField(
        max_length=12, choices=AdverseEventStatus.choices, default=AdverseEventStatus.RECORDED
    )
    awareness_at = models.DateTimeField(
        "site aware at", null=True, blank=True, help_text="When the site learned of the event"
    )
    due_at = models.DateTimeField("due at", null=True, blank=True)
    reported_at = models.DateTimeField("reported to CRO at", null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_late = models.BooleanField("reported late", default=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        triggers = [
            protect_delete("adverse_event"),
            # Late is forever: no code path may clear the flag or move the report time.
            pgtrigger.Protect(
                name="adverse_event_late_is_forever",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__is_late=True, new__is_late=False)
                | pgtrigger.Q(
                    old__reported_at__isnull=False,
                    old__reported_at__df=pgtrigger.F("new__reported_at"),
                ),
            ),
        ]
        constraints = [
            _choices_check("status", AdverseEventStatus, "adverse_event_status_valid"),
            _choices_check("severity", Severity, "adverse_event_severity_valid"),
            _choices_check("relatedness", Relatedness, "adverse_event_relatedness_valid"),
            _choices_check("outcome", Outcome, "adverse_event_outcome_valid"),
            models.CheckConstraint(
                condition=Q(seriousness_criteria__contained_by=Seriousness.values),
                name="adverse_event_seriousness_valid",
            ),
            models.CheckConstraint(
                condition=Q(is_serious=True, seriousness_criteria__len__gt=0)
                | Q(is_serious=False, seriousness_criteria__len=0),
                name="adverse_event_serious_iff_criteria",
            ),
            models.CheckConstraint(
                condition=Q(is_serious=False, status=AdverseEventStatus.RECORDED)
                | Q(
                    is_serious=True,
                    status__in=SERIOUS_STATUSES,
                    awareness_at__isnull=False,
                    due_at__isnull=False,
                ),
                name="adverse_event_serious_has_clock",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[AdverseEventStatus.RECORDED, AdverseEventStatus.DRAFT])
                | Q(reported_at__isnull=False, reported_by__isnull=False),
                name="adverse_event_reported_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=AdverseEventStatus.ACKNOWLEDGED)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="adverse_event_acknowledged_has_who_when",
            ),
            models.CheckConstraint(
                condition=Q(is_late=False) | Q(reported_at__isnull=False),
                name="adverse_event_late_only_when_reported",
            ),
            models.CheckConstraint(
                condition=Q(initial__isnull=True, follow_up_number=0)
                | Q(initial__isnull=False, follow_up_number__gt=0),
                name="adverse_event_follow_up_numbered",
            ),
            models.UniqueConstraint(
                fields=["initial", "follow_up_number"], name="adverse_event_follow_up_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="adverse_event_clock_idx"),
            models.Index(fields=["status", "reported_at"], name="adverse_event_ack_idx"),
            models.Index(fields=["subject", "onset_date"], name="adverse_event_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.term}"

    def get_absolute_url(self) -> str:
        return reverse("adverse_event_detail", kwargs={"adverse_event_id": self.pk})

    @property
    def reference(self) -> str:
        base = f"AE-{self.initial_id or self.pk}"
        return f"{base} FU{self.follow_up_number}" if self.follow_up_number else base

    @property
    def kind_label(self) -> str:
        if not self.is_serious:
            return "AE"
        return f"SAE follow-up {self.follow_up_number}" if self.follow_up_number else "SAE"

    def get_seriousness_display(self) -> list[str]:
        labels = dict(Seriousness.choices)
        return [labels.get(value, value) for value in self.seriousness_criteria]

    @property
    def clock(self):
        from safety.clock import sae_clock

        return sae_clock(self)
