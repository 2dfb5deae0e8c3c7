from django.urls import path

from accounts import views

urlpatterns = [
    path("organization/members/", views.organization_members, name="organization_members"),
    path(
        "organization/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("organization/switch/", views.organization_switch, name="organization_switch"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
