from django.urls import path

from scorecards import api

urlpatterns = [
    path(
        "scorecards/study-sites/<int:study_site_id>/",
        api.study_site_scorecard,
        name="api_scorecard_study_site",
    ),
    path(
        "scorecards/studies/<int:study_id>/ranking/",
        api.study_ranking,
        name="api_scorecard_study_ranking",
    ),
]
