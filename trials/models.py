"""The shared trial model: studies, the sites taking part, schedules, subjects and visits.

Statuses change only through services (trials/services.py); the database guards the values.
"""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from accounts.models import Organization
from core.db import protect_delete


def _choices_check(field: str, choices: type[models.TextChoices], name: str):
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


class Phase(models.TextChoices):
    PHASE_1 = "1", "Phase 1"
    PHASE_2 = "2", "Phase 2"
    PHASE_3 = "3", "Phase 3"
    PHASE_4 = "4", "Phase 4"


class StudyStatus(models.TextChoices):
    PLANNING = "planning", "Planning"
    STARTUP = "startup", "Start-up"
    ENROLLING = "enrolling", "Enrolling"
    FOLLOW_UP = "follow_up", "Follow-up"
    CLOSED = "closed", "Closed"


@pghistory.track()
class Study(models.Model):
    cro = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="studies_run",
        limit_choices_to={"kind": "cro"},
    )
    sponsor = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="studies_sponsored",
        limit_choices_to={"kind": "sponsor"},
    )
    protocol_number = models.CharField(max_length=50)
    title = models.CharField(max_length=300)
    phase = models.CharField(max_length=2, choices=Phase.choices)
    therapeutic_area = models.CharField(max_length=100)
    status = models.CharField(
        max_length=12, choices=StudyStatus.choices, default=StudyStatus.PLANNING
    )
    planned_sites = models.PositiveIntegerField(default=0)
    planned_subjects = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. USD")
    diversity_goals = models.JSONField(
        default=dict,
        blank=True,
        help_text='Goal percentage per demographic category, e.g. {"race:black": 15}',
    )
    subject_id_pattern = models.CharField(
        max_length=50,
        default="{site}-{seq:03d}",
        help_text="Pseudonymous subject id pattern; {site} = site number, {seq} = sequence",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("study")]
        ordering = ["protocol_number"]
        verbose_name_plural = "studies"
        constraints = [
            models.UniqueConstraint(
                fields=["cro", "protocol_number"], name="study_protocol_unique_per_cro"
            ),
            _choices_check("status", StudyStatus, "study_status_valid"),
            _choices_check("phase", Phase, "study_phase_valid"),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="study_currency_iso4217"
            ),
        ]
        indexes = [models.Index(fields=["sponsor", "status"])]

    def __str__(self) -> str:
        return f"{self.protocol_number} — {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("study_detail", kwargs={"study_id": self.pk})


class TeamRole(models.TextChoices):
    LEAD = "lead", "Study lead"
    MEMBER = "member", "Team member"


@pghistory.track()
class StudyTeamMember(models.Model):
    """A CRO person on a study's team. Leads see every site of the study."""

    study_path = "study"

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="study_teams"
    )
    role = models.CharField(max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "user"], name="study_team_unique_member"),
            _choices_check("role", TeamRole, "study_team_role_valid"),
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user} on {self.study.protocol_number} ({self.get_role_display()})"


class StudySiteStatus(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    SELECTED = "selected", "Selected"
    CONTRACTED = "contracted", "Contracted"
    ACTIVATED = "activated", "Activated"
    ENROLLING = "enrolling", "Enrolling"
    CLOSED = "closed", "Closed"


STUDY_SITE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    StudySiteStatus.CANDIDATE: (StudySiteStatus.SELECTED, StudySiteStatus.CLOSED),
    StudySiteStatus.SELECTED: (StudySiteStatus.CONTRACTED, StudySiteStatus.CLOSED),
    StudySiteStatus.CONTRACTED: (StudySiteStatus.ACTIVATED, StudySiteStatus.CLOSED),
    StudySiteStatus.ACTIVATED: (StudySiteStatus.ENROLLING, StudySiteStatus.CLOSED),
    StudySiteStatus.ENROLLING: (StudySiteStatus.CLOSED,),
    StudySiteStatus.CLOSED: (),
}


