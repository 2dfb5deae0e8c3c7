"""Feasibility: a question bank, questionnaires for a study, requests sent to sites, answers.

A questionnaire belongs to its study's CRO. A request is one site's copy of a questionnaire;
the site answers it, the CRO scores and decides. Statuses change only through
feasibility/services.py; the database guards the values. Nothing is deleted.
"""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.models import Organization
from core.db import protect_delete
from trials.models import Study, StudySite


def _choices_check(field: str, choices: type[models.TextChoices], name: str):
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


class QuestionKind(models.TextChoices):
    YES_NO = "yes_no", "Yes / no"
    NUMBER = "number", "Number"
    SINGLE_CHOICE = "single_choice", "Single choice"
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    TEXT = "text", "Text"
    DATE = "date", "Date"


CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE})
SCORABLE_KINDS = frozenset(
    {
        QuestionKind.YES_NO,
        QuestionKind.NUMBER,
        QuestionKind.SINGLE_CHOICE,
        QuestionKind.MULTIPLE_CHOICE,
    }
)


class ProfileField(models.TextChoices):
    """Site-profile facts a question can be pre-filled from (see feasibility/prefill.py)."""

    NONE = "", "Not from the profile"
    PHARMACY = "capability:pharmacy", "Profile: investigational pharmacy"
    FREEZER = "capability:freezer_minus_80", "Profile: −80 °C freezer"
    IMAGING = "capability:imaging", "Profile: imaging (CT/MRI)"
    LOCAL_LAB = "capability:local_lab", "Profile: certified local laboratory"
    INPATIENT = "capability:inpatient", "Profile: inpatient beds"
    PATIENT_POPULATION = "patient_population", "Profile: patients seen per year"
    STAFF_COUNT = "staff_count", "Profile: research staff"


@pghistory.track()
class Question(models.Model):
    """A reusable question. ``key`` is the canonical key shared by "the same question" across
    CROs: platform-standard questions (owner empty) carry fixed keys; a CRO's own question gets
    the key of its wording, so identical wording is recognized as the same question."""

    owner = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feasibility_questions",
        help_text="The CRO that wrote it; empty for platform-standard questions",
    )
    key = models.SlugField(max_length=80)
    text = models.CharField(max_length=300)
    kind = models.CharField(max_length=16, choices=QuestionKind.choices)
    options = models.JSONField(default=list, blank=True, help_text="Choices (choice kinds)")
    help_text = models.CharField(max_length=300, blank=True)
    profile_field = models.CharField(
        max_length=40, choices=ProfileField.choices, blank=True, default=""
    )
    reuse_answers = models.BooleanField(
        default=True,
        help_text="Pre-fill from the site's last answer (off for study-specific questions)",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("feasibility_question")]
        ordering = ["owner_id", "text"]
        constraints = [
            _choices_check("kind", QuestionKind, "feasibility_question_kind_valid"),
            _choices_check("profile_field", ProfileField, "feasibility_question_profile_valid"),
            models.UniqueConstraint(
                fields=["owner", "key"], name="feasibility_question_key_unique_per_owner"
            ),
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(owner__isnull=True),
                name="feasibility_question_standard_key_unique",
            ),
        ]
        indexes = [models.Index(fields=["key", "kind"])]

    def __str__(self) -> str:
        return self.text

    @property
    def is_standard(self) -> bool:
        return self.owner_id is None


class QuestionnaireStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"


@pghistory.track()
class Questionnaire(models.Model):
    study_path = "study"

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="questionnaires")
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=QuestionnaireStatus.choices, default=QuestionnaireStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("feasibility_questionnaire")]
        ordering = ["-created_at", "-pk"]
        constraints = [
            _choices_check("status", QuestionnaireStatus, "feasibility_questionnaire_status_valid")
        ]

    def __str__(self) -> str:
        return f"{self.study.protocol_number} — {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("questionnaire_detail", kwargs={"questionnaire_id": self.pk})


