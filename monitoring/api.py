"""API: monitoring visits (with their report and workflow actions) and action items. Thin:
reads through monitoring.selectors, writes through monitoring.services."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api import AuditContextMixin
from core.api import ErrorSerializer
from core.exceptions import PermissionDenied
from monitoring import selectors, services
from monitoring.serializers import (
    ActionItemCreateInputSerializer,
    ActionItemFilterSerializer,
    ActionItemOutputSerializer,
    CompleteInputSerializer,
    FindingInputSerializer,
    FindingOutputSerializer,
    MonitoringSettingsInputSerializer,
    MonitoringSettingsOutputSerializer,
    PasswordInputSerializer,
    ProposeInputSerializer,
    ReasonInputSerializer,
    ReportOutputSerializer,
    RescheduleInputSerializer,
    ResolveInputSerializer,
    ReturnInputSerializer,
    SectionInputSerializer,
    VisitCreateInputSerializer,
    VisitFilterSerializer,
    VisitOutputSerializer,
)
from trials.api import ReadOnlyRolesCannotWrite

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input or a rule refused it."),
    403: OpenApiResponse(ErrorSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(ErrorSerializer, description="Not found (or not yours)."),
    409: OpenApiResponse(ErrorSerializer, description="Not allowed in the current status."),
}


def _input(serializer_class, request, **context):
    serializer = serializer_class(data=request.data, context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@extend_schema(tags=["monitoring-visits"])
class MonitoringVisitViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """Monitoring visits of the study-sites you can see, and their workflow: plan → confirm
    (or propose another date) → complete → report drafted → submitted → approved or
    returned."""

    serializer_class = VisitOutputSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []
    lookup_url_kwarg = "monitoring_visit_id"

    def get_queryset(self):
        return selectors.visit_table(
            actor=self.request.user, filters=_query(VisitFilterSerializer, self.request)
        )

    def _visit(self, monitoring_visit_id):
        return selectors.visit_get(actor=self.request.user, visit_id=monitoring_visit_id)

    def _answer(self, monitoring_visit_id, code=status.HTTP_200_OK):
        return Response(VisitOutputSerializer(self._visit(monitoring_visit_id)).data, status=code)

    @extend_schema(
        parameters=[VisitFilterSerializer],
        responses={200: VisitOutputSerializer(many=True), 400: ERRORS[400]},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(VisitOutputSerializer(page, many=True).data)

    @extend_schema(responses={200: VisitOutputSerializer, 404: ERRORS[404]})
    def retrieve(self, request, monitoring_visit_id=None):
        return self._answer(monitoring_visit_id)

    @extend_schema(
        request=VisitCreateInputSerializer,
        responses={201: VisitOutputSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        description="Plan a visit (assigned CRAs and study leads); the site is asked to confirm.",
    )
    def create(self, request):
        data = dict(_input(VisitCreateInputSerializer, request))
        visit = services.visit_plan(actor=request.user, **data)
        return self._answer(visit.pk, status.HTTP_201_CREATED)

    def _do(self, monitoring_visit_id, call, serializer_class=None):
        visit = self._visit(monitoring_visit_id)
        data = _input(serializer_class, self.request) if serializer_class else {}
        call(visit, data)
        return self._answer(visit.pk)

    @extend_schema(request=None, responses={200: VisitOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def confirm(self, request, monitoring_visit_id=None):
        """The site confirms the planned date; the confirmation letter is sent."""
        return self._do(
            monitoring_visit_id, lambda v, d: services.visit_confirm(actor=request.user, visit=v)
        )

    @extend_schema(request=ProposeInputSerializer, responses={200: VisitOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="propose-date")
    def propose_date(self, request, monitoring_visit_id=None):
        """The site proposes another date."""
        return self._do(
            monitoring_visit_id,
            lambda v, d: services.visit_propose_date(actor=request.user, visit=v, **d),
            ProposeInputSerializer,
        )

    @extend_schema(request=None, responses={200: VisitOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="accept-date")
    def accept_date(self, request, monitoring_visit_id=None):
        """The CRA accepts the site's proposed date; the visit is confirmed on it."""
        return self._do(
            monitoring_visit_id,
            lambda v, d: services.visit_accept_proposal(actor=request.user, visit=v),
        )

    @extend_schema(
        request=RescheduleInputSerializer, responses={200: VisitOutputSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request, monitoring_visit_id=None):
        return self._do(
            monitoring_visit_id,
            lambda v, d: services.visit_reschedule(actor=request.user, visit=v, **d),
            RescheduleInputSerializer,
        )

    @extend_schema(request=ReasonInputSerializer, responses={200: VisitOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request, monitoring_visit_id=None):
        return self._do(
            monitoring_visit_id,
            lambda v, d: services.visit_cancel(actor=request.user, visit=v, **d),
            ReasonInputSerializer,
        )

    @extend_schema(
        request=CompleteInputSerializer, responses={200: VisitOutputSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, monitoring_visit_id=None):
        """The visit took place (not in the future); SIV/COV record their milestone."""
        return self._do(
            monitoring_visit_id,
            lambda v, d: services.visit_complete(actor=request.user, visit=v, **d),
            CompleteInputSerializer,
        )

    def _report(self, visit):
        if not selectors.sees_reports(self.request.user, visit.study_site):
            raise PermissionDenied(
                "Visit reports are the CRO's record; your site receives the follow-up letter."
            )
        report = selectors.report_current(visit=visit)
        if report is None:
            raise Http404("The report starts when the CRA saves its first section.")
        return report

    @extend_schema(methods=["GET"], request=None, responses={200: ReportOutputSerializer, **ERRORS})
    @extend_schema(
        methods=["PATCH"],
        request=SectionInputSerializer,
        responses={200: ReportOutputSerializer, **ERRORS},
        description="Save one section of the report (draft or returned reports only).",
    )
    @action(detail=True, methods=["get", "patch"])
    def report(self, request, monitoring_visit_id=None):
        visit = self._visit(monitoring_visit_id)
        if request.method == "PATCH":
            data = _input(SectionInputSerializer, request)
            services.visit_report_section_save(
                actor=request.user, visit=visit, section=data["section"], data=data["values"]
            )
        return Response(ReportOutputSerializer(self._report(visit)).data)

    @extend_schema(
        request=FindingInputSerializer, responses={201: FindingOutputSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="report/findings")
    def findings(self, request, monitoring_visit_id=None):
        visit = self._visit(monitoring_visit_id)
        data = _input(FindingInputSerializer, request)
        finding = services.finding_add(actor=request.user, visit=visit, **data)
        return Response(FindingOutputSerializer(finding).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PasswordInputSerializer, responses={200: VisitOutputSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, monitoring_visit_id=None):
        """Sign (meaning: authored) and submit the report; required sections must be filled."""
        return self._do(
            monitoring_visit_id,
            lambda v, d: services.visit_report_submit(actor=request.user, visit=v, **d),
            PasswordInputSerializer,
        )

    @extend_schema(
        request=PasswordInputSerializer, responses={200: VisitOutputSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, monitoring_visit_id=None):
        """Approve (e-signature, meaning: approved); never by the report's author."""
        return self._do(
            monitoring_visit_id,
            lambda v, d: services.visit_report_approve(actor=request.user, visit=v, **d),
            PasswordInputSerializer,
        )

    @extend_schema(request=ReturnInputSerializer, responses={200: VisitOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return")
    def return_report(self, request, monitoring_visit_id=None):
        """Return the submitted report to the CRA with comments."""
        return self._do(
            monitoring_visit_id,
            lambda v, d: services.visit_report_return(actor=request.user, visit=v, **d),
            ReturnInputSerializer,
        )

    @extend_schema(request=ReasonInputSerializer, responses={200: VisitOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def correct(self, request, monitoring_visit_id=None):
        """Start a new version of an approved report, with the reason for the correction."""
        return self._do(
            monitoring_visit_id,
            lambda v, d: services.visit_report_correct(actor=request.user, visit=v, **d),
            ReasonInputSerializer,
        )

    @extend_schema(request=None, responses={200: VisitOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="acknowledge-letter")
    def acknowledge_letter(self, request, monitoring_visit_id=None):
        """The site acknowledges the follow-up letter."""

        def call(visit, data):
            letter = selectors.letter_current(visit=visit)
            if letter is None:
                raise Http404("There is no follow-up letter for this visit yet.")
            services.follow_up_letter_acknowledge(actor=request.user, letter=letter)

        return self._do(monitoring_visit_id, call)


@extend_schema(tags=["action-items"])
class ActionItemViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """Action items of the study-sites you can see: open → resolved (by the owner, with a
    note) → closed (by the CRA), or re-opened."""

    serializer_class = ActionItemOutputSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []
    lookup_url_kwarg = "action_item_id"

    def get_queryset(self):
        return selectors.action_item_table(
            actor=self.request.user, filters=_query(ActionItemFilterSerializer, self.request)
        )

    def _item(self, action_item_id):
        return selectors.action_item_get(actor=self.request.user, action_item_id=action_item_id)

    def _answer(self, action_item_id, code=status.HTTP_200_OK):
        return Response(ActionItemOutputSerializer(self._item(action_item_id)).data, status=code)

    @extend_schema(
        parameters=[ActionItemFilterSerializer],
        responses={200: ActionItemOutputSerializer(many=True), 400: ERRORS[400]},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ActionItemOutputSerializer(page, many=True).data)

    @extend_schema(responses={200: ActionItemOutputSerializer, 404: ERRORS[404]})
    def retrieve(self, request, action_item_id=None):
        return self._answer(action_item_id)

    @extend_schema(
        request=ActionItemCreateInputSerializer,
        responses={201: ActionItemOutputSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def create(self, request):
        data = dict(_input(ActionItemCreateInputSerializer, request))
        item = services.action_item_raise(actor=request.user, **data)
        return self._answer(item.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=ResolveInputSerializer, responses={200: ActionItemOutputSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, action_item_id=None):
        item = self._item(action_item_id)
        services.action_item_resolve(
            actor=request.user, action_item=item, **_input(ResolveInputSerializer, request)
        )
        return self._answer(item.pk)

    @extend_schema(request=None, responses={200: ActionItemOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request, action_item_id=None):
        item = self._item(action_item_id)
        services.action_item_close(actor=request.user, action_item=item)
        return self._answer(item.pk)

    @extend_schema(
        request=ReasonInputSerializer, responses={200: ActionItemOutputSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, action_item_id=None):
        item = self._item(action_item_id)
        services.action_item_reopen(
            actor=request.user, action_item=item, **_input(ReasonInputSerializer, request)
        )
        return self._answer(item.pk)


STUDY_ID = OpenApiParameter("study_id", int, OpenApiParameter.PATH, description="The study's id.")


@extend_schema(tags=["monitoring-settings"])
class MonitoringSettingsViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """Per-study monitoring settings: how many days after a visit its report is due. The list
    holds the studies you may change (project manager of the CRO or study lead); any study you
    can see can be read; changes take a reason (audit trail)."""

    serializer_class = MonitoringSettingsOutputSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []
    lookup_url_kwarg = "study_id"

    def get_queryset(self):
        return selectors.settings_studies(actor=self.request.user)

    def _answer(self, study_id):
        study = selectors.settings_study_get(actor=self.request.user, study_id=study_id)
        study.can_edit = selectors.may_change_settings(actor=self.request.user, study=study)
        return Response(MonitoringSettingsOutputSerializer(study).data)

    @extend_schema(responses={200: MonitoringSettingsOutputSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        for study in page:
            study.can_edit = True
        return self.get_paginated_response(MonitoringSettingsOutputSerializer(page, many=True).data)

    @extend_schema(
        parameters=[STUDY_ID],
        responses={200: MonitoringSettingsOutputSerializer, 404: ERRORS[404]},
    )
    def retrieve(self, request, study_id=None):
        return self._answer(study_id)

    @extend_schema(
        parameters=[STUDY_ID],
        request=MonitoringSettingsInputSerializer,
        responses={
            200: MonitoringSettingsOutputSerializer,
            400: ERRORS[400],
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
    def partial_update(self, request, study_id=None):
        study = selectors.settings_study_get(actor=request.user, study_id=study_id)
        data = _input(MonitoringSettingsInputSerializer, request)
        services.monitoring_settings_update(actor=request.user, study=study, **data)
        return self._answer(study.pk)
