from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("trials.api_urls")),
    path("", include("feasibility.api_urls")),
    path("", include("regulatory.api_urls")),
    path("", include("queries.api_urls")),
    path("", include("safety.api_urls")),
    path("", include("monitoring.api_urls")),
    path("", include("payments.api_urls")),
    path("", include("scorecards.api_urls")),
    path("", include("dashboards.api_urls")),
    path("", include("core.api_urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("dashboards.urls")),
    path("", include("accounts.urls")),
    path("", include("sites.urls")),
    path("", include("trials.urls")),
    path("", include("feasibility.urls")),
    path("", include("regulatory.urls")),
    path("", include("queries.urls")),
    path("", include("safety.urls")),
    path("", include("monitoring.urls")),
    path("", include("payments.urls")),
    path("", include("scorecards.urls")),
    path("", include("core.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
]
