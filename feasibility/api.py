"""API: the question bank, feasibility questionnaires and the requests sent to sites. Thin:
reads through feasibility.selectors, writes through feasibility.services."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api import AuditContextMixin
from accounts.models import Organization, OrganizationKind
from core.api import ErrorSerializer
from core.exceptions import ApplicationError, PermissionDenied
from feasibility import access, prefill, selectors, services
from feasibility.models import FeasibilityRequest, Questionnaire, QuestionnaireItem
from feasibility.serializers import (
    AnswerOutSerializer,
    AnswersInSerializer,
    DeclineInSerializer,
    FeasibilityRequestCroSerializer,
    FeasibilityRequestSerializer,
    ItemAddSerializer,
    NotesInSerializer,
    QuestionCreateSerializer,
    QuestionnaireCreateSerializer,
    QuestionnaireFilterSerializer,
    QuestionnaireSerializer,
    QuestionSerializer,
    RequestFilterSerializer,
    SelectInSerializer,
    SendSerializer,
)
from trials.api import ReadOnlyRolesCannotWrite, _query_filters

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input or a rule refused it."),
    403: OpenApiResponse(ErrorSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(ErrorSerializer, description="Not found (or not yours)."),
    409: OpenApiResponse(ErrorSerializer, description="Not allowed in the current status."),
}


@extend_schema(tags=["feasibility"])
class FeasibilityQuestionViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """The question bank: platform-standard questions and your CRO's own."""

    serializer_class = QuestionSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        return selectors.question_list(actor=self.request.user)

    @extend_schema(responses={200: QuestionSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(QuestionSerializer(page, many=True).data)

    @extend_schema(
        request=QuestionCreateSerializer,
        responses={201: QuestionSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        description="Add a question to your CRO's bank; its key is the key of its wording.",
    )
    def create(self, request):
        serializer = QuestionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        owners = access.question_bank_owner_ids(request.user)
        if not owners:
            raise PermissionDenied("Only CRO project managers add questions.")
        question = services.question_create(
            actor=request.user,
            owner=Organization.objects.get(pk=owners[0]),
            **serializer.validated_data,
        )
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["feasibility"])
class QuestionnaireViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """Feasibility questionnaires of the studies you manage or review (CRO side)."""

    serializer_class = QuestionnaireSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []
    lookup_url_kwarg = "questionnaire_id"

    def get_queryset(self) -> QuerySet[Questionnaire]:
        filters = _query_filters(self.request, QuestionnaireFilterSerializer)
        return selectors.questionnaire_list(
            actor=self.request.user, filters=filters
        ).prefetch_related(
            Prefetch(
                "items",
                queryset=QuestionnaireItem.objects.select_related("question").order_by("order"),
                to_attr="prefetched_items",
            )
        )

    def _get(self, questionnaire_id) -> Questionnaire:
        return get_object_or_404(self.get_queryset(), pk=questionnaire_id)

    @extend_schema(
        parameters=[QuestionnaireFilterSerializer],
        responses={200: QuestionnaireSerializer(many=True)},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(QuestionnaireSerializer(page, many=True).data)

    @extend_schema(responses={200: QuestionnaireSerializer, 404: ERRORS[404]})
    def retrieve(self, request, questionnaire_id=None):
        return Response(QuestionnaireSerializer(self._get(questionnaire_id)).data)

    @extend_schema(
        request=QuestionnaireCreateSerializer,
        responses={201: QuestionnaireSerializer, **ERRORS},
        description="Start a questionnaire for a study you manage.",
    )
    def create(self, request):
        serializer = QuestionnaireCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        study = get_object_or_404(
            selectors.feasibility_study_list(actor=request.user), pk=data.pop("study")
        )
        questionnaire = services.questionnaire_create(actor=request.user, study=study, **data)
        return Response(
            QuestionnaireSerializer(self._get(questionnaire.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=ItemAddSerializer,
        responses={201: QuestionnaireSerializer, **ERRORS},
        description="Add a bank question with its weight and scoring rule (draft only). Rules: "
        'yes/no {"expect": "yes"}; number {"min": 50, "max": 90}; choices '
        '{"points": {"Local": 100, "Central": 50}} (percent of the weight).',
    )
    @action(detail=True, methods=["post"])
    def items(self, request, questionnaire_id=None):
        questionnaire = self._get(questionnaire_id)
        serializer = ItemAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        question = (
            selectors.question_list(actor=request.user).filter(pk=data.pop("question")).first()
        )
        if question is None:
            raise ApplicationError("Unknown question.", fields={"question": ["Not in your bank."]})
        services.questionnaire_item_add(
            actor=request.user, questionnaire=questionnaire, question=question, **data
        )
        return Response(
            QuestionnaireSerializer(self._get(questionnaire.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=SendSerializer,
        responses={201: FeasibilityRequestCroSerializer(many=True), **ERRORS},
        description="Send the questionnaire to research sites with a due date.",
    )
    @action(detail=True, methods=["post"])
    def send(self, request, questionnaire_id=None):
        questionnaire = self._get(questionnaire_id)
        serializer = SendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data["sites"]
        sites = list(Organization.objects.filter(pk__in=ids, kind=OrganizationKind.SITE))
        if len(sites) != len(set(ids)):
            raise ApplicationError("Unknown site.", fields={"sites": ["Choose research sites."]})
        created = services.questionnaire_send(
            actor=request.user,
            questionnaire=questionnaire,
            sites=sites,
            due_date=serializer.validated_data["due_date"],
        )
        created = selectors.request_list(actor=request.user).filter(pk__in=[r.pk for r in created])
        return Response(
            FeasibilityRequestCroSerializer(created, many=True).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["feasibility"])
class FeasibilityRequestViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """Feasibility requests: sent to your site (from any CRO), or sent by your studies."""

    serializer_class = FeasibilityRequestSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []
    lookup_url_kwarg = "feasibility_request_id"

    def get_queryset(self) -> QuerySet[FeasibilityRequest]:
        filters = _query_filters(self.request, RequestFilterSerializer)
        return selectors.request_list(actor=self.request.user, filters=filters)

    def _get(self, feasibility_request_id) -> FeasibilityRequest:
        return selectors.request_get(
            actor=self.request.user, feasibility_request_id=feasibility_request_id
        )

    def _detail(self, fr: FeasibilityRequest) -> dict:
        fr = self._get(fr.pk)
        side = selectors.request_side(actor=self.request.user, request=fr)
        items = selectors.questionnaire_items(questionnaire=fr.questionnaire)
        offered = {}
        if side == selectors.SITE:
            data = FeasibilityRequestSerializer(fr).data
            answers = selectors.request_answers(request=fr)
            if fr.is_open:
                offered = prefill.suggestions(request=fr, items=items)
        else:
            data = FeasibilityRequestCroSerializer(fr).data
            answers = selectors.request_answers(request=fr) if fr.submitted_at else {}
        card = selectors.scorecard(items=items, answers=answers)
        data["answers"] = AnswerOutSerializer(
            card.rows, many=True, context={"offered": offered}
        ).data
        return data

    @extend_schema(
        parameters=[RequestFilterSerializer],
        responses={200: FeasibilityRequestSerializer(many=True)},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(FeasibilityRequestSerializer(page, many=True).data)

    @extend_schema(
        responses={200: FeasibilityRequestSerializer, 404: ERRORS[404]},
        description="One request with its answers. The site also sees values offered from its "
        "profile and earlier answers (`prefill`); the CRO sees answers once submitted, with "
        "points per question and its own notes.",
    )
    def retrieve(self, request, feasibility_request_id=None):
        return Response(self._detail(self._get(feasibility_request_id)))

    def _answer(self, request, feasibility_request_id, submit: bool):
        fr = self._get(feasibility_request_id)
        serializer = AnswersInSerializer(data=request.data or {"answers": {}})
        serializer.is_valid(raise_exception=True)
        try:
            answers = {int(k): v for k, v in serializer.validated_data["answers"].items()}
            comments = {int(k): v for k, v in serializer.validated_data["comments"].items()}
        except ValueError as exc:
            raise ApplicationError("Answer keys are item ids.") from exc
        services.feasibility_request_answer(
            actor=request.user, request=fr, answers=answers, comments=comments, submit=submit
        )
        return Response(self._detail(fr))

    @extend_schema(
        request=AnswersInSerializer,
        responses={200: FeasibilityRequestSerializer, **ERRORS},
        description="Save answers as a draft (site people).",
    )
    @action(detail=True, methods=["post"])
    def answers(self, request, feasibility_request_id=None):
        return self._answer(request, feasibility_request_id, submit=False)

    @extend_schema(
        request=AnswersInSerializer,
        responses={200: FeasibilityRequestSerializer, **ERRORS},
        description="Submit the answers to the CRO (optionally with last changes).",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, feasibility_request_id=None):
        return self._answer(request, feasibility_request_id, submit=True)

    @extend_schema(request=None, responses={200: FeasibilityRequestCroSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def shortlist(self, request, feasibility_request_id=None):
        fr = services.feasibility_request_shortlist(
            actor=request.user, request=self._get(feasibility_request_id)
        )
        return Response(self._detail(fr))

    @extend_schema(
        request=SelectInSerializer,
        responses={200: FeasibilityRequestCroSerializer, **ERRORS},
        description="Select the site: creates the study-site (status selected) with this number.",
    )
    @action(detail=True, methods=["post"])
    def select(self, request, feasibility_request_id=None):
        fr = self._get(feasibility_request_id)
        serializer = SelectInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fr = services.feasibility_request_select(
            actor=request.user, request=fr, **serializer.validated_data
        )
        return Response(self._detail(fr))

    @extend_schema(
        request=DeclineInSerializer,
        responses={200: FeasibilityRequestCroSerializer, **ERRORS},
        description="Decline the site; it receives a polite note (plus your optional message).",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, feasibility_request_id=None):
        fr = self._get(feasibility_request_id)
        serializer = DeclineInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fr = services.feasibility_request_decline(
            actor=request.user, request=fr, **serializer.validated_data
        )
        return Response(self._detail(fr))

    @extend_schema(
        request=NotesInSerializer, responses={200: FeasibilityRequestCroSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def notes(self, request, feasibility_request_id=None):
        fr = self._get(feasibility_request_id)
        serializer = NotesInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fr = services.feasibility_request_note(
            actor=request.user, request=fr, notes=serializer.validated_data["notes"]
        )
        return Response(self._detail(fr))
