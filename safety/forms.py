"""Forms for adverse events: types and labels only; every rule lives in safety.services."""

from django import forms

from core.forms import StyledForm
from safety.models import AdverseEventStatus, Outcome, Relatedness, Seriousness, Severity

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class AdverseEventForm(StyledForm):
    term = forms.CharField(
        label="Event term",
        max_length=200,
        help_text="MedDRA-style preferred term, e.g. Pneumonia. No names or other identifiers.",
    )
    onset_date = forms.DateField(
        label="Onset date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    severity = forms.ChoiceField(label="Severity", choices=[("", "Choose…"), *Severity.choices])
    seriousness_criteria = forms.MultipleChoiceField(
        label="Seriousness criteria",
        required=False,
        choices=Seriousness.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick any that apply: the event is then serious (an SAE) and must reach the "
        "CRO within 24 hours of the site's awareness.",
    )
    awareness_at = forms.DateTimeField(
        label="Site became aware at",
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text="Serious events only: the 24-hour clock starts here (your time zone).",
    )
    relatedness = forms.ChoiceField(
        label="Relationship to study treatment", choices=[("", "Choose…"), *Relatedness.choices]
    )
    outcome = forms.ChoiceField(label="Outcome", choices=[("", "Choose…"), *Outcome.choices])
    description = forms.CharField(
        label="Narrative",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What happened and what was done. No names, dates of birth or other identifiers.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        widget = self.fields["seriousness_criteria"].widget
        widget.attrs["class"] = "form-check-input"


class FollowUpForm(AdverseEventForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        awareness = self.fields["awareness_at"]
        awareness.required = True
        awareness.label = "Site learned the new information at"
        awareness.help_text = "This follow-up's own 24-hour clock starts here (your time zone)."


class CorrectionForm(AdverseEventForm):
    reason = forms.CharField(
        label="Reason for the correction",
        max_length=300,
        help_text="Recorded in the audit trail with what changed.",
    )


class SubjectPickForm(StyledForm):
    subject = forms.ModelChoiceField(label="Subject", queryset=None, empty_label="Choose…")

    def __init__(self, *args, subjects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = subjects
        self.fields["subject"].label_from_instance = lambda s: (
            f"{s.study_site.study.protocol_number} · {s.subject_identifier}"
        )


YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]
SORTS = [
    ("", "Newest first"),
    ("due_at", "Due soonest"),
    ("-onset_date", "Onset, newest"),
    ("onset_date", "Onset, oldest"),
    ("-reported_at", "Reported, newest"),
    ("subject", "Subject"),
    ("study", "Study"),
    ("status", "Status"),
]


class AdverseEventFilterForm(StyledForm):
    study = forms.TypedChoiceField(label="Study", required=False, coerce=int, empty_value=None)
    site = forms.TypedChoiceField(label="Site", required=False, coerce=int, empty_value=None)
    serious = forms.ChoiceField(label="Serious", required=False, choices=YES_NO)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *AdverseEventStatus.choices]
    )
    late = forms.ChoiceField(label="Reported late", required=False, choices=YES_NO)
    ordering = forms.ChoiceField(label="Sort", required=False, choices=SORTS)

    def __init__(self, *args, studies, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study"].choices = [("", "All studies"), *studies]
        self.fields["site"].choices = [("", "All sites"), *sites]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = dict(self.cleaned_data)
        for name in ("serious", "late"):
            data[name] = {"yes": True, "no": False}.get(data.get(name) or "")
        return data
