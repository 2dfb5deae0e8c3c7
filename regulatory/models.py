"""Regulatory documents: the document types (TMF Reference Model site artifacts), what a study
requires of each site and investigator, the documents a site keeps for a study and their
immutable versions with the CRO's review.

Statuses change only through regulatory/services.py; the database guards the values, refuses
deletes, and refuses any change to a stored file of a version (versions are immutable: a new
upload supersedes the previous version).
"""

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.db import protect_delete
from trials.models import Study, StudySite


class DocumentScope(models.TextChoices):
    SITE = "site", "One per site"
    PI = "pi", "Principal investigator"
    INVESTIGATORS = "investigators", "PI and each sub-investigator"


class DocumentType(models.Model):
    """A kind of site document, after the TMF Reference Model artifacts kept at sites.

    Reference data seeded by a migration; ``expires`` says whether its versions carry an expiry
    date (licences, GCP certificates, IRB continuing review, lab certification)."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    tmf_zone = models.CharField(max_length=80, help_text="TMF Reference Model zone")
    description = models.CharField(max_length=300, blank=True)
    default_scope = models.CharField(
        max_length=14, choices=DocumentScope.choices, default=DocumentScope.SITE
    )
    expires = models.BooleanField(default=False)
    is_irb_approval = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        triggers = [protect_delete("document_type")]
        ordering = ["order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_scope__in=DocumentScope.values),
                name="document_type_scope_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class DocumentRequirement(models.Model):
    """A document the study requires of every site (or of its PI / each investigator).

    ``qualifier`` tells apart several requirements of one type, e.g. the IRB approval of
    "Amendment 2". A requirement is never deleted: it is retired (``is_active`` false)."""

    study_path = "study"

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="document_requirements")
    document_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, related_name="requirements"
    )
    qualifier = models.CharField(max_length=100, blank=True)
    scope = models.CharField(max_length=14, choices=DocumentScope.choices)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("document_requirement")]
        ordering = ["study", "document_type__order", "qualifier"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=DocumentScope.values), name="document_requirement_scope_valid"
            ),
            models.UniqueConstraint(
                fields=["study", "document_type", "qualifier"],
                condition=Q(is_active=True),
                name="document_requirement_unique_active",
            ),
        ]
        indexes = [models.Index(fields=["study", "is_active"])]

    def __str__(self) -> str:
        return (
            f"{self.document_type.name} — {self.qualifier}"
            if self.qualifier
            else str(self.document_type.name)
        )

    @property
    def label(self) -> str:
        return str(self)


@pghistory.track()
class Document(models.Model):
    """One required document of one study-site (and, for personal documents, one person).
    Its content lives in versions; ``current_version`` is the latest upload."""

    study_site_path = "study_site"

    study_site = models.ForeignKey(StudySite, on_delete=models.PROTECT, related_name="documents")
    requirement = models.ForeignKey(
        DocumentRequirement, on_delete=models.PROTECT, related_name="documents"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="regulatory_documents",
    )
    current_version = models.ForeignKey(
        "DocumentVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [protect_delete("document")]
        ordering = ["study_site", "requirement"]
        constraints = [
            models.UniqueConstraint(
                fields=["study_site", "requirement", "person"],
                name="document_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["study_site", "requirement"],
                condition=Q(person__isnull=True),
                name="document_once_per_site",
            ),
        ]

    def __str__(self) -> str:
        label = self.requirement.label
        return f"{label} ({self.person})" if self.person_id else label

    def get_absolute_url(self) -> str:
        return reverse("document_detail", kwargs={"document_id": self.pk})


class ReviewStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


REVIEW_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ReviewStatus.SUBMITTED: (ReviewStatus.APPROVED, ReviewStatus.REJECTED),
    ReviewStatus.APPROVED: (),
    ReviewStatus.REJECTED: (),
}

FILE_FIELDS = (
    "document",
    "version_number",
    "file",
    "original_filename",
    "content_type",
    "size",
    "sha256",
    "uploaded_by",
    "uploaded_at",
    "effective_on",
    "expires_on",
)


@pghistory.track()
class DocumentVersion(models.Model):
    """One uploaded file of a document. Immutable: the database refuses any change to the file
    and its facts; only the review and the supersession are recorded later."""

    study_site_path = "document__study_site"

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    version_number = models.PositiveIntegerField()
    file = models.FileField(max_length=200)
    original_filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    effective_on = models.DateField(
        null=True, blank=True, help_text="Date issued, signed or approved (e.g. IRB approval)"
    )
    expires_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.SUBMITTED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.CharField(max_length=500, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        triggers = [
            protect_delete("document_version"),
            pgtrigger.Protect(
                name="document_version_file_immutable",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange(*FILE_FIELDS),
            ),
        ]
        ordering = ["document", "-version_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "version_number"], name="document_version_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReviewStatus.values), name="document_version_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="document_version_sha256"
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="document_version_not_empty"),
            models.CheckConstraint(
                condition=Q(status=ReviewStatus.SUBMITTED) | Q(reviewed_at__isnull=False),
                name="document_version_reviewed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReviewStatus.REJECTED) | ~Q(review_reason=""),
                name="document_version_rejection_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "superseded_at"], name="document_version_queue_idx"),
            models.Index(
                fields=["expires_on"],
                condition=Q(superseded_at__isnull=True, expires_on__isnull=False),
                name="document_version_expiry_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.version_number}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None

    def get_download_url(self) -> str:
        return reverse("document_version_download", kwargs={"document_version_id": self.pk})
