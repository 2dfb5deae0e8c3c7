from django.urls import path

from dashboards.api import study_overview

urlpatterns = [
    path("studies/<int:study_id>/overview/", study_overview, name="api_study_overview"),
]
