from rest_framework.routers import SimpleRouter

from safety.api import AdverseEventViewSet

router = SimpleRouter(trailing_slash=True)
router.register("adverse-events", AdverseEventViewSet, basename="api_adverse_event")

urlpatterns = router.urls
