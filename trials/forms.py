from django import forms

from accounts.models import Organization, OrganizationKind
from core.forms import StyledForm
from trials.models import (
    AgeBand,
    Ethnicity,
    Phase,
    Race,
    Sex,
    StudySiteStatus,
    StudyStatus,
    StudyUpdateKind,
    SubjectStatus,
    SubjectVisitStatus,
)


class StudyFilterForm(StyledForm):
    q = forms.CharField(label="Search", required=False)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *StudyStatus.choices]
    )


class StudySiteFilterForm(StyledForm):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *StudySiteStatus.choices]
    )


class StudyForm(StyledForm):
    protocol_number = forms.CharField(label="Protocol number", max_length=50)
    title = forms.CharField(label="Title", max_length=300)
    sponsor = forms.ModelChoiceField(
        label="Sponsor", queryset=Organization.objects.filter(kind=OrganizationKind.SPONSOR)
    )
    phase = forms.ChoiceField(label="Phase", choices=Phase.choices)
    therapeutic_area = forms.CharField(label="Therapeutic area", max_length=100)
    currency = forms.CharField(label="Budget currency (ISO 4217)", max_length=3, initial="USD")
    planned_sites = forms.IntegerField(label="Planned sites", min_value=0, initial=0)
    planned_subjects = forms.IntegerField(label="Planned subjects", min_value=0, initial=0)


class StudyEditForm(StyledForm):
    title = forms.CharField(label="Title", max_length=300)
    phase = forms.ChoiceField(label="Phase", choices=Phase.choices)
    therapeutic_area = forms.CharField(label="Therapeutic area", max_length=100)
    planned_sites = forms.IntegerField(label="Planned sites", min_value=0)
    planned_subjects = forms.IntegerField(label="Planned subjects", min_value=0)
    planned_fpi_date = forms.DateField(
        label="Planned first patient in",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="With the last-patient-in date and the planned subjects: the enrollment plan.",
    )
    planned_lpi_date = forms.DateField(
        label="Planned last patient in",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(
        label="Reason for the change",
        max_length=300,
        help_text="Recorded in the audit trail.",
    )


class StudySiteAddForm(StyledForm):
    site = forms.ModelChoiceField(
        label="Research site", queryset=Organization.objects.filter(kind=OrganizationKind.SITE)
    )
    site_number = forms.CharField(label="Site number", max_length=20)
    enrollment_target = forms.IntegerField(label="Enrollment target", min_value=0, initial=0)


class VisitDefinitionForm(StyledForm):
    code = forms.CharField(label="Code", max_length=20)
    name = forms.CharField(label="Name", max_length=100)
    day_offset = forms.IntegerField(label="Day (from enrollment)")
    window_before = forms.IntegerField(label="Window − days", min_value=0, initial=0)
    window_after = forms.IntegerField(label="Window + days", min_value=0, initial=0)


class StudySiteTransitionForm(StyledForm):
    to_status = forms.ChoiceField(label="New status", choices=StudySiteStatus.choices)
    reason = forms.CharField(label="Reason", max_length=300, required=False)
    override = forms.BooleanField(
        label="Override open checklist items (study lead only; give the reason above)",
        required=False,
    )


class AssignCRAForm(StyledForm):
    cra = forms.ModelChoiceField(label="CRA", queryset=None)

    def __init__(self, *args, cras=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cra"].queryset = cras


# --- enrollment log and subject visits ---------------------------------------------------

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date_field(label: str, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=DATE_WIDGET, **kwargs)


class SubjectLogFilterForm(StyledForm):
    q = forms.CharField(label="Subject id", required=False, max_length=30)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *SubjectStatus.choices]
    )


class SubjectRegisterForm(StyledForm):
    """Screening registration. The subject id comes from the study's pattern; there is no
    field for a name, birth date or any other direct identifier."""

    screening_date = _date_field("Screening date")
    consent_date = _date_field("Consent signed on", help_text="On or before the screening date.")
    consent_version = forms.CharField(
        label="Consent form version", max_length=30, help_text="As printed on the form, e.g. v3.0"
    )
    sex = forms.ChoiceField(label="Sex", choices=Sex.choices, initial=Sex.NOT_REPORTED)
    age_band = forms.ChoiceField(
        label="Age band", choices=AgeBand.choices, initial=AgeBand.NOT_REPORTED
    )
    race = forms.ChoiceField(label="Race", choices=Race.choices, initial=Race.NOT_REPORTED)
    ethnicity = forms.ChoiceField(
        label="Ethnicity", choices=Ethnicity.choices, initial=Ethnicity.NOT_REPORTED
    )


