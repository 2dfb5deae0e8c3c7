from django import forms

from core.forms import StyledForm
from queries.models import DataQueryStatus, WaitingOn

AGE_CHOICES = [
    ("", "Any age"),
    ("5", "Open 5+ days"),
    ("10", "Open 10+ days"),
    ("30", "Open 30+ days"),
]
SORT_CHOICES = [
    ("-raised_at", "Newest first"),
    ("raised_at", "Oldest first"),
    ("waiting_since", "Longest waiting"),
    ("status", "Status"),
    ("subject", "Subject"),
    ("site", "Site"),
    ("study", "Study"),
]


class DataQueryFilterForm(StyledForm):
    study = forms.TypedChoiceField(label="Study", required=False, coerce=int, empty_value=None)
    study_site = forms.TypedChoiceField(label="Site", required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *DataQueryStatus.choices]
    )
    waiting_on = forms.ChoiceField(
        label="Waiting on",
        required=False,
        choices=[("", "Anyone"), (WaitingOn.SITE, "The site"), (WaitingOn.CRO, "The CRO")],
    )
    min_age_days = forms.TypedChoiceField(
        label="Age", required=False, choices=AGE_CHOICES, coerce=int, empty_value=None
    )
    ordering = forms.ChoiceField(label="Sort", required=False, choices=SORT_CHOICES)
    # Set by the subject page's "All queries" link; the list stays scoped to what the user sees.
    subject = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, studies=(), study_sites=(), study_first=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study"].choices = [("", "All studies")] + [
            (s.pk, s.protocol_number) for s in studies
        ]
        # Too many sites for one list: the empty choice says how to get a study's sites.
        everywhere = "All sites (choose a study to list its sites)" if study_first else "All sites"
        self.fields["study_site"].choices = [("", everywhere)] + [
            (ss.pk, f"{ss.study.protocol_number} · {ss.site_number} {ss.site.name}")
            for ss in study_sites
        ]


class SubjectLookupForm(StyledForm):
    study = forms.TypedChoiceField(label="Study", coerce=int)
    subject_identifier = forms.CharField(
        label="Subject id", max_length=30, help_text="The pseudonymous subject id, e.g. 101-004"
    )

    def __init__(self, *args, studies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study"].choices = [(s.pk, str(s)) for s in studies]


class DataQueryRaiseForm(StyledForm):
    subject_visit = forms.ModelChoiceField(
        label="Visit", queryset=None, required=False, empty_label="Not about one visit"
    )
    form_name = forms.CharField(label="Form (CRF page)", max_length=100)
    field_name = forms.CharField(label="Field", max_length=100, required=False)
    text = forms.CharField(label="Query", max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, visits=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject_visit"].queryset = visits
        self.fields["subject_visit"].label_from_instance = lambda v: (
            f"{v.definition.code} — {v.definition.name} (target {v.target_date:%Y-%m-%d})"
        )


class DataQueryActionForm(StyledForm):
    text = forms.CharField(
        label="Message", max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, label: str = "Message", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = label


class DataQueryImportForm(StyledForm):
    study = forms.ModelChoiceField(label="Study", queryset=None, empty_label=None)
    file = forms.FileField(
        label="CSV export from the EDC",
        help_text="UTF-8 CSV, one row per query, with the columns subject_id, visit_code "
        "(optional), form, field (optional), text, external_id.",
    )

    def __init__(self, *args, studies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study"].queryset = studies
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"
