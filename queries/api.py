"""API: data queries, their threads, the actions that move them, and the CSV import. Thin:
reads through queries.selectors, writes through queries.services."""

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api import AuditContextMixin
from core.api import ErrorSerializer
from queries import selectors, services
from queries.models import DataQuery
from queries.serializers import (
    DataQueryActionInputSerializer,
    DataQueryCreateInputSerializer,
    DataQueryFilterSerializer,
    DataQueryImportInputSerializer,
    DataQueryOutputSerializer,
    ImportReportSerializer,
    QueryMessageOutputSerializer,
)
from trials.api import ReadOnlyRolesCannotWrite

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input or a rule refused it."),
    403: OpenApiResponse(ErrorSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(ErrorSerializer, description="Not found (or not yours)."),
}
CONFLICT = {409: OpenApiResponse(ErrorSerializer, description="The query's status forbids it.")}


@extend_schema(tags=["data-queries"])
class DataQueryViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """Data queries you can see: site staff see every CRO's queries on their subjects; CRO
    staff see their CRO's queries at the study-sites they may see."""

    serializer_class = DataQueryOutputSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []
    lookup_url_kwarg = "data_query_id"
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[DataQuery]:
        serializer = DataQueryFilterSerializer(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return selectors.data_query_table(
            actor=self.request.user, filters=dict(serializer.validated_data)
        )

    def _out(self, query: DataQuery, **kwargs) -> Response:
        query = selectors.data_query_get(actor=self.request.user, data_query_id=query.pk)
        return Response(DataQueryOutputSerializer(query).data, **kwargs)

    @extend_schema(
        parameters=[DataQueryFilterSerializer],
        responses={200: DataQueryOutputSerializer(many=True), 400: ERRORS[400]},
        description="Queries you can see, newest first, with their aging.",
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        context = {"now": timezone.now()}
        return self.get_paginated_response(
            DataQueryOutputSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        responses={200: DataQueryOutputSerializer, 404: ERRORS[404]}, description="One query."
    )
    def retrieve(self, request, data_query_id=None):
        query = selectors.data_query_get(actor=request.user, data_query_id=data_query_id)
        return Response(DataQueryOutputSerializer(query).data)

    @extend_schema(
        request=DataQueryCreateInputSerializer,
        responses={201: DataQueryOutputSerializer, **ERRORS},
        description="Raise a query on a subject (the study-site's CRA or a data manager of "
        "the CRO). It starts open, waiting on the site.",
    )
    def create(self, request):
        serializer = DataQueryCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            subject = selectors.subject_for_query(
                actor=request.user, subject_id=data.pop("subject")
            )
        except Http404 as exc:  # same answer for a missing subject and another tenant's
            raise serializers.ValidationError(
                {"subject": ["Choose a subject you can see."]}
            ) from exc
        visit_id = data.pop("subject_visit")
        visit = None
        if visit_id is not None:
            visit = (
                selectors.subject_visits_for_query(actor=request.user, subject=subject)
                .filter(pk=visit_id)
                .first()
            )
            if visit is None:
                raise serializers.ValidationError(
                    {"subject_visit": ["Choose a visit of this subject."]}
                )
        query = services.data_query_raise(
            actor=request.user, subject=subject, subject_visit=visit, **data
        )
        return self._out(query, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: QueryMessageOutputSerializer(many=True), 404: ERRORS[404]},
        description="The query's thread, oldest message first: every message with its author, "
        "time and the action it went with.",
    )
    @action(detail=True, methods=["get"])
    def messages(self, request, data_query_id=None):
        query = selectors.data_query_get(actor=request.user, data_query_id=data_query_id)
        page = self.paginate_queryset(
            selectors.data_query_messages(actor=request.user, data_query=query)
        )
        return self.get_paginated_response(QueryMessageOutputSerializer(page, many=True).data)

    def _act(self, request, data_query_id, service) -> Response:
        query = selectors.data_query_get(actor=request.user, data_query_id=data_query_id)
        serializer = DataQueryActionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        query = service(
            actor=request.user, data_query=query, text=serializer.validated_data["text"]
        )
        return self._out(query)

    @extend_schema(
        request=DataQueryActionInputSerializer,
        responses={200: DataQueryOutputSerializer, **ERRORS, **CONFLICT},
        description="The site answers an open or re-opened query (text required).",
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, data_query_id=None):
        return self._act(request, data_query_id, services.data_query_answer)

    @extend_schema(
        request=DataQueryActionInputSerializer,
        responses={200: DataQueryOutputSerializer, **ERRORS, **CONFLICT},
        description="The CRO side accepts an answered query (comment optional).",
    )
    @action(detail=True, methods=["post"])
    def close(self, request, data_query_id=None):
        return self._act(request, data_query_id, services.data_query_close)

    @extend_schema(
        request=DataQueryActionInputSerializer,
        responses={200: DataQueryOutputSerializer, **ERRORS, **CONFLICT},
        description="The CRO side sends an answered query back to the site (comment required).",
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, data_query_id=None):
        return self._act(request, data_query_id, services.data_query_reopen)

    @extend_schema(
        request=DataQueryActionInputSerializer,
        responses={200: DataQueryOutputSerializer, **ERRORS, **CONFLICT},
        description="The CRO side cancels an open or re-opened query raised in error "
        "(reason required).",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, data_query_id=None):
        return self._act(request, data_query_id, services.data_query_cancel)

    @extend_schema(
        request={"multipart/form-data": DataQueryImportInputSerializer},
        responses={200: ImportReportSerializer, **ERRORS},
        description="Import queries from an EDC's CSV export (one row per query). Invalid rows "
        "are reported by line number; valid rows are imported; an external id already "
        "imported is never imported twice.",
    )
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_csv(self, request):
        serializer = DataQueryImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        study = selectors.study_for_import(
            actor=request.user, study_id=serializer.validated_data["study"]
        )
        report = services.data_query_import(
            actor=request.user, study=study, uploaded_file=serializer.validated_data["file"]
        )
        return Response(
            ImportReportSerializer(
                {
                    "rows": report.rows,
                    "imported": report.imported,
                    "rejected": report.rejected,
                    "created_ids": report.created_ids,
                    "errors": report.errors,
                }
            ).data
        )
