from django.urls import path

from accounts.api import AuthTokenApi, MyOrganizationsApi

urlpatterns = [
    path("auth/token/", AuthTokenApi.as_view(), name="api_token"),
    path("organizations/me/", MyOrganizationsApi.as_view(), name="api_organizations_me"),
]
