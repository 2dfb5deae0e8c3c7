"""API: studies and the sites taking part in them. Thin: reads through trials.selectors,
writes through trials.services; the access rule is trials.access."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from accounts.api import AuditContextMixin
from core.api import ErrorSerializer
from core.exceptions import ApplicationError, PermissionDenied
from trials import access, metrics
from trials.metrics import site_org_ids
from trials.models import Study, StudySite, StudyUpdate, Subject, SubjectVisit
from trials.selectors import (
    site_org_ids as site_org_ids_of,
)
from trials.selectors import (
    study_get,
    study_list,
    study_site_get,
    study_site_list,
    study_update_get,
    study_update_list,
    subject_get,
    subject_log,
    subject_visit_get,
    subject_visit_list,
)
from trials.serializers import (
    STUDY_ORDERING,
    STUDY_SITE_ORDERING,
    AgreementInputSerializer,
    EnrollmentMetricsSerializer,
    IPReconciliationInputSerializer,
    StudyCreateInputSerializer,
    StudyFilterSerializer,
    StudyOutputSerializer,
    StudySiteFilterSerializer,
    StudySiteOutputSerializer,
    StudySiteRecordsOutputSerializer,
    StudySiteTransitionInputSerializer,
    StudyUpdateCreateInputSerializer,
    StudyUpdateFilterSerializer,
    StudyUpdateInputSerializer,
    StudyUpdateOutputSerializer,
    SubjectCreateInputSerializer,
    SubjectFilterSerializer,
    SubjectOutputSerializer,
    SubjectTransitionInputSerializer,
    SubjectVisitCompleteInputSerializer,
    SubjectVisitCorrectInputSerializer,
    SubjectVisitFilterSerializer,
    SubjectVisitMissInputSerializer,
    SubjectVisitOutputSerializer,
)
from trials.services import (
    study_create,
    study_site_reconcile_ip,
    study_site_record_agreement,
    study_site_transition,
    study_update,
    study_update_confirm,
    study_update_mark_read,
    study_update_post,
    subject_register,
    subject_transition,
    subject_visit_complete,
    subject_visit_correct,
    subject_visit_miss,
)

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

    @extend_schema(
        request=AgreementInputSerializer,
        responses={200: StudySiteRecordsOutputSerializer, 409: ERRORS[400], **ERRORS},
        description="Record the date the clinical trial agreement was signed (activation "
        "checklist). Changing a recorded date needs a reason.",
    )
    @action(detail=True, methods=["post"])
    def agreement(self, request, study_site_id=None):
        study_site = study_site_get(actor=request.user, study_site_id=study_site_id)
        serializer = AgreementInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        study_site = study_site_record_agreement(
            actor=request.user, study_site=study_site, **serializer.validated_data
        )
        return Response(StudySiteRecordsOutputSerializer(study_site).data)

    @extend_schema(
        request=IPReconciliationInputSerializer,
        responses={200: StudySiteRecordsOutputSerializer, 409: ERRORS[400], **ERRORS},
        description="Attest the investigational product reconciled (close-out checklist): "
        "the assigned CRA or a study lead, once.",
    )
    @action(detail=True, methods=["post"], url_path="ip-reconciliation")
    def ip_reconciliation(self, request, study_site_id=None):
        study_site = study_site_get(actor=request.user, study_site_id=study_site_id)
        serializer = IPReconciliationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        study_site = study_site_reconcile_ip(
            actor=request.user, study_site=study_site, **serializer.validated_data
        )
        return Response(StudySiteRecordsOutputSerializer(study_site).data)


# --- enrollment metrics on studies and study-sites -------------------------------------------


@extend_schema(
    tags=["studies"],
    responses={200: EnrollmentMetricsSerializer, 404: ERRORS[404]},
    description="Screened, enrolled, screen-failure rate, enrolled vs target over time and "
    "enrollment by demographic category against the study's diversity goals, over the "
    "study-sites you can see. Outside the site, groups under 5 are suppressed (count null).",
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def study_enrollment_metrics(request, study_id=None):
    study = study_get(actor=request.user, study_id=study_id)
    data = metrics.study_enrollment(actor=request.user, study=study)
    return Response(EnrollmentMetricsSerializer(data).data)


@extend_schema(
    tags=["study-sites"],
    responses={200: EnrollmentMetricsSerializer, 404: ERRORS[404]},
    description="Enrollment metrics of one study-site (see the study endpoint).",
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def study_site_enrollment_metrics(request, study_site_id=None):
    study_site = study_site_get(actor=request.user, study_site_id=study_site_id)
    data = metrics.study_site_enrollment(actor=request.user, study_site=study_site)
    return Response(EnrollmentMetricsSerializer(data).data)


# --- subjects ---------------------------------------------------------------------------------


@extend_schema(tags=["subjects"])
class SubjectViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """The enrollment log: subjects (pseudonymous ids only) of the study-sites you can see.
    Only the site's own staff register subjects and change their status."""

    serializer_class = SubjectOutputSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []
    lookup_url_kwarg = "subject_id"

    def get_queryset(self) -> QuerySet[Subject]:
        filters = _query_filters(self.request, SubjectFilterSerializer)
        return subject_log(actor=self.request.user, filters=filters)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "site_org_ids": site_org_ids(self.request.user)}

    def _out(self, subject_id) -> dict:
        subject = subject_log(actor=self.request.user).get(pk=subject_id)
        return SubjectOutputSerializer(subject, context=self.get_serializer_context()).data

    @extend_schema(
        parameters=[SubjectFilterSerializer],
        responses={200: SubjectOutputSerializer(many=True), 400: ERRORS[400]},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            SubjectOutputSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(responses={200: SubjectOutputSerializer, 404: ERRORS[404]})
    def retrieve(self, request, subject_id=None):
        subject = subject_get(actor=request.user, subject_id=subject_id)
        return Response(self._out(subject.pk))

    @extend_schema(
        request=SubjectCreateInputSerializer,
        responses={201: SubjectOutputSerializer, **ERRORS},
        description="Register a subject at screening; the id comes from the study's pattern.",
    )
    def create(self, request):
        serializer = SubjectCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        study_site = study_site_get(actor=request.user, study_site_id=data.pop("study_site"))
        subject = subject_register(actor=request.user, study_site=study_site, **data)
        return Response(self._out(subject.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=SubjectTransitionInputSerializer,
        responses={200: SubjectOutputSerializer, 409: ERRORS[400], **ERRORS},
        description="screening → enrolled (schedules the visits) | screen_failed (reason); "
        "enrolled → completed | withdrawn (reason).",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, subject_id=None):
        subject = subject_get(actor=request.user, subject_id=subject_id)
        serializer = SubjectTransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subject_transition(actor=request.user, subject=subject, **serializer.validated_data)
        return Response(self._out(subject.pk))


@extend_schema(tags=["subject-visits"])
class SubjectVisitViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """Scheduled visits of the subjects you can see; the site records them."""

    serializer_class = SubjectVisitOutputSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []
    lookup_url_kwarg = "subject_visit_id"

    def get_queryset(self) -> QuerySet[SubjectVisit]:
        filters = _query_filters(self.request, SubjectVisitFilterSerializer)
        return subject_visit_list(actor=self.request.user, filters=filters)

    def _out(self, visit_id) -> dict:
        visit = subject_visit_get(actor=self.request.user, subject_visit_id=visit_id)
        return SubjectVisitOutputSerializer(visit).data

    @extend_schema(
        parameters=[SubjectVisitFilterSerializer],
        responses={200: SubjectVisitOutputSerializer(many=True), 400: ERRORS[400]},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SubjectVisitOutputSerializer(page, many=True).data)

    @extend_schema(responses={200: SubjectVisitOutputSerializer, 404: ERRORS[404]})
    def retrieve(self, request, subject_visit_id=None):
        return Response(self._out(subject_visit_id))

    @extend_schema(
        request=SubjectVisitCompleteInputSerializer,
        responses={200: SubjectVisitOutputSerializer, 409: ERRORS[400], **ERRORS},
        description="Record a scheduled visit as completed; a date outside the window flags "
        "it out of window (protocol deviation).",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, subject_visit_id=None):
        visit = subject_visit_get(actor=request.user, subject_visit_id=subject_visit_id)
        serializer = SubjectVisitCompleteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subject_visit_complete(actor=request.user, subject_visit=visit, **serializer.validated_data)
        return Response(self._out(visit.pk))

    @extend_schema(
        request=SubjectVisitMissInputSerializer,
        responses={200: SubjectVisitOutputSerializer, 409: ERRORS[400], **ERRORS},
        description="Record that a scheduled visit did not take place.",
    )
    @action(detail=True, methods=["post"])
    def missed(self, request, subject_visit_id=None):
        visit = subject_visit_get(actor=request.user, subject_visit_id=subject_visit_id)
        serializer = SubjectVisitMissInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subject_visit_miss(actor=request.user, subject_visit=visit, **serializer.validated_data)
        return Response(self._out(visit.pk))

    @extend_schema(
        request=SubjectVisitCorrectInputSerializer,
        responses={200: SubjectVisitOutputSerializer, 409: ERRORS[400], **ERRORS},
        description="Correct a recorded visit, with a reason kept in the audit trail.",
    )
    @action(detail=True, methods=["post"])
    def correct(self, request, subject_visit_id=None):
        visit = subject_visit_get(actor=request.user, subject_visit_id=subject_visit_id)
        serializer = SubjectVisitCorrectInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subject_visit_correct(actor=request.user, subject_visit=visit, **serializer.validated_data)
        return Response(self._out(visit.pk))


# --- study updates ------------------------------------------------------------------------------


@extend_schema(tags=["study-updates"])
class StudyUpdateViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """Updates a CRO posts to the sites of a study; each receiving site reads and, where asked,
    confirms them. A site sees only the updates sent to it, and only its own copy."""

    serializer_class = StudyUpdateOutputSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []
    lookup_url_kwarg = "study_update_id"

    def get_queryset(self) -> QuerySet[StudyUpdate]:
        filters = _query_filters(self.request, StudyUpdateFilterSerializer)
        return study_update_list(actor=self.request.user, filters=filters, with_recipients=True)

    @extend_schema(
        parameters=[StudyUpdateFilterSerializer],
        responses={200: StudyUpdateOutputSerializer(many=True), 400: ERRORS[400]},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(StudyUpdateOutputSerializer(page, many=True).data)

    @extend_schema(responses={200: StudyUpdateOutputSerializer, 404: ERRORS[404]})
    def retrieve(self, request, study_update_id=None):
        update = study_update_get(actor=request.user, study_update_id=study_update_id)
        return Response(StudyUpdateOutputSerializer(update).data)

    @extend_schema(
        request=StudyUpdateCreateInputSerializer,
        responses={201: StudyUpdateOutputSerializer, **ERRORS},
        description="Post an update to chosen study-sites of a study (all open ones when none "
        "are given); the sites' people are notified in the app.",
    )
    def create(self, request):
        serializer = StudyUpdateCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        study = study_get(actor=request.user, study_id=data.pop("study"))
        site_ids = data.pop("study_sites")
        study_sites = list(study_site_list(actor=request.user).filter(pk__in=site_ids))
        if len(study_sites) != len(set(site_ids)):
            raise ApplicationError(
                "Choose open study-sites of this study only.",
                fields={"study_sites": ["Unknown study-site."]},
            )
        update = study_update_post(actor=request.user, study=study, study_sites=study_sites, **data)
        update = study_update_get(actor=request.user, study_update_id=update.pk)
        return Response(StudyUpdateOutputSerializer(update).data, status=status.HTTP_201_CREATED)

    def _own_copies(self, request, study_update_id):
        update = study_update_get(actor=request.user, study_update_id=study_update_id)
        mine = set(site_org_ids_of(request.user))
        copies = [r for r in update.visible_recipients if r.study_site.site_id in mine]
        if not copies:
            raise PermissionDenied("Only the people of a receiving site read or confirm it.")
        return update, copies

    @extend_schema(
        request=None,
        responses={200: StudyUpdateOutputSerializer, 409: ERRORS[400], **ERRORS},
        description="Mark the update read for your site.",
    )
    @action(detail=True, methods=["post"])
    def read(self, request, study_update_id=None):
        update, copies = self._own_copies(request, study_update_id)
        for copy in copies:
            study_update_mark_read(actor=request.user, recipient=copy)
        update = study_update_get(actor=request.user, study_update_id=update.pk)
        return Response(StudyUpdateOutputSerializer(update).data)

    @extend_schema(
        request=None,
        responses={200: StudyUpdateOutputSerializer, 409: ERRORS[400], **ERRORS},
        description="Confirm, for your site, that the update was read (where the CRO asked "
        "for confirmation). Who confirmed and when are kept per site.",
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, study_update_id=None):
        update, copies = self._own_copies(request, study_update_id)
        for copy in copies:
            study_update_confirm(actor=request.user, recipient=copy)
        update = study_update_get(actor=request.user, study_update_id=update.pk)
        return Response(StudyUpdateOutputSerializer(update).data)
