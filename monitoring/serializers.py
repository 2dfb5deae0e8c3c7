"""API input and output shapes of the monitoring app. Types and lookups only: every rule lives
in monitoring.services."""

from django.utils import timezone
from rest_framework import serializers

from accounts.models import User
from monitoring.models import (
    REPORT_PENDING_STATUSES,
    ActionItem,
    ActionItemCategory,
    ActionItemOwner,
    ActionItemStatus,
    Finding,
    FindingCategory,
    FindingSeverity,
    MonitoringVisit,
    VisitMode,
    VisitReport,
    VisitStatus,
    VisitType,
)
from monitoring.sections import SECTIONS_BY_KEY, section_missing
from trials import access


class PersonRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="printed_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


class StudySiteRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    site_number = serializers.CharField(read_only=True)
    study_id = serializers.IntegerField(read_only=True)
    protocol_number = serializers.CharField(source="study.protocol_number", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    cro_name = serializers.CharField(source="study.cro.name", read_only=True)


class VisitOutputSerializer(serializers.ModelSerializer):
    study_site = StudySiteRefSerializer(read_only=True)
    cra = PersonRefSerializer(read_only=True)
    report_overdue = serializers.SerializerMethodField()

    class Meta:
        model = MonitoringVisit
        fields = [
            "id",
            "study_site",
            "cra",
            "visit_type",
            "mode",
            "status",
            "planned_at",
            "duration_minutes",
            "attendees",
            "agenda",
            "subjects_to_prepare",
            "documents_to_prepare",
            "proposed_at",
            "proposal_note",
            "confirmed_at",
            "actual_date",
            "report_due_date",
            "report_overdue",
            "cancel_reason",
        ]
        read_only_fields = fields

    def get_report_overdue(self, visit) -> bool:
        return bool(
            visit.report_due_date
            and visit.status in REPORT_PENDING_STATUSES
            and visit.report_due_date < timezone.localdate()
        )


class VisitFilterSerializer(serializers.Serializer):
    study = serializers.IntegerField(required=False, min_value=1)
    site = serializers.IntegerField(required=False, min_value=1, help_text="Site organization id")
    study_site = serializers.IntegerField(required=False, min_value=1)
    visit_type = serializers.ChoiceField(choices=VisitType.choices, required=False)
    status = serializers.ChoiceField(choices=VisitStatus.choices, required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    mine = serializers.BooleanField(required=False, help_text="Only visits you run as the CRA")
    sort = serializers.ChoiceField(
        choices=["date", "-date", "status", "site", "study"], required=False
    )


class VisitCreateInputSerializer(serializers.Serializer):
    study_site = serializers.IntegerField(min_value=1)
    visit_type = serializers.ChoiceField(choices=VisitType.choices)
    mode = serializers.ChoiceField(choices=VisitMode.choices, default=VisitMode.ON_SITE)
    planned_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(min_value=15, max_value=1440, default=240)
    attendees = serializers.CharField(required=False, allow_blank=True, default="")
    agenda = serializers.CharField(required=False, allow_blank=True, default="")
    subjects_to_prepare = serializers.CharField(required=False, allow_blank=True, default="")
    documents_to_prepare = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_study_site(self, value):
        study_site = (
            access.visible_study_sites(self.context["request"].user).filter(pk=value).first()
        )
        if study_site is None:
            raise serializers.ValidationError("No such study-site.")
        return study_site


class ProposeInputSerializer(serializers.Serializer):
    proposed_at = serializers.DateTimeField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class RescheduleInputSerializer(serializers.Serializer):
    planned_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=300)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class CompleteInputSerializer(serializers.Serializer):
    actual_date = serializers.DateField()


class PasswordInputSerializer(serializers.Serializer):
    password = serializers.CharField(
        help_text="Your password: signing re-checks it (21 CFR 11.200)",
        style={"input_type": "password"},
    )


class ReturnInputSerializer(serializers.Serializer):
    comments = serializers.CharField()


class SectionInputSerializer(serializers.Serializer):
    section = serializers.ChoiceField(choices=sorted(SECTIONS_BY_KEY))
    values = serializers.DictField(help_text="Field name → value for this section")


class FindingInputSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=FindingCategory.choices)
    severity = serializers.ChoiceField(choices=FindingSeverity.choices, default="minor")
    description = serializers.CharField()


class FindingOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = ["id", "category", "severity", "description", "created_at"]
        read_only_fields = fields


class ReportOutputSerializer(serializers.ModelSerializer):
    findings = FindingOutputSerializer(many=True, read_only=True)
    submitted_by = PersonRefSerializer(read_only=True)
    reviewed_by = PersonRefSerializer(read_only=True)
    missing_sections = serializers.SerializerMethodField()

    class Meta:
        model = VisitReport
        fields = [
            "id",
            "version",
            "status",
            "sections",
            "enrollment",
            "findings",
            "missing_sections",
            "correction_reason",
            "submitted_by",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "return_comments",
        ]
        read_only_fields = fields

    def get_missing_sections(self, report) -> dict[str, list[str]]:
        return section_missing(report.sections)


class ActionItemOutputSerializer(serializers.ModelSerializer):
    study_site = StudySiteRefSerializer(read_only=True)
    raised_by = PersonRefSerializer(read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "study_site",
            "visit_id",
            "description",
            "category",
            "owner",
            "due_date",
            "overdue",
            "status",
            "raised_by",
            "created_at",
            "resolution_note",
            "resolved_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_overdue(self, item) -> bool:
        return item.status == ActionItemStatus.OPEN and item.due_date < timezone.localdate()


class ActionItemFilterSerializer(serializers.Serializer):
    study = serializers.IntegerField(required=False, min_value=1)
    site = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(choices=ActionItemStatus.choices, required=False)
    owner = serializers.ChoiceField(choices=ActionItemOwner.choices, required=False)
    visit = serializers.IntegerField(required=False, min_value=1)
    overdue = serializers.BooleanField(required=False)
    sort = serializers.ChoiceField(choices=["due", "-due", "status", "site"], required=False)


class ActionItemCreateInputSerializer(serializers.Serializer):
    study_site = serializers.IntegerField(min_value=1, required=False)
    visit = serializers.IntegerField(min_value=1, required=False)
    description = serializers.CharField()
    category = serializers.ChoiceField(choices=ActionItemCategory.choices)
    owner = serializers.ChoiceField(choices=ActionItemOwner.choices)
    due_date = serializers.DateField()

    def validate(self, attrs):
        user = self.context["request"].user
        visit = None
        if attrs.get("visit"):
            visit = (
                access.scope(MonitoringVisit.objects.select_related("study_site"), user)
                .filter(pk=attrs["visit"])
                .first()
            )
            if visit is None:
                raise serializers.ValidationError({"visit": ["No such visit."]})
        study_site = None
        if attrs.get("study_site"):
            study_site = access.visible_study_sites(user).filter(pk=attrs["study_site"]).first()
            if study_site is None:
                raise serializers.ValidationError({"study_site": ["No such study-site."]})
        if study_site is None and visit is not None:
            study_site = visit.study_site
        if study_site is None:
            raise serializers.ValidationError({"study_site": ["Name the study-site or the visit."]})
        attrs["study_site"] = study_site
        attrs["visit"] = visit
        return attrs


class ResolveInputSerializer(serializers.Serializer):
    note = serializers.CharField()


class MonitoringSettingsOutputSerializer(serializers.Serializer):
    study = serializers.IntegerField(source="pk")
    protocol_number = serializers.CharField()
    report_due_days = serializers.IntegerField()
    can_edit = serializers.BooleanField()


class MonitoringSettingsInputSerializer(serializers.Serializer):
    report_due_days = serializers.IntegerField(min_value=1, max_value=90)
    reason = serializers.CharField(max_length=300)