@pghistory.track()
class StudySite(models.Model):
    """One site organization's participation in one study; everything site-specific hangs
    off it."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="study_sites")
    site = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="study_sites",
        limit_choices_to={"kind": "site"},
    )
    site_number = models.CharField(max_length=20)
    principal_investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="investigator_of",
    )
    status = models.CharField(
        max_length=12, choices=StudySiteStatus.choices, default=StudySiteStatus.CANDIDATE
    )
    enrollment_target = models.PositiveIntegerField(default=0)
    agreement_signed_on = models.DateField(
        null=True, blank=True, help_text="Date the clinical trial agreement was fully signed"
    )
    ip_reconciled_at = models.DateTimeField(
        null=True, blank=True, help_text="When the investigational product was attested reconciled"
    )
    ip_reconciled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ip_reconciliation_note = models.TextField(blank=True)
    assigned_cras = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CRAAssignment", related_name="monitored_study_sites"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("study_site")]
        ordering = ["study__protocol_number", "site_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "site_number"], name="study_site_number_unique"
            ),
            models.UniqueConstraint(fields=["study", "site"], name="study_site_once_per_study"),
            _choices_check("status", StudySiteStatus, "study_site_status_valid"),
            models.CheckConstraint(
                condition=Q(ip_reconciled_at__isnull=True) | Q(ip_reconciled_by__isnull=False),
                name="study_site_ip_reconciled_has_attester",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "status"]),
            models.Index(fields=["study", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.study.protocol_number} / site {self.site_number}"

    def get_absolute_url(self) -> str:
        return reverse("study_site_detail", kwargs={"study_site_id": self.pk})


@pghistory.track()
class CRAAssignment(models.Model):
    study_site_path = "study_site"

    study_site = models.ForeignKey(StudySite, on_delete=models.PROTECT, related_name="+")
    cra = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study_site", "cra"], name="cra_assignment_unique"),
        ]
        indexes = [models.Index(fields=["cra", "study_site"])]

    def __str__(self) -> str:
        return f"{self.cra} monitors {self.study_site}"


@pghistory.track()
class VisitDefinition(models.Model):
    """One visit of the study's schedule: day offset from enrollment and its window."""

    study_path = "study"

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="visit_definitions")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=100)
    day_offset = models.IntegerField(help_text="Days after enrollment (day 0)")
    window_before = models.PositiveIntegerField(default=0, help_text="Days allowed early")
    window_after = models.PositiveIntegerField(default=0, help_text="Days allowed late")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        triggers = [protect_delete("visit_definition")]
        ordering = ["study", "order", "day_offset"]
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="visit_definition_code_unique"),
            models.CheckConstraint(
                condition=Q(window_before__gte=0) & Q(window_after__gte=0),
                name="visit_definition_window_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class SubjectStatus(models.TextChoices):
    SCREENING = "screening", "Screening"
    ENROLLED = "enrolled", "Enrolled"
    COMPLETED = "completed", "Completed"
    SCREEN_FAILED = "screen_failed", "Screen failed"
    WITHDRAWN = "withdrawn", "Withdrawn"


SUBJECT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    SubjectStatus.SCREENING: (SubjectStatus.ENROLLED, SubjectStatus.SCREEN_FAILED),
    SubjectStatus.ENROLLED: (SubjectStatus.COMPLETED, SubjectStatus.WITHDRAWN),
    SubjectStatus.COMPLETED: (),
    SubjectStatus.SCREEN_FAILED: (),
    SubjectStatus.WITHDRAWN: (),
}


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    NOT_REPORTED = "not_reported", "Not reported"


class AgeBand(models.TextChoices):
    UNDER_18 = "<18", "Under 18"
    AGE_18_44 = "18-44", "18–44"
    AGE_45_64 = "45-64", "45–64"
    AGE_65_74 = "65-74", "65–74"
    AGE_75_PLUS = "75+", "75 and over"
    NOT_REPORTED = "not_reported", "Not reported"


class Race(models.TextChoices):
    """FDA/OMB minimum categories."""

    AMERICAN_INDIAN = "american_indian", "American Indian or Alaska Native"
    ASIAN = "asian", "Asian"
    BLACK = "black", "Black or African American"
    PACIFIC_ISLANDER = "pacific_islander", "Native Hawaiian or Other Pacific Islander"
    WHITE = "white", "White"
    MULTIPLE = "multiple", "More than one race"
    NOT_REPORTED = "not_reported", "Not reported"


class Ethnicity(models.TextChoices):
    HISPANIC = "hispanic", "Hispanic or Latino"
    NOT_HISPANIC = "not_hispanic", "Not Hispanic or Latino"
    NOT_REPORTED = "not_reported", "Not reported"


