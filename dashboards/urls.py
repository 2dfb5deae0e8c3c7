from django.urls import path

from dashboards import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("inbox/work/", views.work_inbox, name="work_inbox"),
]
