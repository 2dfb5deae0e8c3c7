"""Site invoices: drafting with validated lines, submission, review by role, two approvers."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Membership, Role
from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.models import Signature
from payments import services
from payments.models import Fee, InvoiceLine, InvoiceStatus, SiteInvoice
from tests.factories import PASSWORD, member
from tests.factories.payments import PDF_BYTES

pytestmark = pytest.mark.django_db

TODAY_OK = dt.date(2026, 1, 20)


def _draft(tenant, amount="120.00", quantity=1, **line):
    invoice = services.invoice_create(actor=tenant.coordinator, study_site=tenant.study_site)
    services.invoice_line_add(
        actor=tenant.coordinator,
        invoice=invoice,
        item_category=line.pop("item_category", "pharmacy"),
        service_date=line.pop("service_date", TODAY_OK),
        quantity=quantity,
        unit_amount=amount,
        **line,
    )
    invoice.refresh_from_db()
    return invoice


def _submitted(tenant, **kwargs):
    invoice = _draft(tenant, **kwargs)
    return services.invoice_submit(actor=tenant.coordinator, invoice=invoice)


def test_coordinator_drafts_lines_with_exact_totals_and_a_safely_stored_attachment(tenant, budget):
    invoice = _draft(
        tenant,
        amount="33.33",
        quantity=3,
        attachment=SimpleUploadedFile("../../etc/receipt.pdf", PDF_BYTES, "application/pdf"),
    )
    line = invoice.lines.get()
    assert line.amount == Decimal("99.99")
    assert invoice.total == Decimal("99.99")
    assert invoice.status == InvoiceStatus.DRAFT
    assert line.attachment_name == "receipt.pdf"
    assert line.attachment.name.startswith("payments/invoices/")
    assert "receipt" not in line.attachment.name and ".." not in line.attachment.name


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "-5.00"}, "unit_amount"),
        ({"amount": "abc"}, "unit_amount"),
        ({"amount": "1.234"}, "unit_amount"),
        ({"amount": "600.00"}, "unit_amount"),  # above the budget's 500.00 per unit
        ({"currency": "EUR"}, "currency"),
        ({"quantity": 0}, "quantity"),
        ({"service_date": dt.date(2024, 6, 1)}, "item_category"),  # before any budget version
        (
            {"attachment": SimpleUploadedFile("receipt.exe", b"MZ...", "application/pdf")},
            "attachment",
        ),
        (
            {"attachment": SimpleUploadedFile("fake.pdf", b"not a pdf", "application/pdf")},
            "attachment",
        ),
        (
            {
                "attachment": SimpleUploadedFile(
                    "big.pdf", PDF_BYTES + b"0" * (5 * 1024 * 1024), "application/pdf"
                )
            },
            "attachment",
        ),
    ],
)
def test_bad_lines_are_refused_next_to_the_field_and_nothing_is_saved(
    tenant, budget, fields, field
):
    invoice = services.invoice_create(actor=tenant.coordinator, study_site=tenant.study_site)
    with pytest.raises(ApplicationError) as refused:
        services.invoice_line_add(
            actor=tenant.coordinator,
            invoice=invoice,
            item_category="pharmacy",
            service_date=fields.get("service_date", TODAY_OK),
            quantity=fields.get("quantity", 1),
            unit_amount=fields.get("amount", "10.00"),
            currency=fields.get("currency"),
            attachment=fields.get("attachment"),
        )
    assert field in refused.value.fields
    assert not InvoiceLine.objects.exists()
    invoice.refresh_from_db()
    assert invoice.total == Decimal("0.00")


def test_an_amount_above_the_budgeted_unit_is_refused(tenant, budget):
    Fee.objects.filter(version=budget, item_category="travel").update(amount=Decimal("0.01"))
    with pytest.raises(ApplicationError) as refused:
        _draft(tenant, amount="5.00", item_category="travel")
    assert "unit_amount" in refused.value.fields


@pytest.mark.parametrize("who", ["cra", "finance", "sponsor_viewer", "investigator", "pm"])
def test_only_site_coordinators_and_admins_draft_invoices(tenant, budget, who):
    with pytest.raises(PermissionDenied):
        services.invoice_create(actor=getattr(tenant, who), study_site=tenant.study_site)
    assert not SiteInvoice.objects.exists()


def test_finance_approves_with_an_e_signature(tenant, budget):
    invoice = _submitted(tenant)
    with pytest.raises(ApplicationError):
        services.invoice_approve(actor=tenant.finance, invoice=invoice, password="wrong")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SUBMITTED
    services.invoice_approve(actor=tenant.finance, invoice=invoice, password=PASSWORD)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    assert invoice.approved_by == tenant.finance
    signature = Signature.objects.get(object_id=invoice.pk, signer=tenant.finance)
    assert signature.meaning == "approved"


@pytest.mark.parametrize("who", ["coordinator", "cra", "pm", "sponsor_viewer", "cro_admin"])
def test_roles_other_than_finance_cannot_review(tenant, budget, who):
    invoice = _submitted(tenant)
    actor = getattr(tenant, who)
    with pytest.raises(PermissionDenied):
        services.invoice_approve(actor=actor, invoice=invoice, password=PASSWORD)
    with pytest.raises(PermissionDenied):
        services.invoice_reject(actor=actor, invoice=invoice, reason="no")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SUBMITTED


def test_the_submitter_can_never_approve_their_own_invoice(tenant, budget):
    both = member(tenant.site, Role.COORDINATOR, full_name="Dual Role")
    Membership.objects.create(user=both, organization=tenant.cro, role=Role.FINANCE)
    invoice = services.invoice_create(actor=both, study_site=tenant.study_site)
    services.invoice_line_add(
        actor=both,
        invoice=invoice,
        item_category="travel",
        service_date=TODAY_OK,
        quantity=1,
        unit_amount="40.00",
    )
    services.invoice_submit(actor=both, invoice=invoice)
    with pytest.raises(PermissionDenied):
        services.invoice_approve(actor=both, invoice=invoice, password=PASSWORD)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SUBMITTED


def test_above_the_threshold_a_second_different_finance_approver_completes_it(
    tenant, budget, approver, approver2
):
    budget.second_approval_threshold = Decimal("1000.00")
    budget.save()
    invoice = _submitted(tenant, amount="400.00", quantity=3)
    services.invoice_approve(actor=approver, invoice=invoice, password=PASSWORD)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.AWAITING_SECOND_APPROVAL
    with pytest.raises(PermissionDenied):  # the same approver twice
        services.invoice_approve(actor=approver, invoice=invoice, password=PASSWORD)
    with pytest.raises(PermissionDenied):  # finance without the approver role
        services.invoice_approve(actor=tenant.finance, invoice=invoice, password=PASSWORD)
    services.invoice_approve(actor=approver2, invoice=invoice, password=PASSWORD)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    assert (invoice.first_approved_by, invoice.approved_by) == (approver, approver2)


def test_below_the_threshold_one_approval_is_enough(tenant, budget):
    budget.second_approval_threshold = Decimal("1000.00")
    budget.save()
    invoice = _submitted(tenant, amount="100.00")
    services.invoice_approve(actor=tenant.finance, invoice=invoice, password=PASSWORD)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED


def test_reject_needs_a_reason_and_is_final(tenant, budget, mailoutbox):
    invoice = _submitted(tenant)
    with pytest.raises(ApplicationError):
        services.invoice_reject(actor=tenant.finance, invoice=invoice, reason="  ")
    services.invoice_reject(actor=tenant.finance, invoice=invoice, reason="Not in the agreement")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REJECTED
    assert invoice.review_comment == "Not in the agreement"
    assert tenant.coordinator.notifications.filter(kind="payments.invoice_rejected").exists()
    with pytest.raises(TransitionNotAllowed):
        services.invoice_approve(actor=tenant.finance, invoice=invoice, password=PASSWORD)


def test_changes_requested_reopens_the_draft_for_the_site(tenant, budget):
    invoice = _submitted(tenant)
    with pytest.raises(TransitionNotAllowed):
        services.invoice_line_add(
            actor=tenant.coordinator,
            invoice=invoice,
            item_category="travel",
            service_date=TODAY_OK,
            quantity=1,
            unit_amount="10.00",
        )
    services.invoice_request_changes(
        actor=tenant.finance, invoice=invoice, comment="Attach the pharmacy receipt"
    )
    services.invoice_line_add(
        actor=tenant.coordinator,
        invoice=invoice,
        item_category="travel",
        service_date=TODAY_OK,
        quantity=2,
        unit_amount="10.00",
    )
    services.invoice_submit(actor=tenant.coordinator, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SUBMITTED
    assert invoice.total == Decimal("140.00")


def test_an_empty_invoice_cannot_be_submitted(tenant, budget):
    invoice = services.invoice_create(actor=tenant.coordinator, study_site=tenant.study_site)
    with pytest.raises(ApplicationError):
        services.invoice_submit(actor=tenant.coordinator, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT


def test_a_withdrawn_draft_line_stays_on_record_but_leaves_the_total(tenant, budget):
    invoice = _draft(tenant, amount="50.00")
    line = invoice.lines.get()
    with pytest.raises(ApplicationError):
        services.invoice_line_withdraw(actor=tenant.coordinator, line=line, reason="")
    services.invoice_line_withdraw(actor=tenant.coordinator, line=line, reason="Duplicate entry")
    invoice.refresh_from_db()
    assert invoice.total == Decimal("0.00")
    assert InvoiceLine.objects.get(pk=line.pk).withdrawn