@pghistory.track()
class Subject(models.Model):
    """A study participant, known only by a pseudonymous id: never a name, birth date or other
    direct identifier. Demographic categories are optional and used only in aggregate."""

    study_site_path = "study_site"

    study_site = models.ForeignKey(StudySite, on_delete=models.PROTECT, related_name="subjects")
    subject_identifier = models.CharField(max_length=30)
    status = models.CharField(
        max_length=14, choices=SubjectStatus.choices, default=SubjectStatus.SCREENING
    )
    screening_date = models.DateField()
    consent_date = models.DateField(null=True, blank=True)
    consent_version = models.CharField(max_length=30, blank=True)
    enrollment_date = models.DateField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    sex = models.CharField(max_length=14, choices=Sex.choices, default=Sex.NOT_REPORTED)
    age_band = models.CharField(
        max_length=14, choices=AgeBand.choices, default=AgeBand.NOT_REPORTED
    )
    race = models.CharField(max_length=20, choices=Race.choices, default=Race.NOT_REPORTED)
    ethnicity = models.CharField(
        max_length=14, choices=Ethnicity.choices, default=Ethnicity.NOT_REPORTED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("subject")]
        ordering = ["study_site", "subject_identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["study_site", "subject_identifier"], name="subject_identifier_unique"
            ),
            _choices_check("status", SubjectStatus, "subject_status_valid"),
            models.CheckConstraint(
                condition=Q(consent_date__isnull=True) | Q(consent_date__lte=F("screening_date")),
                name="subject_consent_before_screening",
            ),
        ]
        indexes = [
            models.Index(fields=["study_site", "status"]),
            models.Index(fields=["study_site", "enrollment_date"]),
            # Lists across study-sites ordered by subject id (the API's default order).
            models.Index(fields=["subject_identifier", "id"], name="subject_identifier_order_idx"),
        ]

    def __str__(self) -> str:
        return self.subject_identifier

    def get_absolute_url(self) -> str:
        return reverse("subject_detail", kwargs={"subject_id": self.pk})


class SubjectVisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Not applicable"


# Recording a visit: scheduled → completed | missed. Corrections (with a reason) may move a
# recorded visit to any other status, e.g. a completed visit entered on the wrong subject back
# to scheduled, or a visit marked missed that did take place to completed.
# Withdrawing a subject marks the visits still ahead of them "cancelled" (not applicable: they
# will not take place), so no due list or reminder waits for them; a cancelled visit that did
# take place before the withdrawal is corrected to completed, with a reason.
SUBJECT_VISIT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    SubjectVisitStatus.SCHEDULED: (SubjectVisitStatus.COMPLETED, SubjectVisitStatus.MISSED),
    SubjectVisitStatus.COMPLETED: (),
    SubjectVisitStatus.MISSED: (),
    SubjectVisitStatus.CANCELLED: (),
}
SUBJECT_VISIT_CORRECTIONS: dict[str, tuple[str, ...]] = {
    SubjectVisitStatus.SCHEDULED: (),
    SubjectVisitStatus.COMPLETED: (
        SubjectVisitStatus.COMPLETED,
        SubjectVisitStatus.MISSED,
        SubjectVisitStatus.SCHEDULED,
    ),
    SubjectVisitStatus.MISSED: (SubjectVisitStatus.COMPLETED, SubjectVisitStatus.SCHEDULED),
    SubjectVisitStatus.CANCELLED: (SubjectVisitStatus.COMPLETED,),
}


@pghistory.track()
class SubjectVisit(models.Model):
    study_site_path = "subject__study_site"

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="visits")
    definition = models.ForeignKey(
        VisitDefinition, on_delete=models.PROTECT, related_name="subject_visits"
    )
    target_date = models.DateField()
    window_start = models.DateField()
    window_end = models.DateField()
    actual_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=SubjectVisitStatus.choices, default=SubjectVisitStatus.SCHEDULED
    )
    out_of_window = models.BooleanField(
        default=False, help_text="Set automatically when the actual date is outside the window"
    )
    deviation_note = models.TextField(
        blank=True, help_text="Protocol-deviation note for a visit done out of window"
    )

    class Meta:
        triggers = [protect_delete("subject_visit")]
        ordering = ["subject", "target_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "definition"], name="subject_visit_once_per_definition"
            ),
            _choices_check("status", SubjectVisitStatus, "subject_visit_status_valid"),
            models.CheckConstraint(
                condition=Q(window_start__lte=F("target_date"))
                & Q(target_date__lte=F("window_end")),
                name="subject_visit_window_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(actual_date__isnull=False),
                name="subject_visit_completed_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(actual_date__isnull=True),
                name="subject_visit_scheduled_has_no_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(actual_date__isnull=True),
                name="subject_visit_cancelled_has_no_date",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "target_date"]),
            # The subject-visit list's default order (target date), LIMIT included.
            models.Index(fields=["target_date", "id"], name="subject_visit_target_idx"),
            # Visits coming due: scheduled ones, the window closing soonest first.
            models.Index(
                fields=["window_end", "window_start", "id"],
                name="subject_visit_due_idx",
                condition=Q(status=SubjectVisitStatus.SCHEDULED),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.definition.code}"

    def is_outside_window(self, actual_date) -> bool:
        return not (self.window_start <= actual_date <= self.window_end)


