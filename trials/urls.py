from django.urls import path

from trials import enrollment_views, views

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
    path(
        "study-sites/<int:study_site_id>/agreement/",
        views.study_site_record_agreement,
        name="study_site_record_agreement",
    ),
    path(
        "study-sites/<int:study_site_id>/ip-reconciliation/",
        views.study_site_reconcile_ip,
        name="study_site_reconcile_ip",
    ),
    # study updates
    path("study-updates/", views.study_update_list, name="study_update_list"),
    path(
        "studies/<int:study_id>/updates/new/",
        views.study_update_create,
        name="study_update_create",
    ),
    path(
        "study-updates/<int:study_update_id>/",
        views.study_update_detail,
        name="study_update_detail",
    ),
    path(
        "study-update-recipients/<int:study_update_recipient_id>/read/",
        views.study_update_recipient_read,
        name="study_update_recipient_read",
    ),
    path(
        "study-update-recipients/<int:study_update_recipient_id>/confirm/",
        views.study_update_recipient_confirm,
        name="study_update_recipient_confirm",
    ),
    path("study-sites/<int:study_site_id>/audit/", views.study_site_audit, name="study_site_audit"),
    # the enrollment log, subjects and their visits
    path(
        "study-sites/<int:study_site_id>/subjects/",
        enrollment_views.subject_log,
        name="subject_log",
    ),
    path(
        "study-sites/<int:study_site_id>/subjects/export.csv",
        enrollment_views.subject_log_export,
        name="subject_log_export",
    ),
    path(
        "study-sites/<int:study_site_id>/subjects/register/",
        enrollment_views.subject_register,
        name="subject_register",
    ),
    path(
        "study-sites/<int:study_site_id>/enrollment/",
        enrollment_views.study_site_enrollment,
        name="study_site_enrollment",
    ),
    path(
        "studies/<int:study_id>/enrollment/",
        enrollment_views.study_enrollment,
        name="study_enrollment",
    ),
    path("subjects/<int:subject_id>/", enrollment_views.subject_detail, name="subject_detail"),
    path(
        "subjects/<int:subject_id>/status/",
        enrollment_views.subject_transition,
        name="subject_transition",
    ),
    path(
        "subjects/<int:subject_id>/correct/",
        enrollment_views.subject_correct,
        name="subject_correct",
    ),
    path("subjects/<int:subject_id>/audit/", enrollment_views.subject_audit, name="subject_audit"),
    path("visits/due/", enrollment_views.visit_due_list, name="visit_due_list"),
    path(
        "subject-visits/<int:subject_visit_id>/record/",
        enrollment_views.subject_visit_record,
        name="subject_visit_record",
    ),
]
