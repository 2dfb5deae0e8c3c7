from django.urls import path
from rest_framework.routers import SimpleRouter

from trials.api import (
    StudySiteViewSet,
    StudyUpdateViewSet,
    StudyViewSet,
    SubjectViewSet,
    SubjectVisitViewSet,
    study_enrollment_metrics,
    study_site_enrollment_metrics,
)

# SimpleRouter: no router root view and no format-suffix routes; the API root is core's.
router = SimpleRouter(trailing_slash=True)
router.register("studies", StudyViewSet, basename="api_study")
router.register("study-sites", StudySiteViewSet, basename="api_study_site")
router.register("subjects", SubjectViewSet, basename="api_subject")
router.register("subject-visits", SubjectVisitViewSet, basename="api_subject_visit")
router.register("study-updates", StudyUpdateViewSet, basename="api_study_update")

urlpatterns = [
    path(
        "studies/<int:study_id>/enrollment-metrics/",
        study_enrollment_metrics,
        name="api_study_enrollment_metrics",
    ),
    path(
        "study-sites/<int:study_site_id>/enrollment-metrics/",
        study_site_enrollment_metrics,
        name="api_study_site_enrollment_metrics",
    ),
    *router.urls,
]