class MilestoneKind(models.TextChoices):
    SIV = "siv", "Site initiation visit"
    FPI = "fpi", "First patient in"
    LPI = "lpi", "Last patient in"
    LPO = "lpo", "Last patient out"
    COV = "cov", "Close-out visit"
    DBL = "dbl", "Database lock"


@pghistory.track()
class Milestone(models.Model):
    """A planned/actual date for a study (study_site empty) or one study-site."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="milestones")
    study_site = models.ForeignKey(
        StudySite, on_delete=models.PROTECT, null=True, blank=True, related_name="milestones"
    )
    kind = models.CharField(max_length=4, choices=MilestoneKind.choices)
    planned_date = models.DateField(null=True, blank=True)
    actual_date = models.DateField(null=True, blank=True)

    class Meta:
        triggers = [protect_delete("milestone")]
        ordering = ["planned_date", "kind"]
        constraints = [
            _choices_check("kind", MilestoneKind, "milestone_kind_valid"),
            models.UniqueConstraint(
                fields=["study", "kind"],
                condition=Q(study_site__isnull=True),
                name="milestone_unique_per_study",
            ),
            models.UniqueConstraint(
                fields=["study_site", "kind"],
                condition=Q(study_site__isnull=False),
                name="milestone_unique_per_study_site",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    @staticmethod
    def access_rule(visible_study_sites, visible_studies) -> Q:
        """Study-level milestones go with the study; a site's milestones with the site."""
        return Q(study_site__in=visible_study_sites.values("pk")) | Q(
            study_site__isnull=True, study__in=visible_studies.values("pk")
        )


# --- study updates --------------------------------------------------------------------------


class StudyUpdateKind(models.TextChoices):
    AMENDMENT = "amendment", "Protocol amendment notice"
    NEWSLETTER = "newsletter", "Newsletter"
    ENROLLMENT_PUSH = "enrollment_push", "Enrollment push"
    OTHER = "other", "Other"


@pghistory.track()
class StudyUpdate(models.Model):
    """A message from the CRO to all or chosen study-sites of a study. Each receiving site has
    a StudyUpdateRecipient row recording who read (and, where asked, confirmed) it and when."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="updates")
    kind = models.CharField(max_length=16, choices=StudyUpdateKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField()
    confirmation_required = models.BooleanField(default=False)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("study_update")]
        ordering = ["-posted_at", "-pk"]
        constraints = [_choices_check("kind", StudyUpdateKind, "study_update_kind_valid")]
        indexes = [models.Index(fields=["study", "-posted_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("study_update_detail", kwargs={"study_update_id": self.pk})

    @staticmethod
    def access_rule(visible_study_sites, visible_studies) -> Q:
        """An update is seen by whoever sees one of the study-sites it was sent to."""
        return Q(
            pk__in=StudyUpdateRecipient.objects.filter(
                study_site__in=visible_study_sites.values("pk")
            ).values("study_update_id")
        )


@pghistory.track()
class StudyUpdateRecipient(models.Model):
    """One study-site's copy of a study update: read and confirmed by whom, when."""

    study_site_path = "study_site"

    study_update = models.ForeignKey(
        StudyUpdate, on_delete=models.PROTECT, related_name="recipients"
    )
    study_site = models.ForeignKey(
        StudySite, on_delete=models.PROTECT, related_name="study_updates"
    )
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        triggers = [protect_delete("study_update_recipient")]
        ordering = ["study_update", "study_site"]
        constraints = [
            models.UniqueConstraint(
                fields=["study_update", "study_site"], name="study_update_once_per_site"
            ),
            models.CheckConstraint(
                condition=Q(read_at__isnull=True) | Q(read_by__isnull=False),
                name="study_update_read_has_reader",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True)
                | (Q(confirmed_by__isnull=False) & Q(read_at__isnull=False)),
                name="study_update_confirmed_has_confirmer",
            ),
        ]
        indexes = [models.Index(fields=["study_site", "read_at"])]

    def __str__(self) -> str:
        return f"{self.study_update} → {self.study_site}"

    @property
    def done(self) -> bool:
        """Nothing left for the site: read, and confirmed where confirmation is asked for."""
        if self.study_update.confirmation_required:
            return self.confirmed_at is not None
        return self.read_at is not None