@pghistory.track()
class QuestionnaireItem(models.Model):
    """A question in a questionnaire, with this questionnaire's weight and scoring rule.

    ``rule`` by kind: yes/no ``{"expect": "yes"}``; number ``{"min": 50}`` and/or
    ``{"max": 90}``; choices ``{"points": {"Local": 100, "Central": 50}}`` (percent of the
    weight per option; multiple choice adds them up, capped at 100). No rule or weight 0 = the
    question is asked but not scored.
    """

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveIntegerField(default=0)
    weight = models.PositiveSmallIntegerField(default=0)
    rule = models.JSONField(default=dict, blank=True)
    required = models.BooleanField(default=True)

    class Meta:
        triggers = [protect_delete("feasibility_questionnaire_item")]
        ordering = ["questionnaire", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "question"], name="feasibility_item_once"
            ),
            models.CheckConstraint(
                condition=Q(weight__lte=100), name="feasibility_item_weight_max_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.question.text}"


class RequestStatus(models.TextChoices):
    SENT = "sent", "Awaiting answers"
    IN_PROGRESS = "in_progress", "Draft saved"
    SUBMITTED = "submitted", "Submitted"
    SHORTLISTED = "shortlisted", "Shortlisted"
    SELECTED = "selected", "Selected"
    DECLINED = "declined", "Declined"


OPEN_STATUSES = (RequestStatus.SENT, RequestStatus.IN_PROGRESS)
ANSWERED_STATUSES = (
    RequestStatus.SUBMITTED,
    RequestStatus.SHORTLISTED,
    RequestStatus.SELECTED,
    RequestStatus.DECLINED,
)

REQUEST_TRANSITIONS: dict[str, tuple[str, ...]] = {
    RequestStatus.SENT: (
        RequestStatus.IN_PROGRESS,
        RequestStatus.SUBMITTED,
        RequestStatus.DECLINED,
    ),
    RequestStatus.IN_PROGRESS: (
        RequestStatus.IN_PROGRESS,
        RequestStatus.SUBMITTED,
        RequestStatus.DECLINED,
    ),
    RequestStatus.SUBMITTED: (
        RequestStatus.SHORTLISTED,
        RequestStatus.SELECTED,
        RequestStatus.DECLINED,
    ),
    RequestStatus.SHORTLISTED: (RequestStatus.SELECTED, RequestStatus.DECLINED),
    RequestStatus.SELECTED: (),
    RequestStatus.DECLINED: (),
}


@pghistory.track()
class FeasibilityRequest(models.Model):
    """One site's copy of a questionnaire: sent with a due date, answered, scored, decided."""

    study_path = "questionnaire__study"

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="requests"
    )
    site = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="feasibility_requests",
        limit_choices_to={"kind": "site"},
    )
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.SENT
    )
    due_date = models.DateField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    score_points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    score_max = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    cro_notes = models.TextField(blank=True, help_text="The CRO's own notes; never shown to sites")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_message = models.TextField(blank=True, help_text="Told to the site")
    study_site = models.ForeignKey(
        StudySite, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        triggers = [protect_delete("feasibility_request")]
        ordering = ["due_date", "pk"]
        constraints = [
            _choices_check("status", RequestStatus, "feasibility_request_status_valid"),
            models.UniqueConstraint(
                fields=["questionnaire", "site"], name="feasibility_request_once_per_site"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=ANSWERED_STATUSES[:3]) | Q(submitted_at__isnull=False),
                name="feasibility_request_answered_has_submitted_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="selected") | Q(study_site__isnull=False),
                name="feasibility_request_selected_has_study_site",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "status", "due_date"]),
            models.Index(fields=["status", "due_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} → {self.site}"

    def get_absolute_url(self) -> str:
        return reverse("feasibility_request_detail", kwargs={"feasibility_request_id": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def allowed_next(self) -> tuple[str, ...]:
        return REQUEST_TRANSITIONS.get(self.status, ())

    @property
    def score_percent(self) -> int | None:
        if self.score_max:
            return round(self.score_points * 100 / self.score_max)
        return None


class AnswerSource(models.TextChoices):
    ENTERED = "", "Entered"
    PROFILE = "profile", "Site profile"
    PREVIOUS = "previous", "Earlier answer"


@pghistory.track()
class Answer(models.Model):
    """The site's answer to one item of its request. ``key`` copies the question's canonical key
    so the site's later questionnaires (from any CRO) can pre-fill from it."""

    study_path = "request__questionnaire__study"

    request = models.ForeignKey(
        FeasibilityRequest, on_delete=models.PROTECT, related_name="answers"
    )
    item = models.ForeignKey(QuestionnaireItem, on_delete=models.PROTECT, related_name="+")
    key = models.SlugField(max_length=80)
    kind = models.CharField(max_length=16, choices=QuestionKind.choices)
    value = models.JSONField(null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    source = models.CharField(
        max_length=10, choices=AnswerSource.choices, blank=True, default=AnswerSource.ENTERED
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        triggers = [protect_delete("feasibility_answer")]
        ordering = ["request", "item__order"]
        constraints = [
            models.UniqueConstraint(fields=["request", "item"], name="feasibility_answer_once"),
            _choices_check("source", AnswerSource, "feasibility_answer_source_valid"),
        ]
        indexes = [models.Index(fields=["key", "kind"])]

    def __str__(self) -> str:
        return f"{self.key}: {self.value}"


@pghistory.track()
class FeasibilityAttachment(models.Model):
    """A file the site attaches to its answers (a CV, a certificate, a floor plan). Checked by
    content, hashed, stored under a generated name; the uploader's file name is a label only.
    Served only through the access-checked download view; nothing is deleted."""

    study_path = "request__questionnaire__study"

    request = models.ForeignKey(
        FeasibilityRequest, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(max_length=200)
    original_filename = models.CharField(max_length=150)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    note = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("feasibility_attachment")]
        ordering = ["request", "uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="feasibility_attachment_size")
        ]

    def __str__(self) -> str:
        return self.original_filename

    def get_download_url(self) -> str:
        return reverse(
            "feasibility_attachment_download", kwargs={"feasibility_attachment_id": self.pk}
        )
