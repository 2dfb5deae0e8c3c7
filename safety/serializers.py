"""API input and output shapes for adverse events. Types and lookups only: every rule lives in
safety.services."""

from rest_framework import serializers

from safety.models import (
    AdverseEvent,
    AdverseEventStatus,
    Outcome,
    Relatedness,
    Seriousness,
    Severity,
)
from safety.selectors import AE_ORDERING


class AdverseEventFilterSerializer(serializers.Serializer):
    study = serializers.IntegerField(required=False, min_value=1, help_text="Study id")
    site = serializers.IntegerField(required=False, min_value=1, help_text="Site organization id")
    study_site = serializers.IntegerField(required=False, min_value=1, help_text="Study-site id")
    subject = serializers.IntegerField(required=False, min_value=1, help_text="Subject id")
    serious = serializers.BooleanField(required=False, allow_null=True, default=None)
    status = serializers.ChoiceField(choices=AdverseEventStatus.choices, required=False)
    late = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Reported late"
    )
    q = serializers.CharField(required=False, max_length=100, help_text="Part of the term")
    ordering = serializers.ChoiceField(
        choices=[name for key in AE_ORDERING for name in (key, f"-{key}")],
        required=False,
        help_text="Sort by this field; a leading '-' sorts descending.",
    )


class ClockSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["none", "running", "due_soon", "overdue", "on_time", "late"]
    )
    due_at = serializers.DateTimeField(allow_null=True)
    seconds = serializers.IntegerField(
        help_text="Seconds left (running, due_soon) or past due (overdue, late)"
    )
    label = serializers.CharField()


class AdverseEventOutputSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    kind = serializers.CharField(source="kind_label", read_only=True)
    subject = serializers.SerializerMethodField()
    study_site = serializers.SerializerMethodField()
    seriousness_criteria = serializers.ListField(
        child=serializers.ChoiceField(choices=Seriousness.choices), read_only=True
    )
    reported_by = serializers.CharField(source="reported_by.printed_name", default=None)
    acknowledged_by = serializers.CharField(source="acknowledged_by.printed_name", default=None)
    clock = ClockSerializer(read_only=True)

    class Meta:
        model = AdverseEvent
        fields = [
            "id",
            "reference",
            "kind",
            "subject",
            "study_site",
            "initial",
            "follow_up_number",
            "term",
            "onset_date",
            "severity",
            "seriousness_criteria",
            "is_serious",
            "relatedness",
            "outcome",
            "description",
            "status",
            "awareness_at",
            "due_at",
            "reported_at",
            "reported_by",
            "is_late",
            "acknowledged_at",
            "acknowledged_by",
            "clock",
            "created_at",
        ]
        read_only_fields = fields

    def get_subject(self, obj) -> dict:
        return {"id": obj.subject_id, "subject_identifier": obj.subject.subject_identifier}

    def get_study_site(self, obj) -> dict:
        study_site = obj.subject.study_site
        return {
            "id": study_site.pk,
            "site_number": study_site.site_number,
            "site": study_site.site.name,
            "study": {
                "id": study_site.study_id,
                "protocol_number": study_site.study.protocol_number,
            },
            "cro": study_site.study.cro.name,
        }


class _EventFields(serializers.Serializer):
    term = serializers.CharField(max_length=200)
    onset_date = serializers.DateField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    seriousness_criteria = serializers.ListField(
        child=serializers.ChoiceField(choices=Seriousness.choices), required=False, default=list
    )
    relatedness = serializers.ChoiceField(choices=Relatedness.choices)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    awareness_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Serious events: when the site became aware (ISO 8601 with offset); the "
        "24-hour clock starts here.",
    )


class AdverseEventCreateInputSerializer(_EventFields):
    subject = serializers.IntegerField(min_value=1, help_text="Subject id")
    submit = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Serious events: submit to the CRO now (otherwise kept as a draft).",
    )


class FollowUpInputSerializer(serializers.Serializer):
    """Only what is new; everything else is taken from the latest values of the report."""

    awareness_at = serializers.DateTimeField(
        help_text="When the site learned the new information; this follow-up's clock starts here."
    )
    term = serializers.CharField(max_length=200, required=False)
    onset_date = serializers.DateField(required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    seriousness_criteria = serializers.ListField(
        child=serializers.ChoiceField(choices=Seriousness.choices), required=False
    )
    relatedness = serializers.ChoiceField(choices=Relatedness.choices, required=False)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    submit = serializers.BooleanField(required=False, default=False)


class CorrectionInputSerializer(serializers.Serializer):
    """Only the fields sent change; the reason is always required."""

    partial = property(lambda self: False, lambda self, value: None)

    reason = serializers.CharField(
        max_length=500, help_text="Why the report is corrected; kept in the audit trail."
    )
    term = serializers.CharField(max_length=200, required=False)
    onset_date = serializers.DateField(required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    seriousness_criteria = serializers.ListField(
        child=serializers.ChoiceField(choices=Seriousness.choices), required=False
    )
    relatedness = serializers.ChoiceField(choices=Relatedness.choices, required=False)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    awareness_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["This field cannot be changed here."] for name in unknown}
            )
        return attrs