class SubjectCorrectForm(SubjectRegisterForm):
    reason = forms.CharField(
        label="Reason for the correction", max_length=300, help_text="Kept in the audit trail."
    )


class SubjectTransitionForm(StyledForm):
    to_status = forms.ChoiceField(label="New status", choices=SubjectStatus.choices)
    enrollment_date = _date_field(
        "Enrollment date", required=False, help_text="When enrolling; today if left empty."
    )
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        required=False,
        help_text="Required for a screen failure or withdrawal. No names or birth dates.",
    )


class SubjectVisitRecordForm(StyledForm):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[
            (SubjectVisitStatus.COMPLETED, "Completed"),
            (SubjectVisitStatus.MISSED, "Missed"),
        ],
    )
    actual_date = _date_field("Visit date", required=False)
    deviation_note = forms.CharField(
        label="Protocol deviation note",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What happened, if the visit was out of window or missed.",
    )
    confirm_out_of_window = forms.BooleanField(required=False, widget=forms.HiddenInput)


class SubjectVisitCorrectForm(StyledForm):
    status = forms.ChoiceField(label="Corrected outcome", choices=SubjectVisitStatus.choices)
    actual_date = _date_field("Visit date", required=False)
    deviation_note = forms.CharField(
        label="Protocol deviation note",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        label="Reason for the correction", max_length=300, help_text="Kept in the audit trail."
    )


# --- start-up / close-out records and study updates ---------------------------------------


class AgreementForm(StyledForm):
    signed_on = _date_field("Agreement signed on")
    reason = forms.CharField(
        label="Reason for the change",
        max_length=300,
        required=False,
        help_text="Only to change a date already recorded; kept in the audit trail.",
    )


class IPReconciliationForm(StyledForm):
    note = forms.CharField(
        label="Reconciliation note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="E.g. kits dispensed, returned and destroyed match the accountability log.",
    )


class StudyUpdateForm(StyledForm):
    kind = forms.ChoiceField(label="Kind of update", choices=StudyUpdateKind.choices)
    title = forms.CharField(label="Title", max_length=200)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 6}))
    confirmation_required = forms.BooleanField(
        label="Ask each site to confirm it has read this update", required=False
    )
    study_sites = forms.ModelMultipleChoiceField(
        label="Send to",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave every box empty to send to all open sites of the study.",
    )

    def __init__(self, *args, study_sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study_sites"].queryset = study_sites
        self.fields["study_sites"].label_from_instance = lambda ss: (
            f"Site {ss.site_number} — {ss.site.name}"
        )
        self.fields["study_sites"].widget.attrs["class"] = "form-check-input"


class StudyUpdateFilterForm(StyledForm):
    study = forms.ModelChoiceField(label="Study", queryset=None, required=False)
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Any kind"), *StudyUpdateKind.choices]
    )
    pending = forms.BooleanField(label="Only what is still to do", required=False)

    def __init__(self, *args, studies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study"].queryset = studies
        self.fields["study"].empty_label = "Any study"


class VisitDueFilterForm(StyledForm):
    study = forms.ModelChoiceField(label="Study", queryset=None, required=False)
    due = forms.ChoiceField(label="Due", required=False)
    ordering = forms.ChoiceField(
        label="Sort",
        required=False,
        choices=[
            ("window_end", "Window closes (soonest first)"),
            ("-window_end", "Window closes (latest first)"),
            ("window_start", "Window opens"),
            ("subject", "Subject id"),
        ],
    )

    def __init__(self, *args, studies=None, due_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study"].queryset = studies
        self.fields["study"].empty_label = "Any study"
        self.fields["due"].choices = [("", "Overdue and next two weeks"), *due_choices]
