"""The API root: one entry point that links to every resource."""

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.reverse import reverse

# Route names, not imports: core depends on no domain app.
API_ROOT_LINKS = {
    "token": "api_token",
    "my_organizations": "api_organizations_me",
    "studies": "api_study-list",
    "study_sites": "api_study_site-list",
    "schema": "api_schema",
    "docs": "api_docs",
}


@extend_schema(operation_id="api_root", tags=["root"], responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def api_root(request):
    """Links to every resource of the API."""
    return Response({key: reverse(name, request=request) for key, name in API_ROOT_LINKS.items()})


urlpatterns = [path("", api_root, name="api_root")]
