from django import forms

from accounts.models import Organization, OrganizationKind
from core.forms import StyledForm
from trials.models import Phase, StudySiteStatus, StudyStatus


class StudyFilterForm(StyledForm):
    q = forms.CharField(label="Search", required=False)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *StudyStatus.choices]
    )
    sort = forms.ChoiceField(
        label="Sort",
        required=False,
        choices=[("protocol", "Protocol"), ("title", "Title"), ("status", "Status")],
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


class AssignCRAForm(StyledForm):
    cra = forms.ModelChoiceField(label="CRA", queryset=None)

    def __init__(self, *args, cras=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cra"].queryset = cras
