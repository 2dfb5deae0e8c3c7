from django.urls import path

from regulatory import views

urlpatterns = [
    path("documents/", views.document_overview, name="document_overview"),
    path("documents/review/", views.document_review_queue, name="document_review_queue"),
    path("documents/<int:document_id>/", views.document_detail, name="document_detail"),
    path(
        "studies/<int:study_id>/documents/",
        views.document_requirements,
        name="document_requirements",
    ),
    path(
        "document-requirements/<int:document_requirement_id>/retire/",
        views.document_requirement_retire,
        name="document_requirement_retire",
    ),
    path(
        "study-sites/<int:study_site_id>/documents/",
        views.study_site_documents,
        name="study_site_documents",
    ),
    path(
        "study-sites/<int:study_site_id>/activation/",
        views.study_site_activation,
        name="study_site_activation",
    ),
    path(
        "study-sites/<int:study_site_id>/close-out/",
        views.study_site_close_out,
        name="study_site_close_out",
    ),
    path(
        "document-versions/<int:document_version_id>/download/",
        views.document_version_download,
        name="document_version_download",
    ),
    path(
        "document-versions/<int:document_version_id>/review/",
        views.document_version_review,
        name="document_version_review",
    ),
]
