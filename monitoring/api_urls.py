from rest_framework.routers import SimpleRouter

from monitoring.api import ActionItemViewSet, MonitoringSettingsViewSet, MonitoringVisitViewSet

router = SimpleRouter(trailing_slash=True)
router.register("monitoring-visits", MonitoringVisitViewSet, basename="api_monitoring_visit")
router.register("action-items", ActionItemViewSet, basename="api_action_item")
router.register(
    "monitoring-settings", MonitoringSettingsViewSet, basename="api_monitoring_settings"
)

urlpatterns = router.urls
