from django import forms

from core.forms import StyledForm
from payments.models import DisputeStatus, InvoiceStatus, ItemCategory, PaymentRunStatus
from trials.models import MilestoneKind

DATE = forms.DateInput(attrs={"type": "date"})
MONEY_INPUT = {"inputmode": "decimal", "autocomplete": "off"}


def _money(label: str, required: bool = False, help_text: str = "") -> forms.CharField:
    # A CharField: the service parses the text into Decimal (never float) and explains refusals.
    return forms.CharField(
        label=label,
        required=required,
        max_length=20,
        help_text=help_text,
        widget=forms.TextInput(attrs=MONEY_INPUT),
    )


class SummaryFilterForm(StyledForm):
    q = forms.CharField(label="Search study or site", required=False, max_length=100)
    sort = forms.ChoiceField(
        label="Sort",
        required=False,
        choices=[
            ("", "Study"),
            ("-outstanding", "Outstanding (high first)"),
            ("-earned", "Earned (high first)"),
            ("-held", "Holdback held (high first)"),
        ],
    )


class BudgetVersionForm(StyledForm):
    """The fee schedule of a new budget version: one field per visit of the study's schedule,
    per milestone and per invoiceable item."""

    effective_date = forms.DateField(label="Effective from", widget=DATE)
    currency = forms.CharField(
        label="Currency (ISO 4217)", max_length=3, required=False, help_text="Fixed after v1."
    )
    holdback_percent = forms.DecimalField(
        label="Holdback %", min_value=0, max_value=20, decimal_places=2, initial=10
    )
    payment_terms_days = forms.IntegerField(
        label="Payment terms (days)", min_value=0, max_value=365, initial=30
    )
    screen_failure_fee = _money("Screen-failure fee")
    screen_failure_cap = forms.IntegerField(
        label="Screen failures paid at most",
        min_value=0,
        required=False,
        help_text="Leave empty for no cap.",
    )
    second_approval_threshold = _money(
        "Second approval above", help_text="Invoices above this total need a second approver."
    )
    reason = forms.CharField(
        label="Reason (amendment or agreement reference)",
        max_length=300,
        help_text="Recorded with the version and in the audit trail.",
    )

    def __init__(self, *args, visit_definitions=(), current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.visit_fields, self.milestone_fields, self.item_fields = [], [], []
        existing = {}
        if current is not None:
            for fee in current.fees.all():
                key = (
                    f"visit_{fee.visit_definition_id}"
                    if fee.kind == "visit"
                    else f"milestone_{fee.milestone_kind}"
                    if fee.kind == "milestone"
                    else f"item_{fee.item_category}"
                )
                existing[key] = fee.amount
        for definition in visit_definitions:
            name = f"visit_{definition.pk}"
            self.fields[name] = _money(f"{definition.code} — {definition.name}")
            self.visit_fields.append(name)
        for kind, label in MilestoneKind.choices:
            name = f"milestone_{kind}"
            self.fields[name] = _money(label)
            self.milestone_fields.append(name)
        for category, label in ItemCategory.choices:
            name = f"item_{category}"
            self.fields[name] = _money(f"{label} (most per unit)")
            self.item_fields.append(name)
        for name, field in self.fields.items():
            if name.startswith(("visit_", "milestone_", "item_")):
                field.widget.attrs["class"] = "form-control form-control-sm"
        if current is not None and not self.is_bound:
            for name in (
                "holdback_percent",
                "payment_terms_days",
                "screen_failure_fee",
                "screen_failure_cap",
                "second_approval_threshold",
            ):
                self.initial[name] = getattr(current, name)
            self.initial.update(existing)

    def schedule(self) -> dict:
        data = self.cleaned_data
        return {
            "visit_fees": {
                int(n.split("_", 1)[1]): data[n] for n in self.visit_fields if data.get(n)
            },
            "milestone_fees": {
                n.split("_", 1)[1]: data[n] for n in self.milestone_fields if data.get(n)
            },
            "item_caps": {n.split("_", 1)[1]: data[n] for n in self.item_fields if data.get(n)},
        }

    @property
    def visit_bound(self):
        return [self[n] for n in self.visit_fields]

    @property
    def milestone_bound(self):
        return [self[n] for n in self.milestone_fields]

    @property
    def item_bound(self):
        return [self[n] for n in self.item_fields]


class InvoiceCreateForm(StyledForm):
    study_site = forms.ModelChoiceField(label="Study and site", queryset=None, empty_label=None)

    def __init__(self, *args, study_sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study_site"].queryset = study_sites
        self.fields["study_site"].label_from_instance = lambda ss: (
            f"{ss.study.protocol_number} · {ss.study.cro.name} · site {ss.site_number}"
        )


class InvoiceLineForm(StyledForm):
    item_category = forms.ChoiceField(label="Item", choices=ItemCategory.choices)
    service_date = forms.DateField(label="Date of service", widget=DATE)
    quantity = forms.IntegerField(label="Quantity", min_value=1, initial=1)
    unit_amount = _money("Amount per unit", required=True)
    description = forms.CharField(label="Description", max_length=300, required=False)
    attachment = forms.FileField(
        label="Receipt (optional)",
        required=False,
        help_text="PDF, PNG or JPEG, at most 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )


class SignForm(StyledForm):
    password = forms.CharField(
        label="Your password (e-signature)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class RejectForm(StyledForm):
    reason = forms.CharField(
        label="Reason for rejection", max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ChangesForm(StyledForm):
    comment = forms.CharField(
        label="Changes needed", max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class InvoiceFilterForm(StyledForm):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *InvoiceStatus.choices]
    )


class RunFilterForm(StyledForm):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *PaymentRunStatus.choices]
    )


class RunBuildForm(StyledForm):
    study_site = forms.ModelChoiceField(label="Study and site", queryset=None, empty_label=None)
    period_start = forms.DateField(label="Period from", widget=DATE)
    period_end = forms.DateField(label="Period to", widget=DATE)

    def __init__(self, *args, study_sites=None, empty_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study_site"].queryset = study_sites
        # "Choose a study first" while a large CRO's study is still to be chosen.
        self.fields["study_site"].empty_label = empty_label
        self.fields["study_site"].label_from_instance = lambda ss: (
            f"{ss.study.protocol_number} · {ss.site.name} (site {ss.site_number})"
        )


class RunPayForm(StyledForm):
    payment_reference = forms.CharField(label="Payment reference", max_length=100)
    payment_date = forms.DateField(label="Payment date", widget=DATE)


class DisputeForm(StyledForm):
    comment = forms.CharField(
        label="What is wrong?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="CRO finance reads this and answers; the line itself is never edited.",
    )


class DisputeAcceptForm(StyledForm):
    amount = _money(
        "Correction",
        required=True,
        help_text="Added as its own adjustment line in the next run; negative to take back.",
    )
    answer = forms.CharField(
        label="What you corrected", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DisputeRejectForm(StyledForm):
    reason = forms.CharField(
        label="Why the line stands", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DisputeFilterForm(StyledForm):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All"), *DisputeStatus.choices]
    )
    sort = forms.ChoiceField(
        label="Sort",
        required=False,
        choices=[("", "Newest first"), ("raised_at", "Oldest first")],
    )


class AgingFilterForm(StyledForm):
    study = forms.ModelChoiceField(
        label="Study", required=False, queryset=None, empty_label="All studies"
    )

    def __init__(self, *args, studies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study"].queryset = studies
