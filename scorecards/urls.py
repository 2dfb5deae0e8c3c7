from django.urls import path

from scorecards import views

urlpatterns = [
    path("scorecards/", views.scorecard_home, name="scorecards"),
    path(
        "scorecards/study-sites/<int:study_site_id>/",
        views.study_site_scorecard,
        name="scorecard_study_site",
    ),
    path("scorecards/sites/<int:site_id>/", views.site_scorecard, name="scorecard_site"),
    path(
        "scorecards/studies/<int:study_id>/ranking/",
        views.study_ranking,
        name="scorecard_study_ranking",
    ),
]
