from rest_framework.routers import SimpleRouter

from queries.api import DataQueryViewSet

router = SimpleRouter(trailing_slash=True)
router.register("data-queries", DataQueryViewSet, basename="api_data_query")

urlpatterns = router.urls
