"""The as-of date a scorecard page is read at."""

from datetime import date

from django import forms

from scorecards.measures import today as utc_today

EARLIEST = date(2000, 1, 1)


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        label="As of",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Measures as they stood at the end of this day (empty: today).",
    )

    def clean_as_of(self) -> date | None:
        value = self.cleaned_data.get("as_of")
        if value is None:
            return None
        if value > utc_today():
            raise forms.ValidationError("Choose today or a day in the past.")
        if value < EARLIEST:
            raise forms.ValidationError("Choose a day in 2000 or later.")
        return value


def as_of_from(request) -> tuple[AsOfForm, date]:
    """The form bound to the query string, and the date to measure at (today when the field
    is empty or wrong; the form then carries the error to show)."""
    form = AsOfForm(request.GET or None)
    today = utc_today()
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["as_of"] or today
    return form, today
