"""Forms of the monitoring pages: types and widgets only; the rules live in services."""

from django import forms

from core.forms import StyledForm
from monitoring.models import (
    ActionItemCategory,
    ActionItemOwner,
    ActionItemStatus,
    FindingCategory,
    FindingSeverity,
    VisitMode,
    VisitStatus,
    VisitType,
)
from monitoring.sections import Section

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXTAREA = {"rows": 3}


class VisitFilterForm(StyledForm):
    study = forms.TypedChoiceField(label="Study", required=False, coerce=int, empty_value=None)
    site = forms.TypedChoiceField(label="Site", required=False, coerce=int, empty_value=None)
    visit_type = forms.ChoiceField(
        label="Type", required=False, choices=[("", "Any type"), *VisitType.choices]
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *VisitStatus.choices]
    )
    date_from = forms.DateField(label="From", required=False, widget=DATE)
    date_to = forms.DateField(label="To", required=False, widget=DATE)

    def __init__(self, *args, studies=(), sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study"].choices = [("", "Any study"), *studies]
        self.fields["site"].choices = [("", "Any site"), *sites]


class VisitPlanForm(StyledForm):
    study_site = forms.TypedChoiceField(label="Study-site", coerce=int)
    visit_type = forms.ChoiceField(label="Visit type", choices=VisitType.choices)
    mode = forms.ChoiceField(label="Mode", choices=VisitMode.choices)
    planned_at = forms.DateTimeField(
        label="Planned date and time", widget=DATETIME, help_text="In your time zone."
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=15, max_value=1440, initial=240
    )
    attendees = forms.CharField(
        label="Planned attendees", required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    agenda = forms.CharField(label="Agenda", required=False, widget=forms.Textarea(attrs=TEXTAREA))
    subjects_to_prepare = forms.CharField(
        label="Subjects to prepare",
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text="Pseudonymous subject ids whose source documents the site should have ready.",
    )
    documents_to_prepare = forms.CharField(
        label="Documents to prepare", required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )

    def __init__(self, *args, study_sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study_site"].choices = list(study_sites)


class ProposeDateForm(StyledForm):
    proposed_at = forms.DateTimeField(label="Proposed date and time", widget=DATETIME)
    note = forms.CharField(label="Note to the CRA", required=False, max_length=500)


class RescheduleForm(StyledForm):
    planned_at = forms.DateTimeField(label="New date and time", widget=DATETIME)
    reason = forms.CharField(label="Reason", max_length=300, help_text="Kept in the audit trail.")


class CancelForm(StyledForm):
    reason = forms.CharField(label="Reason for cancelling", max_length=300)


class CompleteForm(StyledForm):
    actual_date = forms.DateField(label="Date the visit took place", widget=DATE)


class SignForm(StyledForm):
    password = forms.CharField(
        label="Your password (e-signature)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ReturnForm(StyledForm):
    comments = forms.CharField(
        label="What should the CRA change?", widget=forms.Textarea(attrs=TEXTAREA)
    )


class CorrectForm(StyledForm):
    reason = forms.CharField(
        label="Reason for the correction", max_length=300, help_text="Kept with the new version."
    )


class FindingForm(StyledForm):
    category = forms.ChoiceField(label="Category", choices=FindingCategory.choices)
    severity = forms.ChoiceField(label="Severity", choices=FindingSeverity.choices)
    description = forms.CharField(label="Finding", widget=forms.Textarea(attrs={"rows": 2}))


class ActionItemForm(StyledForm):
    description = forms.CharField(
        label="What needs to be done", widget=forms.Textarea(attrs=TEXTAREA)
    )
    category = forms.ChoiceField(label="Category", choices=ActionItemCategory.choices)
    owner = forms.ChoiceField(label="Owner", choices=ActionItemOwner.choices)
    due_date = forms.DateField(label="Due date", widget=DATE)


class StandaloneActionItemForm(ActionItemForm):
    study_site = forms.TypedChoiceField(label="Study-site", coerce=int)

    field_order = ["study_site", "description", "category", "owner", "due_date"]

    def __init__(self, *args, study_sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study_site"].choices = list(study_sites)


class ActionItemFilterForm(StyledForm):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *ActionItemStatus.choices]
    )
    owner = forms.ChoiceField(
        label="Owner", required=False, choices=[("", "Anyone"), *ActionItemOwner.choices]
    )
    study = forms.TypedChoiceField(label="Study", required=False, coerce=int, empty_value=None)
    site = forms.TypedChoiceField(label="Site", required=False, coerce=int, empty_value=None)
    overdue = forms.BooleanField(label="Only overdue", required=False)

    def __init__(self, *args, studies=(), sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study"].choices = [("", "Any study"), *studies]
        self.fields["site"].choices = [("", "Any site"), *sites]


class ResolveForm(StyledForm):
    note = forms.CharField(label="How it was resolved", widget=forms.Textarea(attrs=TEXTAREA))


class ReopenForm(StyledForm):
    reason = forms.CharField(label="Why re-open it", max_length=300)


def section_form(section: Section, *, data=None, initial=None) -> StyledForm:
    """A form for one report section; empty values are allowed while drafting."""
    fields = {}
    for field in section.fields:
        if field.kind == "number":
            fields[field.name] = forms.IntegerField(label=field.label, required=False, min_value=0)
        else:
            fields[field.name] = forms.CharField(
                label=field.label,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
    form_class = type(f"{section.key.title()}SectionForm", (StyledForm,), fields)
    return form_class(data=data, initial=initial, prefix=section.key)


class MonitoringSettingsForm(StyledForm):
    report_due_days = forms.IntegerField(
        label="Report due (days after the visit)",
        min_value=1,
        max_value=90,
        help_text="Between 1 and 90 days. Applies to visits completed from now on.",
    )
    reason = forms.CharField(
        label="Reason for the change",
        max_length=300,
        help_text="Kept in the audit trail.",
    )
