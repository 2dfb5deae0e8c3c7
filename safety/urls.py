from django.urls import path

from safety import views

urlpatterns = [
    path("safety/", views.adverse_event_list, name="adverse_event_list"),
    path("safety/new/", views.adverse_event_new, name="adverse_event_new"),
    path("safety/<int:adverse_event_id>/", views.adverse_event_detail, name="adverse_event_detail"),
    path(
        "safety/<int:adverse_event_id>/submit/",
        views.adverse_event_submit,
        name="adverse_event_submit",
    ),
    path(
        "safety/<int:adverse_event_id>/acknowledge/",
        views.adverse_event_acknowledge,
        name="adverse_event_acknowledge",
    ),
    path(
        "safety/<int:adverse_event_id>/follow-up/",
        views.adverse_event_follow_up,
        name="adverse_event_follow_up",
    ),
    path(
        "safety/<int:adverse_event_id>/correct/",
        views.adverse_event_correct,
        name="adverse_event_correct",
    ),
    path(
        "safety/<int:adverse_event_id>/audit/",
        views.adverse_event_audit,
        name="adverse_event_audit",
    ),
]
