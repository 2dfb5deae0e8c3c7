from django.urls import path
from rest_framework.routers import SimpleRouter

from regulatory.api import (
    DocumentRequirementViewSet,
    DocumentTypeViewSet,
    DocumentVersionViewSet,
    DocumentViewSet,
    StudySiteActivationApi,
    StudySiteCloseOutApi,
)

router = SimpleRouter(trailing_slash=True)
router.register("document-types", DocumentTypeViewSet, basename="api_document_type")
router.register(
    "document-requirements", DocumentRequirementViewSet, basename="api_document_requirement"
)
router.register("documents", DocumentViewSet, basename="api_document")
router.register("document-versions", DocumentVersionViewSet, basename="api_document_version")

urlpatterns = [
    *router.urls,
    path(
        "study-sites/<int:study_site_id>/activation/",
        StudySiteActivationApi.as_view(),
        name="api_study_site_activation",
    ),
    path(
        "study-sites/<int:study_site_id>/close-out/",
        StudySiteCloseOutApi.as_view(),
        name="api_study_site_close_out",
    ),
]
