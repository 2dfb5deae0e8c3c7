from django import forms

from core.forms import StyledForm
from sites.models import Capability


class SiteProfileForm(StyledForm):
    address_line = forms.CharField(label="Address", max_length=200, required=False)
    city = forms.CharField(label="City", max_length=100, required=False)
    region = forms.CharField(label="State / region", max_length=100, required=False)
    postal_code = forms.CharField(label="Postal code", max_length=20, required=False)
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    therapeutic_areas = forms.CharField(
        label="Therapeutic areas",
        required=False,
        help_text="Separate with commas, e.g. Cardiology, Oncology.",
    )
    capabilities = forms.MultipleChoiceField(
        label="Capabilities",
        choices=Capability.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    staff_count = forms.IntegerField(label="Research staff", min_value=0)
    patient_population = forms.IntegerField(label="Patients seen per year", min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Checkboxes carry their own classes; a form-control class would stretch them.
        self.fields["capabilities"].widget.attrs.pop("class", None)

    def clean_therapeutic_areas(self) -> list[str]:
        return [a.strip() for a in self.cleaned_data["therapeutic_areas"].split(",") if a.strip()]
