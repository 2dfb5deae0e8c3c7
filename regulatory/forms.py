"""Forms for the regulatory pages: types and required fields only; rules live in services."""

from django import forms

from core.forms import StyledForm
from regulatory.files import ACCEPTED_TEXT
from regulatory.models import DocumentScope, DocumentType

ACCEPT_ATTR = ".pdf,.png,.jpg,.jpeg,.docx,.xlsx"


class RequirementForm(StyledForm):
    document_type = forms.ModelChoiceField(
        queryset=DocumentType.objects.order_by("order", "name"), label="Document"
    )
    scope = forms.ChoiceField(
        choices=[("", "Default for this document"), *DocumentScope.choices],
        required=False,
        label="Provided",
    )
    qualifier = forms.CharField(
        max_length=100,
        required=False,
        label="Qualifier",
        help_text="Optional, to tell several apart, e.g. 'Amendment 2 (v3.0)'.",
    )


class RetireForm(StyledForm):
    reason = forms.CharField(max_length=300, label="Reason for no longer requiring it")


class UploadForm(StyledForm):
    slot = forms.ChoiceField(label="Document")
    file = forms.FileField(
        label="File",
        help_text=f"{ACCEPTED_TEXT}. The file's content is checked, not its name.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTR}),
    )
    effective_on = forms.DateField(
        required=False,
        label="Date issued or approved",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Required for IRB/IEC approvals: the approval date.",
    )
    expires_on = forms.DateField(
        required=False,
        label="Expiry date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Required for licences, GCP certificates, IRB approvals and lab certificates.",
    )
    note = forms.CharField(max_length=300, required=False, label="Note to the reviewer")

    def __init__(self, *args, slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [("", "Choose the document…")] + [
            (slot.key, slot.label) for slot in slots if slot.uploadable
        ]


class ReviewForm(StyledForm):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(
        max_length=500,
        required=False,
        label="Reason",
        help_text="Required when rejecting; the site sees it.",
    )


class ReviewFilterForm(StyledForm):
    study = forms.IntegerField(required=False, widget=forms.HiddenInput)
