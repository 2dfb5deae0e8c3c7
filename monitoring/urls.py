from django.urls import path

from monitoring import views

V = "monitoring/visits/<int:monitoring_visit_id>/"
A = "monitoring/action-items/<int:action_item_id>/"

urlpatterns = [
    path("monitoring/visits/", views.visit_list, name="monitoring_visit_list"),
    path("monitoring/visits/new/", views.visit_plan, name="monitoring_visit_plan"),
    path(V, views.visit_detail, name="monitoring_visit_detail"),
    path(f"{V}confirm/", views.visit_confirm, name="monitoring_visit_confirm"),
    path(f"{V}propose-date/", views.visit_propose, name="monitoring_visit_propose"),
    path(f"{V}accept-date/", views.visit_accept_proposal, name="monitoring_visit_accept"),
    path(f"{V}reschedule/", views.visit_reschedule, name="monitoring_visit_reschedule"),
    path(f"{V}cancel/", views.visit_cancel, name="monitoring_visit_cancel"),
    path(f"{V}complete/", views.visit_complete, name="monitoring_visit_complete"),
    path(f"{V}report/section/", views.report_section_save, name="monitoring_report_section"),
    path(f"{V}report/findings/", views.finding_add, name="monitoring_finding_add"),
    path(f"{V}report/submit/", views.report_submit, name="monitoring_report_submit"),
    path(f"{V}report/correct/", views.report_correct, name="monitoring_report_correct"),
    path(f"{V}action-items/", views.visit_action_item_raise, name="monitoring_visit_item_raise"),
    path(f"{V}review/", views.visit_review, name="monitoring_visit_review"),
    path(f"{V}review/approve/", views.report_approve, name="monitoring_report_approve"),
    path(f"{V}review/return/", views.report_return, name="monitoring_report_return"),
    path(
        f"{V}confirmation-letter/",
        views.confirmation_letter,
        name="monitoring_visit_confirmation_letter",
    ),
    path(f"{V}letter/", views.follow_up_letter, name="monitoring_visit_letter"),
    path(
        f"{V}letter/acknowledge/",
        views.follow_up_letter_acknowledge,
        name="monitoring_letter_acknowledge",
    ),
    path(f"{V}audit/", views.visit_audit, name="monitoring_visit_audit"),
    path("monitoring/action-items/", views.action_item_list, name="action_item_list"),
    path("monitoring/action-items/new/", views.action_item_create, name="action_item_create"),
    path(A, views.action_item_detail, name="action_item_detail"),
    path(f"{A}resolve/", views.action_item_resolve, name="action_item_resolve"),
    path(f"{A}close/", views.action_item_close, name="action_item_close"),
    path(f"{A}reopen/", views.action_item_reopen, name="action_item_reopen"),
    path("monitoring/settings/", views.monitoring_settings, name="monitoring_settings"),
    path(
        "monitoring/settings/<int:study_id>/",
        views.monitoring_settings_update,
        name="monitoring_settings_update",
    ),
    path("monitoring/calendar/", views.calendar, name="monitoring_calendar"),
    path("monitoring/calendar/new/", views.calendar_create, name="monitoring_calendar_create"),
    path("monitoring/calendar/revoke/", views.calendar_revoke, name="monitoring_calendar_revoke"),
    path(
        "monitoring/calendar/<str:token>.ics",
        views.calendar_feed,
        name="monitoring_calendar_feed",
    ),
]
