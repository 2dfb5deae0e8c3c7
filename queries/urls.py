from django.urls import path

from queries import views

urlpatterns = [
    path("queries/", views.data_query_list, name="data_query_list"),
    path("queries/new/", views.data_query_create, name="data_query_create"),
    path("queries/import/", views.data_query_import, name="data_query_import"),
    path("queries/<int:data_query_id>/", views.data_query_detail, name="data_query_detail"),
    path("queries/<int:data_query_id>/answer/", views.data_query_answer, name="data_query_answer"),
    path("queries/<int:data_query_id>/close/", views.data_query_close, name="data_query_close"),
    path("queries/<int:data_query_id>/reopen/", views.data_query_reopen, name="data_query_reopen"),
    path("queries/<int:data_query_id>/cancel/", views.data_query_cancel, name="data_query_cancel"),
]
