from django.urls import path

from feasibility import views

urlpatterns = [
    path("feasibility/", views.questionnaire_list, name="questionnaire_list"),
    path("feasibility/questions/", views.question_list, name="question_list"),
    path(
        "feasibility/questionnaires/new/", views.questionnaire_create, name="questionnaire_create"
    ),
    path(
        "feasibility/questionnaires/<int:questionnaire_id>/",
        views.questionnaire_detail,
        name="questionnaire_detail",
    ),
    path(
        "feasibility/questionnaires/<int:questionnaire_id>/items/",
        views.questionnaire_item_add,
        name="questionnaire_item_add",
    ),
    path(
        "feasibility/questionnaires/<int:questionnaire_id>/send/",
        views.questionnaire_send,
        name="questionnaire_send",
    ),
    path(
        "feasibility/questionnaires/<int:questionnaire_id>/responses/",
        views.questionnaire_responses,
        name="questionnaire_responses",
    ),
    path("feasibility/requests/", views.feasibility_request_list, name="feasibility_request_list"),
    path(
        "feasibility/requests/<int:feasibility_request_id>/",
        views.feasibility_request_detail,
        name="feasibility_request_detail",
    ),
    path(
        "feasibility/requests/<int:feasibility_request_id>/answers/",
        views.feasibility_request_answer,
        name="feasibility_request_answer",
    ),
    path(
        "feasibility/requests/<int:feasibility_request_id>/shortlist/",
        views.feasibility_request_shortlist,
        name="feasibility_request_shortlist",
    ),
    path(
        "feasibility/requests/<int:feasibility_request_id>/select/",
        views.feasibility_request_select,
        name="feasibility_request_select",
    ),
    path(
        "feasibility/requests/<int:feasibility_request_id>/decline/",
        views.feasibility_request_decline,
        name="feasibility_request_decline",
    ),
    path(
        "feasibility/requests/<int:feasibility_request_id>/notes/",
        views.feasibility_request_notes,
        name="feasibility_request_notes",
    ),
    path(
        "feasibility/requests/<int:feasibility_request_id>/attachments/",
        views.feasibility_attachment_add,
        name="feasibility_attachment_add",
    ),
    path(
        "feasibility/attachments/<int:feasibility_attachment_id>/download/",
        views.feasibility_attachment_download,
        name="feasibility_attachment_download",
    ),
]
