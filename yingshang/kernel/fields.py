"""Django model and form fields for unified social credit codes (统一社会信用代码).

Both normalise (trim, full-width to half-width, upper case) and validate with
:func:`yingshang.kernel.identifiers.check_uscc`; the validation message is the exact problem in
the active language, with the identifier's ``code`` as the Django error code.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from yingshang.kernel.identifiers import USCC_LENGTH, InvalidIdentifier, check_uscc, normalise_uscc

__all__ = ["USCCField", "USCCFormField", "validate_uscc"]


def validate_uscc(value: str) -> None:
    """A Django validator: raises ``ValidationError`` (code ``uscc_<problem>``) for a bad code."""
    try:
        check_uscc(value)
    except InvalidIdentifier as exc:
        raise ValidationError(str(exc), code=f"uscc_{exc.code}") from exc


def _normalise(value: Any) -> Any:
    return normalise_uscc(value) if isinstance(value, str) else value


class USCCFormField(forms.CharField):
    """A text input for a credit code: normalised, then checked digit by digit."""

    default_validators = [validate_uscc]

    def __init__(self, **kwargs: Any) -> None:
        # Room for surrounding spaces and full-width input; the check reports a wrong length.
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("label", _("unified social credit code"))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return str(_normalise(super().to_python(value)))

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.update({"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})
        return attrs


class USCCField(models.CharField):
    """A model field holding a normalised, valid 18-character credit code."""

    description = _("Unified social credit code")
    default_validators = [validate_uscc]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_length"] = USCC_LENGTH
        kwargs.setdefault("verbose_name", _("unified social credit code"))
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def to_python(self, value: Any) -> Any:
        return _normalise(super().to_python(value))

    def formfield(self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any) -> Any:
        return super().formfield(
            form_class=form_class or USCCFormField,
            choices_form_class=choices_form_class,
            **{"max_length": 40, **kwargs},
        )
