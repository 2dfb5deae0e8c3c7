from rest_framework.routers import SimpleRouter

from queries.api import DataQueryViewSet

router = SimpleRouter(trailing_slash=True)
router.register("data-queries", DataQueryViewSet, basename="api_data_query")
# The issue names the API `queries`: the same viewset under that path too, so both work.
router.register("queries", DataQueryViewSet, basename="api_query")

urlpatterns = router.urls
