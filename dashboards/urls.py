from django.urls import path

from dashboards import overview_views, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("inbox/work/", views.work_inbox, name="work_inbox"),
    path(
        "studies/<int:study_id>/overview/",
        overview_views.study_overview,
        name="study_overview",
    ),
    path("inbox/work/count/", views.work_inbox_count, name="work_inbox_count"),
]
