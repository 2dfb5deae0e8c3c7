from django.urls import path

from payments import views

urlpatterns = [
    path("payments/", views.overview, name="payments_overview"),
    path("payments/export.csv", views.overview_csv, name="payments_overview_csv"),
    path(
        "payments/study-sites/<int:study_site_id>/",
        views.study_site_payments,
        name="payments_study_site",
    ),
    path("payments/study-sites/<int:study_site_id>/budget/", views.budget, name="payments_budget"),
    path(
        "payments/study-sites/<int:study_site_id>/budget/versions/",
        views.budget_version_create,
        name="payments_budget_version_create",
    ),
    path("payments/invoices/", views.invoice_list, name="payments_invoice_list"),
    path("payments/invoices/new/", views.invoice_create, name="payments_invoice_create"),
    path(
        "payments/invoices/<int:invoice_id>/", views.invoice_detail, name="payments_invoice_detail"
    ),
    path(
        "payments/invoices/<int:invoice_id>/lines/",
        views.invoice_line_add,
        name="payments_invoice_line_add",
    ),
    path(
        "payments/invoices/<int:invoice_id>/submit/",
        views.invoice_submit,
        name="payments_invoice_submit",
    ),
    path(
        "payments/invoices/<int:invoice_id>/approve/",
        views.invoice_approve,
        name="payments_invoice_approve",
    ),
    path(
        "payments/invoices/<int:invoice_id>/reject/",
        views.invoice_reject,
        name="payments_invoice_reject",
    ),
    path(
        "payments/invoices/<int:invoice_id>/request-changes/",
        views.invoice_request_changes,
        name="payments_invoice_request_changes",
    ),
    path(
        "payments/invoice-lines/<int:invoice_line_id>/attachment/",
        views.invoice_line_attachment,
        name="payments_invoice_line_attachment",
    ),
    path("payments/runs/", views.run_list, name="payments_run_list"),
    path("payments/runs/new/", views.run_create, name="payments_run_create"),
    path("payments/runs/<int:payment_run_id>/", views.run_detail, name="payments_run_detail"),
    path(
        "payments/runs/<int:payment_run_id>/approve/",
        views.run_approve,
        name="payments_run_approve",
    ),
    path("payments/runs/<int:payment_run_id>/pay/", views.run_pay, name="payments_run_pay"),
    path("payments/disputes/", views.dispute_list, name="payments_dispute_list"),
    path(
        "payments/disputes/<int:payment_dispute_id>/",
        views.dispute_detail,
        name="payments_dispute_detail",
    ),
    path(
        "payments/disputes/<int:payment_dispute_id>/accept/",
        views.dispute_accept,
        name="payments_dispute_accept",
    ),
    path(
        "payments/disputes/<int:payment_dispute_id>/reject/",
        views.dispute_reject,
        name="payments_dispute_reject",
    ),
    path(
        "payments/earnings/<int:earning_id>/dispute/",
        views.earning_dispute,
        name="payments_earning_dispute",
    ),
    path(
        "payments/run-lines/<int:payment_run_line_id>/dispute/",
        views.run_line_dispute,
        name="payments_run_line_dispute",
    ),
    path("payments/aging/", views.aging_report, name="payments_aging"),
    path("payments/studies/<int:study_id>/aging.csv", views.aging_csv, name="payments_aging_csv"),
]
