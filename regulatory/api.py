"""API: document types, requirements, documents and their versions, reviews, and the
study-site checklists. Thin: reads through regulatory.selectors, writes through
regulatory.services; the access rule is trials.access."""

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import AuditContextMixin
from accounts.models import User
from core import checklists
from core.api import ErrorSerializer
from core.exceptions import TransitionNotAllowed
from regulatory import selectors, services
from regulatory.models import DocumentVersion
from regulatory.serializers import (
    ChecklistSerializer,
    DocumentFilterSerializer,
    DocumentOutputSerializer,
    DocumentReasonInputSerializer,
    DocumentRequirementCreateInputSerializer,
    DocumentRequirementFilterSerializer,
    DocumentRequirementOutputSerializer,
    DocumentTypeSerializer,
    DocumentUploadInputSerializer,
    DocumentVersionOutputSerializer,
    ReviewInputSerializer,
)
from trials import selectors as trial_selectors
from trials.api import ReadOnlyRolesCannotWrite

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input or a rule refused it."),
    403: OpenApiResponse(ErrorSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(ErrorSerializer, description="Not found (or not yours)."),
    409: OpenApiResponse(ErrorSerializer, description="The record's state does not allow it."),
}


def _query_filters(request, serializer_class) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return {k: v for k, v in serializer.validated_data.items() if v not in (None, "")}


@extend_schema(tags=["documents"])
class DocumentTypeViewSet(viewsets.GenericViewSet):
    """The document types a study can require (TMF Reference Model site artifacts)."""

    serializer_class = DocumentTypeSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.document_type_list()

    @extend_schema(responses={200: DocumentTypeSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DocumentTypeSerializer(page, many=True).data)


@extend_schema(tags=["documents"])
class DocumentRequirementViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """What each study requires of its sites and investigators."""

    serializer_class = DocumentRequirementOutputSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []
    lookup_url_kwarg = "document_requirement_id"

    def get_queryset(self):
        filters = _query_filters(self.request, DocumentRequirementFilterSerializer)
        study = None
        if filters.get("study"):
            study = trial_selectors.study_get(actor=self.request.user, study_id=filters["study"])
        return selectors.document_requirement_list(
            actor=self.request.user,
            study=study,
            include_retired=filters.get("include_retired", False),
        )

    @extend_schema(
        parameters=[DocumentRequirementFilterSerializer],
        responses={200: DocumentRequirementOutputSerializer(many=True), 400: ERRORS[400]},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            DocumentRequirementOutputSerializer(page, many=True).data
        )

    @extend_schema(responses={200: DocumentRequirementOutputSerializer, 404: ERRORS[404]})
    def retrieve(self, request, document_requirement_id=None):
        requirement = selectors.document_requirement_get(
            actor=request.user, document_requirement_id=document_requirement_id
        )
        return Response(DocumentRequirementOutputSerializer(requirement).data)

    @extend_schema(
        request=DocumentRequirementCreateInputSerializer,
        responses={201: DocumentRequirementOutputSerializer, **ERRORS},
        description="Require a document of every site of a study (CRO regulatory specialist, "
        "project manager or study lead).",
    )
    def create(self, request):
        serializer = DocumentRequirementCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        study = trial_selectors.study_get(actor=request.user, study_id=data.pop("study"))
        requirement = services.document_requirement_add(actor=request.user, study=study, **data)
        return Response(
            DocumentRequirementOutputSerializer(requirement).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=DocumentReasonInputSerializer,
        responses={200: DocumentRequirementOutputSerializer, **ERRORS},
        description="Stop requiring the document; uploads stay on record. A reason is required.",
    )
    @action(detail=True, methods=["post"])
    def retire(self, request, document_requirement_id=None):
        requirement = selectors.document_requirement_get(
            actor=request.user, document_requirement_id=document_requirement_id
        )
        serializer = DocumentReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        requirement = services.document_requirement_retire(
            actor=request.user, requirement=requirement, **serializer.validated_data
        )
        return Response(DocumentRequirementOutputSerializer(requirement).data)


@extend_schema(tags=["documents"])
class DocumentViewSet(AuditContextMixin, viewsets.GenericViewSet):
    """A study-site's documents; each has immutable versions reviewed by the CRO."""

    serializer_class = DocumentOutputSerializer
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filter_backends: list = []
    lookup_url_kwarg = "document_id"

    def get_queryset(self) -> QuerySet:
        filters = _query_filters(self.request, DocumentFilterSerializer)
        return selectors.document_list(actor=self.request.user, filters=filters)

    @extend_schema(
        parameters=[DocumentFilterSerializer],
        responses={200: DocumentOutputSerializer(many=True), 400: ERRORS[400]},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DocumentOutputSerializer(page, many=True).data)

    @extend_schema(responses={200: DocumentOutputSerializer, 404: ERRORS[404]})
    def retrieve(self, request, document_id=None):
        document = selectors.document_get(actor=request.user, document_id=document_id)
        return Response(DocumentOutputSerializer(document).data)

    @extend_schema(
        request={"multipart/form-data": DocumentUploadInputSerializer},
        responses={201: DocumentOutputSerializer, **ERRORS},
        description="Upload a new version of a required document (site staff). The file is "
        "checked by content (PDF, PNG, JPEG, DOCX, XLSX), size-limited and hashed; it "
        "supersedes the current version and waits for review.",
    )
    def create(self, request):
        serializer = DocumentUploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        study_site = trial_selectors.study_site_get(
            actor=request.user, study_site_id=data.pop("study_site")
        )
        requirement = selectors.document_requirement_get(
            actor=request.user, document_requirement_id=data.pop("requirement")
        )
        person_id = data.pop("person")
        person = User.objects.filter(pk=person_id).first() if person_id else None
        version = services.document_version_upload(
            actor=request.user,
            study_site=study_site,
            requirement=requirement,
            person=person,
            **data,
        )
        document = selectors.document_get(actor=request.user, document_id=version.document_id)
        return Response(DocumentOutputSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: DocumentVersionOutputSerializer(many=True), 404: ERRORS[404]},
        description="Every version of the document, newest first.",
    )
    @action(detail=True, methods=["get"])
    def versions(self, request, document_id=None):
        document = selectors.document_get(actor=request.user, document_id=document_id)
        page = self.paginate_queryset(
            selectors.document_version_list(actor=request.user, document=document)
        )
        return self.get_paginated_response(DocumentVersionOutputSerializer(page, many=True).data)

    def _review(self, request, document_id, review):
        document = selectors.document_get(actor=request.user, document_id=document_id)
        serializer = ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = document.current_version
        if version is None:
            raise TransitionNotAllowed("Nothing has been uploaded for this document yet.")
        expected = serializer.validated_data["version"]
        if expected is not None and expected != version.pk:
            raise TransitionNotAllowed(
                "A newer version was uploaded; review that one.",
                fields={"version": ["Not the current version."]},
            )
        review(actor=request.user, version=version, reason=serializer.validated_data["reason"])
        document = selectors.document_get(actor=request.user, document_id=document.pk)
        return Response(DocumentOutputSerializer(document).data)

    @extend_schema(
        request=ReviewInputSerializer,
        responses={200: DocumentOutputSerializer, **ERRORS},
        description="Approve the current version (CRO regulatory specialist).",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, document_id=None):
        return self._review(request, document_id, services.document_version_approve)

    @extend_schema(
        request=ReviewInputSerializer,
        responses={200: DocumentOutputSerializer, **ERRORS},
        description="Reject the current version with a reason the site sees (CRO regulatory "
        "specialist).",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, document_id=None):
        return self._review(request, document_id, services.document_version_reject)


