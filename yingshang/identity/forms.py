"""Forms of the identity pages: validation and accessible rendering only, no business rules.

Django renders each field with its label tied to the input, ``aria-invalid`` and
``aria-describedby`` pointing at the field's error list; ``identity/_error_summary.html`` lists
every error at the top with links to the fields and takes the focus (``autofocus``), which
works without JavaScript.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yingshang.identity.models import LANGUAGE_CHOICES
from yingshang.kernel.clock import today_in_shanghai


class Form(forms.Form):
    """Labels without a trailing colon (the pages put labels above the inputs)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SignInForm(Form):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(Form):
    code = forms.RegexField(
        label=_("Six-digit code from your authenticator app"),
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        max_length=8,
        error_messages={"invalid": _("Enter the six digits your authenticator app shows.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": r"[0-9 ]*", "size": 8}
        ),
    )

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).replace(" ", "").strip()


class ProfileForm(Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGE_CHOICES)


class OrganisationSwitchForm(Form):
    organisation = forms.TypedChoiceField(label=_("Act for"), coerce=int)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = choices  # type: ignore[attr-defined]


class TokenForm(Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “bidder tool on the office laptop”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("“write” includes “read” of the same area."),
    )
    expires_on = forms.DateField(
        label=_("Expires at the end of"),
        help_text=_("A date in the format YYYY-MM-DD, at most %(days)s days ahead."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    organisation = forms.TypedChoiceField(label=_("Acts for"), coerce=int, required=False, empty_value=None)

    def __init__(
        self,
        *args: Any,
        scope_choices: list[tuple[str, str]],
        organisation_choices: list[tuple[int | str, str]],
        max_days: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = scope_choices  # type: ignore[attr-defined]
        self.fields["organisation"].choices = organisation_choices  # type: ignore[attr-defined]
        self.fields["expires_on"].help_text = self.fields["expires_on"].help_text % {"days": max_days}
        self.fields["expires_on"].initial = today_in_shanghai() + timedelta(days=90)
        self.max_days = max_days

    def clean_expires_on(self) -> date:
        value: date = self.cleaned_data["expires_on"]
        if value < today_in_shanghai():
            raise forms.ValidationError(_("Choose a date from today on."), code="in_past")
        return value
