"""API: adverse events and SAE reports. Thin: reads through safety.selectors, writes through
safety.services; the access rule is trials.access."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api import AuditContextMixin
from core.api import ErrorSerializer
from safety import selectors, services
from safety.models import AdverseEvent
from safety.serializers import (
    AdverseEventCreateInputSerializer,
    AdverseEventFilterSerializer,
    AdverseEventOutputSerializer,
    CorrectionInputSerializer,
    FollowUpInputSerializer,
)
from trials.api import ReadOnlyRolesCannotWrite

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input or a rule refused it."),
    403: OpenApiResponse(ErrorSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(ErrorSerializer, description="Not found (or not yours)."),
    409: OpenApiResponse(ErrorSerializer, description="The report's status does not allow it."),
}


@extend_schema(tags=["adverse-events"])
class AdverseEventViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """Adverse events and SAE reports you can see, with each serious report's 24-hour clock."""

    serializer_class = AdverseEventOutputSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []
    lookup_url_kwarg = "adverse_event_id"

    def get_queryset(self) -> QuerySet[AdverseEvent]:
        serializer = AdverseEventFilterSerializer(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return selectors.adverse_event_list(
            actor=self.request.user, filters=dict(serializer.validated_data)
        )

    def _get(self, adverse_event_id) -> AdverseEvent:
        return selectors.adverse_event_get(
            actor=self.request.user, adverse_event_id=adverse_event_id
        )

    def _out(self, adverse_event: AdverseEvent, http_status=status.HTTP_200_OK) -> Response:
        fresh = self._get(adverse_event.pk)
        return Response(AdverseEventOutputSerializer(fresh).data, status=http_status)

    @extend_schema(
        parameters=[AdverseEventFilterSerializer],
        responses={200: AdverseEventOutputSerializer(many=True), 400: ERRORS[400]},
        description="Reports you can see: a site's across all its CROs; a CRO's for its "
        "studies; a sponsor's for its studies.",
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AdverseEventOutputSerializer(page, many=True).data)

    @extend_schema(
        responses={200: AdverseEventOutputSerializer, 404: ERRORS[404]},
        description="One report with its clock.",
    )
    def retrieve(self, request, adverse_event_id=None):
        return Response(AdverseEventOutputSerializer(self._get(adverse_event_id)).data)

    @extend_schema(
        request=AdverseEventCreateInputSerializer,
        responses={201: AdverseEventOutputSerializer, **ERRORS},
        description="The site reports an adverse event for a subject. Any seriousness criterion "
        "makes it serious: then awareness_at is required and the 24-hour clock starts there; "
        "submit=true sends it to the CRO now, otherwise it stays a draft.",
    )
    def create(self, request):
        serializer = AdverseEventCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        subject = (
            selectors.visible_subjects(actor=request.user).filter(pk=data.pop("subject")).first()
        )
        if subject is None:
            raise serializers.ValidationError({"subject": ["Unknown subject."]})
        adverse_event = services.adverse_event_report(actor=request.user, subject=subject, **data)
        return self._out(adverse_event, status.HTTP_201_CREATED)

    @extend_schema(
        request=CorrectionInputSerializer,
        responses={200: AdverseEventOutputSerializer, **ERRORS},
        description="Correct a report not yet submitted. A reason is required and kept in the "
        "audit trail; a submitted report is never changed (add a follow-up).",
    )
    def partial_update(self, request, adverse_event_id=None):
        adverse_event = self._get(adverse_event_id)
        serializer = CorrectionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        reason = changes.pop("reason")
        services.adverse_event_correct(
            actor=request.user, adverse_event=adverse_event, reason=reason, **changes
        )
        return self._out(adverse_event)

    @extend_schema(
        request=None,
        responses={200: AdverseEventOutputSerializer, **ERRORS},
        description="Submit a serious report to the CRO. After awareness + 24 h it is marked "
        "late, for good.",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, adverse_event_id=None):
        adverse_event = services.adverse_event_submit(
            actor=request.user, adverse_event=self._get(adverse_event_id)
        )
        return self._out(adverse_event)

    @extend_schema(
        request=None,
        responses={200: AdverseEventOutputSerializer, **ERRORS},
        description="CRO safety acknowledges a submitted report (who and when are recorded).",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, adverse_event_id=None):
        adverse_event = services.adverse_event_acknowledge(
            actor=request.user, adverse_event=self._get(adverse_event_id)
        )
        return self._out(adverse_event)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: AdverseEventOutputSerializer(many=True), 404: ERRORS[404]},
        description="The follow-up reports of this report's initial SAE, in order.",
    )
    @extend_schema(
        methods=["POST"],
        request=FollowUpInputSerializer,
        responses={201: AdverseEventOutputSerializer, **ERRORS},
        description="Add a follow-up to a submitted SAE: a new numbered report linked to the "
        "initial one (which stays unchanged), starting from the latest values.",
    )
    @action(detail=True, methods=["get", "post"], url_path="follow-ups")
    def follow_ups(self, request, adverse_event_id=None):
        adverse_event = self._get(adverse_event_id)
        if request.method == "GET":
            rows = selectors.follow_up_list(actor=request.user, adverse_event=adverse_event)
            return Response(AdverseEventOutputSerializer(rows, many=True).data)
        serializer = FollowUpInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        follow_up = services.adverse_event_follow_up(
            actor=request.user,
            adverse_event=adverse_event,
            awareness_at=data.pop("awareness_at"),
            submit=data.pop("submit"),
            **data,
        )
        return self._out(follow_up, status.HTTP_201_CREATED)
