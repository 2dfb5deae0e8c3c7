"""API: studies and the sites taking part in them. Thin: reads through trials.selectors,
writes through trials.services; the access rule is trials.access."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from accounts.api import AuditContextMixin
from core.api import ErrorSerializer
from trials import access
from trials.models import Study, StudySite
from trials.selectors import study_get, study_list, study_site_get, study_site_list
from trials.serializers import (
    STUDY_ORDERING,
    STUDY_SITE_ORDERING,
    StudyCreateInputSerializer,
    StudyFilterSerializer,
    StudyOutputSerializer,
    StudySiteFilterSerializer,
    StudySiteOutputSerializer,
    StudySiteTransitionInputSerializer,
    StudyUpdateInputSerializer,
)
from trials.services import study_create, study_site_transition, study_update

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input or a rule refused it."),
    403: OpenApiResponse(ErrorSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(ErrorSerializer, description="Not found (or not yours)."),
}


class ReadOnlyRolesCannotWrite(BasePermission):
    """Sponsor viewers (and anyone holding only read-only roles) may read but never write."""

    message = "Your access is read-only."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or not access.is_read_only(request.user)


def _query_filters(request, serializer_class) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _ordered(queryset: QuerySet, ordering: str | None, columns: dict) -> QuerySet:
    if not ordering:
        return queryset
    descending = ordering.startswith("-")
    prefix = "-" if descending else ""
    return queryset.order_by(
        *(f"{prefix}{column}" for column in columns[ordering.lstrip("-")]), f"{prefix}pk"
    )


@extend_schema(tags=["studies"])
class StudyViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """Studies you can see: all of your CRO's, those your organization sponsors, and those
    with a site of yours."""

    serializer_class = StudyOutputSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []
    lookup_url_kwarg = "study_id"

    def get_queryset(self) -> QuerySet[Study]:
        filters = _query_filters(self.request, StudyFilterSerializer)
        ordering = filters.pop("ordering", None)
        return _ordered(
            study_list(actor=self.request.user, filters=filters), ordering, STUDY_ORDERING
        )

    def _with_site_count(self, study: Study) -> Study:
        study.site_count = (
            study_list(actor=self.request.user)
            .filter(pk=study.pk)
            .values_list("site_count", flat=True)
            .get()
        )
        return study

    @extend_schema(
        parameters=[StudyFilterSerializer],
        responses={200: StudyOutputSerializer(many=True), 400: ERRORS[400]},
        description="Studies you can see: all of your CRO's (CRAs: those they lead or "
        "monitor), those your organization sponsors, and those with a site of yours.",
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(StudyOutputSerializer(page, many=True).data)

    @extend_schema(
        responses={200: StudyOutputSerializer, 404: ERRORS[404]}, description="One study."
    )
    def retrieve(self, request, study_id=None):
        study = self._with_site_count(study_get(actor=request.user, study_id=study_id))
        return Response(StudyOutputSerializer(study).data)

    @extend_schema(
        request=StudyCreateInputSerializer,
        responses={201: StudyOutputSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        description="Create a study run by one of your CRO organizations; you become its lead.",
    )
    def create(self, request):
        serializer = StudyCreateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        study = study_create(actor=request.user, **serializer.validated_data)
        study.site_count = 0
        return Response(StudyOutputSerializer(study).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=StudyUpdateInputSerializer,
        responses={200: StudyOutputSerializer, **ERRORS},
        description="Change a study's entered data. A reason is required; it is kept in the "
        "audit trail with who changed what and when.",
    )
    def partial_update(self, request, study_id=None):
        study = study_get(actor=request.user, study_id=study_id)
        serializer = StudyUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        reason = changes.pop("reason")
        study_update(actor=request.user, study=study, reason=reason, **changes)
        study = self._with_site_count(study_get(actor=request.user, study_id=study.pk))
        return Response(StudyOutputSerializer(study).data)


@extend_schema(tags=["study-sites"])
class StudySiteViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """Study-sites you can see (one site's participation in one study)."""

    serializer_class = StudySiteOutputSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []
    lookup_url_kwarg = "study_site_id"

    def get_queryset(self) -> QuerySet[StudySite]:
        filters = _query_filters(self.request, StudySiteFilterSerializer)
        ordering = filters.pop("ordering", None)
        return _ordered(
            study_site_list(actor=self.request.user, filters=filters),
            ordering,
            STUDY_SITE_ORDERING,
        )

    def _get_with_counts(self, study_site_id) -> StudySite:
        study_site = study_site_get(actor=self.request.user, study_site_id=study_site_id)
        counts = (
            study_site_list(actor=self.request.user)
            .filter(pk=study_site.pk)
            .values("screened_count", "enrolled_count")
            .get()
        )
        for name, value in counts.items():
            setattr(study_site, name, value)
        return study_site

    @extend_schema(
        parameters=[StudySiteFilterSerializer],
        responses={200: StudySiteOutputSerializer(many=True), 400: ERRORS[400]},
        description="Study-sites you can see, with screening and enrollment counts.",
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(StudySiteOutputSerializer(page, many=True).data)

    @extend_schema(
        responses={200: StudySiteOutputSerializer, 404: ERRORS[404]},
        description="One study-site.",
    )
    def retrieve(self, request, study_site_id=None):
        return Response(StudySiteOutputSerializer(self._get_with_counts(study_site_id)).data)

    @extend_schema(
        request=StudySiteTransitionInputSerializer,
        responses={200: StudySiteOutputSerializer, **ERRORS},
        description="Move the study-site to its next status "
        "(candidate → selected → contracted → activated → enrolling → closed).",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, study_site_id=None):
        study_site = study_site_get(actor=request.user, study_site_id=study_site_id)
        serializer = StudySiteTransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        study_site_transition(
            actor=request.user, study_site=study_site, **serializer.validated_data
        )
        return Response(StudySiteOutputSerializer(self._get_with_counts(study_site.pk)).data)
