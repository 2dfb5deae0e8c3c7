"""API input and output shapes for regulatory documents. Types only: rules live in services."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from regulatory.files import ACCEPTED_TEXT
from regulatory.models import (
    Document,
    DocumentRequirement,
    DocumentScope,
    DocumentType,
    DocumentVersion,
    ReviewStatus,
)
from regulatory.selectors import version_status


class DocumentTypeSerializer(serializers.ModelSerializer):
    default_scope = serializers.CharField(
        read_only=True, help_text="site, pi (the PI only) or investigators (PI and each sub-I)"
    )

    class Meta:
        model = DocumentType
        fields = [
            "id",
            "code",
            "name",
            "tmf_zone",
            "description",
            "default_scope",
            "expires",
            "is_irb_approval",
        ]
        read_only_fields = fields


class DocumentTypeRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentType
        fields = ["id", "code", "name", "expires"]
        read_only_fields = fields


class DocumentRequirementOutputSerializer(serializers.ModelSerializer):
    document_type = DocumentTypeRefSerializer(read_only=True)
    label = serializers.CharField(read_only=True)

    class Meta:
        model = DocumentRequirement
        fields = ["id", "study", "document_type", "qualifier", "label", "scope", "is_active"]
        read_only_fields = fields


class DocumentRequirementFilterSerializer(serializers.Serializer):
    study = serializers.IntegerField(required=False, min_value=1, help_text="Study id")
    include_retired = serializers.BooleanField(required=False, default=False)


class DocumentRequirementCreateInputSerializer(serializers.Serializer):
    study = serializers.IntegerField(min_value=1, help_text="Study id")
    document_type = serializers.SlugRelatedField(
        slug_field="code",
        queryset=DocumentType.objects.all(),
        help_text="Document type code, e.g. gcp_certificate",
    )
    scope = serializers.ChoiceField(
        choices=DocumentScope.choices,
        required=False,
        default="",
        help_text="Who provides it; defaults to the document type's usual scope.",
    )
    qualifier = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)


class DocumentReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Recorded in the audit trail.")


class DocumentPersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    printed_name = serializers.CharField(read_only=True)


class DocumentVersionOutputSerializer(serializers.ModelSerializer):
    uploaded_by = DocumentPersonRefSerializer(read_only=True)
    reviewed_by = DocumentPersonRefSerializer(read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()
    is_current = serializers.BooleanField(read_only=True)
    status = serializers.CharField(read_only=True, help_text="submitted, approved or rejected")

    class Meta:
        model = DocumentVersion
        fields = [
            "id",
            "document",
            "version_number",
            "original_filename",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "effective_on",
            "expires_on",
            "note",
            "status",
            "reviewed_by",
            "reviewed_at",
            "review_reason",
            "superseded_at",
            "is_current",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, version: DocumentVersion) -> str:
        from django.urls import reverse

        return reverse("api_document_version-download", kwargs={"document_version_id": version.pk})


class DocumentOutputSerializer(serializers.ModelSerializer):
    requirement = DocumentRequirementOutputSerializer(read_only=True)
    person = DocumentPersonRefSerializer(read_only=True, allow_null=True)
    current_version = DocumentVersionOutputSerializer(read_only=True, allow_null=True)
    status = serializers.SerializerMethodField(
        help_text="missing, submitted, approved, rejected, expiring (within 60 days) or expired"
    )

    class Meta:
        model = Document
        fields = ["id", "study_site", "requirement", "person", "status", "current_version"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_status(self, document: Document) -> str:
        return version_status(document.current_version)


class DocumentFilterSerializer(serializers.Serializer):
    study_site = serializers.IntegerField(required=False, min_value=1, help_text="Study-site id")
    study = serializers.IntegerField(required=False, min_value=1, help_text="Study id")
    review_status = serializers.ChoiceField(
        choices=ReviewStatus.choices,
        required=False,
        help_text="Review status of the current version",
    )


class DocumentUploadInputSerializer(serializers.Serializer):
    study_site = serializers.IntegerField(min_value=1, help_text="Study-site id")
    requirement = serializers.IntegerField(min_value=1, help_text="Document requirement id")
    person = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The investigator, for personal documents (the PI when left out).",
    )
    file = serializers.FileField(help_text=f"{ACCEPTED_TEXT}; checked by content.")
    effective_on = serializers.DateField(required=False, allow_null=True, default=None)
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class ReviewInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500,
        required=False,
        default="",
        allow_blank=True,
        help_text="Required to reject; the site sees it.",
    )
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The version you reviewed; refused (409) if a newer one was uploaded since.",
    )


class ChecklistItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    done = serializers.BooleanField()
    detail = serializers.CharField()
    url = serializers.CharField()


class ChecklistSerializer(serializers.Serializer):
    study_site = serializers.IntegerField()
    checklist = serializers.CharField()
    complete = serializers.BooleanField()
    open_count = serializers.IntegerField()
    items = ChecklistItemSerializer(many=True)
