from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yingshang.files.rules import PURPOSES


def purpose_choices() -> list[tuple[str, str]]:
    return [(code, str(purpose.label)) for code, purpose in PURPOSES.items()]


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("PDF, Word, Excel, OFD, ZIP, PNG or JPEG."))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=purpose_choices, initial="general")
