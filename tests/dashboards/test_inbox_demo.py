"""The demo data gives every demo role something in its work inbox, of every kind they handle."""

import pytest

from accounts.models import User
from accounts.selectors import membership_list
from core import inbox
from dashboards.demo import demo_seed
from tests.factories.feasibility import ensure_standard_questions

pytestmark = pytest.mark.django_db

EXPECTED = {
    "coordinator@lakeside.example": {
        "visit_confirm",
        "action_item_due",
        "letter_acknowledge",
        "query_answer",
        "sae_clock",
        "study_update",
        "document_expiring",
        "document_rejected",
        "questionnaire_due",
        "invoice_returned",
        "payment_overdue",
    },
    "coordinator@riverbend.example": {"document_missing", "document_rejected", "payment_overdue"},
    "cra@meridian.example": {
        "report_write",
        "visit_date_proposed",
        "visit_complete",
        "action_item_cra",
        "action_item_close",
        "query_review",
        "sae_follow_up",
    },
    "finance@meridian.example": {"invoice_review", "payment_run", "dispute_answer"},
    "approver@meridian.example": {"invoice_review", "payment_run", "dispute_answer"},
    "regulatory@meridian.example": {"document_review"},
    "pm@meridian.example": {"feasibility_review", "query_review"},
    "safety@meridian.example": {"sae_acknowledge"},
}


def _items(email: str) -> list:
    user = User.objects.get(email=email)
    memberships = membership_list(user=user)
    organization = memberships[0].organization
    roles = {m.role for m in memberships if m.organization_id == organization.pk}
    return inbox.items_for(user, organization.kind, roles)


def test_every_demo_role_has_rows_of_each_kind_it_handles():
    ensure_standard_questions()
    demo_seed()
    for email, kinds in EXPECTED.items():
        items = _items(email)
        assert kinds <= {i.kind for i in items}, (email, kinds - {i.kind for i in items})
    lakeside = _items("coordinator@lakeside.example")
    assert {i.cro_name for i in lakeside} == {"Meridian CRO (demo)", "Apex Research (demo)"}
    approver = {i.title for i in _items("approver@meridian.example")}
    assert any(t.startswith("Second approval of invoice") for t in approver)
    finance = {i.title for i in _items("finance@meridian.example")}
    assert any(t.startswith("Pay payment run") for t in finance)
