"""API shapes for feasibility. Types and lookups only; every rule is in feasibility.services."""

from rest_framework import serializers

from feasibility.models import (
    FeasibilityRequest,
    ProfileField,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireItem,
    RequestStatus,
)
from trials.serializers import SiteRefSerializer, StudyRefSerializer


class QuestionSerializer(serializers.ModelSerializer):
    is_standard = serializers.BooleanField(read_only=True)

    class Meta:
        model = Question
        fields = [
            "id",
            "key",
            "text",
            "kind",
            "options",
            "help_text",
            "profile_field",
            "reuse_answers",
            "is_standard",
        ]
        read_only_fields = fields


class QuestionCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    options = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list
    )
    help_text = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    profile_field = serializers.ChoiceField(
        choices=ProfileField.choices, required=False, default="", allow_blank=True
    )
    reuse_answers = serializers.BooleanField(required=False, default=True)


class ItemSerializer(serializers.ModelSerializer):
    question = QuestionSerializer(read_only=True)

    class Meta:
        model = QuestionnaireItem
        fields = ["id", "order", "question", "weight", "rule", "required"]
        read_only_fields = fields


class QuestionnaireSerializer(serializers.ModelSerializer):
    study = StudyRefSerializer(read_only=True)
    items = serializers.SerializerMethodField()

    class Meta:
        model = Questionnaire
        fields = ["id", "study", "title", "instructions", "status", "created_at", "items"]
        read_only_fields = fields

    def get_items(self, obj) -> list[dict]:
        items = getattr(obj, "prefetched_items", None)
        if items is None:
            return []
        return ItemSerializer(items, many=True).data


class QuestionnaireCreateSerializer(serializers.Serializer):
    study = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=200)
    instructions = serializers.CharField(required=False, default="", allow_blank=True)


class ItemAddSerializer(serializers.Serializer):
    question = serializers.IntegerField(min_value=1)
    weight = serializers.IntegerField(min_value=0, max_value=100, default=0)
    rule = serializers.DictField(required=False, default=dict)
    required = serializers.BooleanField(required=False, default=True)


class SendSerializer(serializers.Serializer):
    sites = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1)
    due_date = serializers.DateField()


class QuestionnaireFilterSerializer(serializers.Serializer):
    study = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(choices=["draft", "sent"], required=False)
    q = serializers.CharField(required=False, max_length=100)


class AnswerOutSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item.pk")
    key = serializers.CharField(source="item.question.key")
    question = serializers.CharField(source="item.question.text")
    kind = serializers.CharField(source="item.question.kind")
    value = serializers.JSONField()
    comment = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField()
    points = serializers.DecimalField(max_digits=8, decimal_places=2, source="score.points")
    max_points = serializers.DecimalField(max_digits=8, decimal_places=2, source="score.maximum")
    prefill = serializers.SerializerMethodField(
        help_text="For an unanswered item: the value offered from the site's profile or earlier "
        "answer (site side only)"
    )

    def get_comment(self, row) -> str:
        return row.answer.comment if row.answer else ""

    def get_source(self, row) -> str:
        return row.answer.source if row.answer else ""

    def get_prefill(self, row) -> dict | None:
        offered = self.context.get("offered", {}).get(row.item.pk)
        if offered is None or row.answer is not None:
            return None
        return {"value": offered.value, "source": offered.source, "label": offered.label}


class FeasibilityRequestSerializer(serializers.ModelSerializer):
    questionnaire = serializers.SerializerMethodField()
    study = StudyRefSerializer(source="questionnaire.study", read_only=True)
    site = SiteRefSerializer(read_only=True)
    score_percent = serializers.IntegerField(read_only=True, allow_null=True)
    study_site = serializers.IntegerField(source="study_site_id", read_only=True, allow_null=True)

    class Meta:
        model = FeasibilityRequest
        fields = [
            "id",
            "questionnaire",
            "study",
            "site",
            "status",
            "due_date",
            "sent_at",
            "submitted_at",
            "score_points",
            "score_max",
            "score_percent",
            "decision_message",
            "study_site",
        ]
        read_only_fields = fields

    def get_questionnaire(self, obj) -> dict:
        return {"id": obj.questionnaire_id, "title": obj.questionnaire.title}


class FeasibilityRequestCroSerializer(FeasibilityRequestSerializer):
    """The CRO's view adds its own notes (never shown to the site)."""

    class Meta(FeasibilityRequestSerializer.Meta):
        fields = [*FeasibilityRequestSerializer.Meta.fields, "cro_notes"]
        read_only_fields = fields


class RequestFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["open", *RequestStatus.values], required=False, help_text="open = not submitted"
    )
    questionnaire = serializers.IntegerField(required=False, min_value=1)
    q = serializers.CharField(required=False, max_length=100)
    sort = serializers.ChoiceField(
        choices=["due", "-due", "site", "status", "score"], required=False
    )


class AnswersInSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        help_text='Item id → value, e.g. {"12": "yes", "13": "250", "14": ["REDCap"]}',
    )
    comments = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=500), required=False, default=dict
    )


class SelectInSerializer(serializers.Serializer):
    site_number = serializers.CharField(max_length=20)
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class DeclineInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    message = serializers.CharField(required=False, default="", allow_blank=True)


class NotesInSerializer(serializers.Serializer):
    notes = serializers.CharField(allow_blank=True)
