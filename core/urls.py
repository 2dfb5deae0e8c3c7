from django.urls import path

from core import views

urlpatterns = [
    path("inbox/", views.notification_list, name="notification_list"),
    path("inbox/<int:notification_id>/read/", views.notification_read, name="notification_read"),
    path("inbox/read-all/", views.notification_read_all, name="notification_read_all"),
    path("inbox/preferences/", views.notification_preferences, name="notification_preferences"),
]
