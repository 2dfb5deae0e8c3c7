from rest_framework.routers import SimpleRouter

from trials.api import StudySiteViewSet, StudyViewSet

# SimpleRouter: no router root view and no format-suffix routes; the API root is core's.
router = SimpleRouter(trailing_slash=True)
router.register("studies", StudyViewSet, basename="api_study")
router.register("study-sites", StudySiteViewSet, basename="api_study_site")

urlpatterns = router.urls
