from django.urls import path

from trials import views

urlpatterns = [
    path("studies/", views.study_list, name="study_list"),
    path("studies/new/", views.study_create, name="study_create"),
    path("studies/<int:study_id>/", views.study_detail, name="study_detail"),
    path("studies/<int:study_id>/edit/", views.study_edit, name="study_edit"),
    path("studies/<int:study_id>/sites/add/", views.study_site_add, name="study_site_add"),
    path(
        "studies/<int:study_id>/schedule/add/",
        views.visit_definition_add,
        name="visit_definition_add",
    ),
    path("studies/<int:study_id>/audit/", views.study_audit, name="study_audit"),
    path("study-sites/", views.study_site_list, name="study_site_list"),
    path("study-sites/<int:study_site_id>/", views.study_site_detail, name="study_site_detail"),
    path(
        "study-sites/<int:study_site_id>/status/",
        views.study_site_transition,
        name="study_site_transition",
    ),
    path(
        "study-sites/<int:study_site_id>/cras/",
        views.study_site_assign_cra,
        name="study_site_assign_cra",
    ),
    path("study-sites/<int:study_site_id>/audit/", views.study_site_audit, name="study_site_audit"),
]