@extend_schema(tags=["documents"])
class DocumentVersionViewSet(viewsets.GenericViewSet):
    """One stored version and its file."""

    serializer_class = DocumentVersionOutputSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    lookup_url_kwarg = "document_version_id"
    queryset = DocumentVersion.objects.none()  # typing for the schema; reads use selectors

    @extend_schema(responses={200: DocumentVersionOutputSerializer, 404: ERRORS[404]})
    def retrieve(self, request, document_version_id=None):
        version = selectors.document_version_get(
            actor=request.user, document_version_id=document_version_id
        )
        return Response(DocumentVersionOutputSerializer(version).data)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(description="The file")},
        description="The stored file, as an attachment under its original (sanitized) name.",
    )
    @action(detail=True, methods=["get"])
    def download(self, request, document_version_id=None):
        version = selectors.document_version_get(
            actor=request.user, document_version_id=document_version_id
        )
        try:
            handle = default_storage.open(version.file.name, "rb")
        except FileNotFoundError as exc:
            raise Http404("Not found.") from exc
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=version.original_filename,
            content_type=version.content_type,
        )
        response["Cache-Control"] = "private, no-store"
        return response


class _ChecklistApi(APIView):
    permission_classes = [IsAuthenticated]
    checklist = ""

    def get(self, request, study_site_id: int):
        study_site = trial_selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
        items = checklists.items(self.checklist, study_site)
        open_count = sum(1 for item in items if not item.done)
        data = {
            "study_site": study_site.pk,
            "checklist": self.checklist,
            "complete": open_count == 0,
            "open_count": open_count,
            "items": [
                {
                    "key": i.key,
                    "label": i.label,
                    "done": i.done,
                    "detail": i.detail,
                    "url": i.url,
                }
                for i in items
            ],
        }
        return Response(ChecklistSerializer(data).data)


@extend_schema(
    tags=["study-sites"],
    responses={200: ChecklistSerializer, 404: ERRORS[404]},
    description="The site activation checklist: every item from every app, green or not.",
)
class StudySiteActivationApi(_ChecklistApi):
    checklist = checklists.ACTIVATION


@extend_schema(
    tags=["study-sites"],
    responses={200: ChecklistSerializer, 404: ERRORS[404]},
    description="The close-out checklist: every item from every app, green or not.",
)
class StudySiteCloseOutApi(_ChecklistApi):
    checklist = checklists.CLOSE_OUT
