"""Feasibility forms: parse and shape input only; every rule lives in feasibility.services."""

from decimal import Decimal

from django import forms

from core.forms import StyledForm
from feasibility.models import ProfileField, QuestionKind, RequestStatus


class QuestionnaireCreateForm(StyledForm):
    study = forms.ModelChoiceField(label="Study", queryset=None)
    title = forms.CharField(label="Title", max_length=200, initial="Site feasibility")
    instructions = forms.CharField(
        label="Instructions for the sites",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, studies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study"].queryset = studies


class QuestionForm(StyledForm):
    text = forms.CharField(label="Question", max_length=300)
    kind = forms.ChoiceField(label="Answer type", choices=QuestionKind.choices)
    options = forms.CharField(
        label="Options (choice questions)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One option per line.",
    )
    help_text = forms.CharField(label="Hint for the site", max_length=300, required=False)
    profile_field = forms.ChoiceField(
        label="Pre-fill from the site profile",
        choices=ProfileField.choices,
        required=False,
    )
    reuse_answers = forms.BooleanField(
        label="Pre-fill from the site's earlier answer",
        required=False,
        initial=True,
        help_text="Untick for questions whose answer depends on the study.",
    )

    def clean_options(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]


class ItemAddForm(StyledForm):
    question = forms.ModelChoiceField(label="Question from the bank", queryset=None)
    required = forms.BooleanField(label="Answer required", required=False, initial=True)
    weight = forms.IntegerField(
        label="Weight (points)",
        min_value=0,
        max_value=100,
        initial=0,
        help_text="0 = asked but not scored.",
    )
    expect = forms.ChoiceField(
        label="Yes/no: points for",
        required=False,
        choices=[("", "—"), ("yes", "Yes"), ("no", "No")],
    )
    minimum = forms.DecimalField(label="Number: at least", required=False)
    maximum = forms.DecimalField(label="Number: at most", required=False)
    points = forms.CharField(
        label="Choices: % of the weight per option",
        required=False,
        help_text="e.g. Local=100; Central=50",
    )

    def __init__(self, *args, questions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].queryset = questions

    def clean_points(self) -> dict:
        text = self.cleaned_data["points"].strip()
        points: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in text.replace("\n", ";").split(";"))):
            option, sep, pct = part.rpartition("=")
            if not sep or not option.strip():
                raise forms.ValidationError("Write each option as Option=percent.")
            try:
                points[option.strip()] = int(pct.strip())
            except ValueError as exc:
                raise forms.ValidationError("Percentages are whole numbers.") from exc
        return points

    def rule(self) -> dict:
        """The scoring rule for the question's kind from the fields filled in."""
        data = self.cleaned_data
        kind = data["question"].kind
        if kind == QuestionKind.YES_NO:
            return {"expect": data["expect"]} if data["expect"] else {}
        if kind == QuestionKind.NUMBER:
            rule: dict[str, str] = {}
            for name, bound in (("minimum", "min"), ("maximum", "max")):
                if isinstance(data[name], Decimal):
                    rule[bound] = str(data[name])
            return rule
        if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
            return {"points": data["points"]} if data["points"] else {}
        return {}


class SendForm(StyledForm):
    sites = forms.ModelMultipleChoiceField(
        label="Research sites",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )
    due_date = forms.DateField(label="Due date", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = sites
        self.fields["sites"].widget.attrs["class"] = "form-check-input"


class AnswerForm(forms.Form):
    """One field per questionnaire item (``item_<id>``) plus an optional comment."""

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            q = item.question
            name = f"item_{item.pk}"
            label = q.text
            if q.kind == QuestionKind.YES_NO:
                field = forms.ChoiceField(
                    choices=[("yes", "Yes"), ("no", "No")],
                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                )
            elif q.kind == QuestionKind.SINGLE_CHOICE:
                field = forms.ChoiceField(
                    choices=[(o, o) for o in q.options],
                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                )
            elif q.kind == QuestionKind.MULTIPLE_CHOICE:
                field = forms.MultipleChoiceField(
                    choices=[(o, o) for o in q.options],
                    widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
                )
            elif q.kind == QuestionKind.NUMBER:
                field = forms.CharField(
                    widget=forms.TextInput(
                        attrs={"class": "form-control", "inputmode": "decimal", "size": 12}
                    )
                )
            elif q.kind == QuestionKind.DATE:
                field = forms.CharField(
                    widget=forms.DateInput(attrs={"class": "form-control", "type": "date"})
                )
            else:
                field = forms.CharField(
                    widget=forms.Textarea(attrs={"class": "form-control", "rows": 2})
                )
            field.required = False
            field.label = label
            field.help_text = q.help_text
            self.fields[name] = field
            self.fields[f"comment_{item.pk}"] = forms.CharField(
                label="Comment (optional)",
                required=False,
                max_length=500,
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            )

    def add_error(self, field, error):
        super().add_error(field, error)
        if field in self.fields:
            widget = self.fields[field].widget
            widget.attrs["aria-invalid"] = "true"
            if "form-control" in widget.attrs.get("class", ""):
                widget.attrs["class"] += " is-invalid"

    def answers(self) -> dict[int, object]:
        return {item.pk: self.cleaned_data.get(f"item_{item.pk}") for item in self.items}

    def comments(self) -> dict[int, str]:
        return {item.pk: self.cleaned_data.get(f"comment_{item.pk}", "") for item in self.items}

    def rows(self):
        """(item, answer field, comment field) per question, for the template."""
        return [(item, self[f"item_{item.pk}"], self[f"comment_{item.pk}"]) for item in self.items]


class NotesForm(StyledForm):
    notes = forms.CharField(
        label="Your notes (never shown to the site)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SelectForm(StyledForm):
    site_number = forms.CharField(label="Site number", max_length=20)
    reason = forms.CharField(label="Reason (audit trail)", max_length=300, required=False)


class DeclineForm(StyledForm):
    reason = forms.CharField(
        label="Reason (kept for your records)", max_length=300, help_text="Not shown to the site."
    )
    message = forms.CharField(
        label="Message to the site (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RequestFilterForm(StyledForm):
    q = forms.CharField(label="Search", required=False, max_length=100)
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), ("open", "Open (not yet submitted)"), *RequestStatus.choices],
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[
            ("due", "Due date"),
            ("-due", "Due date, latest first"),
            ("site", "Site"),
            ("status", "Status"),
        ],
    )


class QuestionnaireFilterForm(StyledForm):
    q = forms.CharField(label="Search", required=False, max_length=100)
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), ("draft", "Draft"), ("sent", "Sent")],
    )


class AttachmentForm(StyledForm):
    file = forms.FileField(
        label="File",
        help_text="PDF, PNG or JPEG image, Word (.docx) or Excel (.xlsx); up to 10 MB.",
    )
    note = forms.CharField(
        label="What is it? (optional)",
        required=False,
        max_length=300,
        help_text="e.g. PI CV, freezer temperature log",
    )
