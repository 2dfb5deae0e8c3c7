"""API input and output shapes for data queries. Types and lookups only: every rule lives in
queries.services."""

from django.utils import timezone
from rest_framework import serializers

from queries.models import DataQuery, DataQueryStatus, QueryMessage, WaitingOn
from queries.selectors import DATA_QUERY_ORDERING
from trials.serializers import SiteRefSerializer, StudyRefSerializer


def _ordering_choices() -> list[str]:
    return [name for key in DATA_QUERY_ORDERING for name in (key, f"-{key}")]


class DataQueryFilterSerializer(serializers.Serializer):
    study = serializers.IntegerField(required=False, min_value=1, help_text="Study id")
    study_site = serializers.IntegerField(required=False, min_value=1, help_text="Study-site id")
    site = serializers.IntegerField(required=False, min_value=1, help_text="Site organization id")
    subject = serializers.IntegerField(required=False, min_value=1, help_text="Subject id")
    status = serializers.ChoiceField(choices=DataQueryStatus.choices, required=False)
    waiting_on = serializers.ChoiceField(choices=WaitingOn.choices, required=False)
    min_age_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        help_text="Only unresolved queries raised at least this many days ago",
    )
    ordering = serializers.ChoiceField(
        choices=_ordering_choices(),
        required=False,
        help_text="Sort by this field; a leading '-' sorts descending.",
    )


class AgingSerializer(serializers.Serializer):
    days_open = serializers.IntegerField()
    days_waiting_on_site = serializers.IntegerField()
    days_waiting_on_cro = serializers.IntegerField()
    waiting_on = serializers.ChoiceField(choices=WaitingOn.choices)


class DataQueryStatusField(serializers.ChoiceField):
    """A query status: one named enum (DataQueryStatusEnum) for status, from_status, to_status."""

    def __init__(self, **kwargs):
        super().__init__(choices=DataQueryStatus.choices, **kwargs)


class DataQueryStudySiteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    site_number = serializers.CharField()
    site = SiteRefSerializer()


class DataQueryOutputSerializer(serializers.ModelSerializer):
    study = StudyRefSerializer(read_only=True)
    study_site = DataQueryStudySiteSerializer(read_only=True)
    status = DataQueryStatusField(read_only=True)
    subject = serializers.SerializerMethodField()
    subject_visit = serializers.SerializerMethodField()
    raised_by = serializers.CharField(source="raised_by.printed_name", read_only=True)
    aging = serializers.SerializerMethodField()

    class Meta:
        model = DataQuery
        fields = [
            "id",
            "study",
            "study_site",
            "subject",
            "subject_visit",
            "form_name",
            "field_name",
            "text",
            "status",
            "external_id",
            "raised_by",
            "raised_at",
            "status_changed_at",
            "resolved_at",
            "aging",
        ]
        read_only_fields = fields

    def get_subject(self, query: DataQuery) -> dict:
        return {"id": query.subject_id, "subject_identifier": query.subject.subject_identifier}

    def get_subject_visit(self, query: DataQuery) -> dict | None:
        if query.subject_visit is None:
            return None
        return {"id": query.subject_visit_id, "code": query.subject_visit.definition.code}

    def get_aging(self, query: DataQuery) -> dict:
        now = self.context.get("now") or timezone.now()
        return AgingSerializer(query.aging(now).as_dict()).data


class QueryMessageOutputSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.printed_name", read_only=True)
    from_status = DataQueryStatusField(
        read_only=True, allow_blank=True, help_text="Empty for the message that raised the query"
    )
    to_status = DataQueryStatusField(read_only=True)

    class Meta:
        model = QueryMessage
        fields = ["id", "author", "action", "from_status", "to_status", "text", "created_at"]
        read_only_fields = fields


class DataQueryCreateInputSerializer(serializers.Serializer):
    subject = serializers.IntegerField(min_value=1, help_text="Subject id")
    subject_visit = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="A visit of that subject (optional)",
    )
    form_name = serializers.CharField(max_length=100)
    field_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    text = serializers.CharField(max_length=4000)


class DataQueryActionInputSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=4000,
        required=False,
        allow_blank=True,
        default="",
        help_text="The answer, or the comment that goes with closing, re-opening or cancelling "
        "(required except when closing).",
    )


class DataQueryImportInputSerializer(serializers.Serializer):
    study = serializers.IntegerField(min_value=1, help_text="Study id")
    file = serializers.FileField(
        help_text="UTF-8 CSV: subject_id, visit_code (optional), form, field (optional), text, "
        "external_id"
    )


class ImportRowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    reason = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text="Data rows read")
    imported = serializers.IntegerField()
    rejected = serializers.IntegerField()
    created_ids = serializers.ListField(child=serializers.IntegerField())
    errors = ImportRowErrorSerializer(many=True)
