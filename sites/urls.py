from django.urls import path

from sites import views

urlpatterns = [
    path("organization/profile/", views.site_profile, name="site_profile"),
]
