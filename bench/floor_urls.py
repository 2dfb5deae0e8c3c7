"""The project's URLs plus ``/bench/floor/``: Django's floor for the same server and settings,
a minimal view rendering a tiny template with one query. Only in the bench run."""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from accounts.models import Organization

FLOOR_TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>floor</title><p>{{ count }} organizations</p>"
)


def floor(request):
    count = Organization.objects.count()
    return HttpResponse(FLOOR_TEMPLATE.render({"count": count}, request))


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("", include("config.urls")),
]
