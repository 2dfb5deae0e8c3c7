"""Input parsing for the accounts pages. The rules live in accounts/services.py."""

from django import forms
from django.contrib.auth import password_validation

from accounts.models import ROLES_BY_KIND, Organization, Role
from core.exceptions import ApplicationError
from core.forms import StyledForm


def apply_application_error(form: forms.Form, error: ApplicationError, aliases=None) -> None:
    """Show a service's refusal on the form: field messages next to their field (``aliases``
    maps a service field name to the form's), anything else above the form."""
    aliases = aliases or {}
    placed = False
    for name, messages in error.fields.items():
        field = aliases.get(name, name)
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class InvitationForm(StyledForm):
    email = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label="Role", choices=())

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Role.choices)
        self.fields["role"].choices = [("", "Choose a role…")] + [
            (role, labels[role]) for role in ROLES_BY_KIND[organization.kind]
        ]


class InvitationAcceptForm(StyledForm):
    """A new account for the invited email address."""

    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        help_text="As it should appear on your electronic signatures.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        help_text=" ".join(password_validation.password_validators_help_texts()),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password (again)",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords do not match.")
        return cleaned
