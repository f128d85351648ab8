"""Forms of the projects pages. They only parse input; every rule is the services'.

Times are entered as Beijing time (``datetime-local``) and handed on as aware datetimes; money
is entered in yuan and handed on in fen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yingshang.identity import facade as identity
from yingshang.kernel.money import InvalidAmount, fen_to_yuan, parse_yuan
from yingshang.kernel.policy import Principal
from yingshang.kernel.statutory import SHANGHAI
from yingshang.trading.projects import reference, services
from yingshang.trading.projects.contracts import LotInput
from yingshang.trading.projects.models import Project, Tender

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class BeijingDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read as Beijing time."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", [LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, str) and value.strip():
            for fmt in self.input_formats:
                try:
                    return datetime.strptime(value.strip(), fmt).replace(tzinfo=SHANGHAI)
                except ValueError:
                    continue
            raise forms.ValidationError(_("Enter a date and time (Beijing time)."), code="invalid")
        result = super().to_python(value)
        if result is not None and result.tzinfo is None:
            result = result.replace(tzinfo=SHANGHAI)
        return result

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(SHANGHAI).strftime(LOCAL_FORMAT)
        return value


class YuanField(forms.CharField):
    """An amount in yuan (``12,345.67``), cleaned to fen."""

    def clean(self, value: Any) -> int:
        text = super().clean(value)
        if text in (None, ""):
            return 0
        try:
            return parse_yuan(str(text))
        except InvalidAmount as exc:
            raise forms.ValidationError(str(exc)) from exc


def _choices(table: dict[str, Any]) -> list[tuple[str, str]]:
    return [(code, f"{row.label.zh} / {row.label.en}") for code, row in table.items()]


class IntakeForm(forms.Form):
    name = forms.CharField(label=_("Project name"), max_length=200)
    resource_kind = forms.ChoiceField(label=_("Resource kind"), choices=_choices(reference.RESOURCE_KINDS))
    regime = forms.ChoiceField(
        label=_("Regime"),
        choices=[("", _("The kind's default")), *_choices(reference.REGIMES)],
        required=False,
    )
    tenderer_uscc = forms.CharField(
        label=_("Tenderer's unified social credit code"),
        max_length=18,
        required=False,
        help_text=_("Agencies: the tenderer you act for. Tenderers: leave empty."),
    )
    supervisor = forms.TypedChoiceField(label=_("Competent supervisory department"), coerce=int, choices=())
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    state_controlled = forms.BooleanField(
        label=_("State-owned capital holds control or a leading position (T12)"), required=False
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    commitment_text = forms.CharField(
        label=_("Commitment"), widget=forms.Textarea(attrs={"rows": 4}), initial=services.DEFAULT_COMMITMENT
    )
    commitment_signed = forms.BooleanField(
        label=_("I sign this commitment for my organisation"), required=True
    )

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.principal = principal
        supervisors = identity.Organisation.objects.filter(
            kind__in=("supervisory", "department"), is_active=True
        ).order_by("name")[:500]
        self.fields["supervisor"].choices = [(o.pk, o.name) for o in supervisors]  # type: ignore[attr-defined]

    def clean_tenderer_uscc(self) -> int | None:
        value = (self.cleaned_data.get("tenderer_uscc") or "").strip()
        if not value:
            return None
        organisation = identity.get_organisation_by_uscc(value)
        if organisation is None:
            raise forms.ValidationError(_("No registered organisation has this credit code."))
        return organisation.pk

    def service_kwargs(self, lots: Any) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "resource_kind": data["resource_kind"],
            "regime": data["regime"] or None,
            "tenderer_id": data["tenderer_uscc"],
            "supervisor_id": data["supervisor"],
            "industry": data["industry"],
            "state_controlled": data["state_controlled"],
            "description": data["description"],
            "commitment_text": data["commitment_text"],
            "lots": [
                LotInput(
                    name=lot["name"],
                    estimated_price_fen=lot["estimated_price"],
                    deposit_fen=lot["deposit"],
                    deposit_form=lot["deposit_form"],
                    bid_validity_days=lot["bid_validity_days"],
                    qualifications=lot["qualifications"],
                )
                for lot in lots.cleaned_data
                if lot and not lot.get("DELETE")
            ],
        }


class LotForm(forms.Form):
    name = forms.CharField(label=_("Lot name"), max_length=200)
    estimated_price = YuanField(label=_("Estimated price or budget (yuan)"))
    deposit = YuanField(label=_("Bid deposit (yuan, at most 2 %)"), required=False)
    deposit_form = forms.ChoiceField(
        label=_("Deposit form"), choices=_choices(reference.DEPOSIT_FORMS), initial="guarantee"
    )
    bid_validity_days = forms.IntegerField(
        label=_("Bid validity (days)"), min_value=1, max_value=365, initial=90
    )
    qualifications = forms.CharField(
        label=_("Required qualifications"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


LotFormSet = forms.formset_factory(LotForm, extra=1, min_num=1, validate_min=True, max_num=services.MAX_LOTS)


class ReturnForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reasons for returning"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class TenderForm(forms.Form):
    method = forms.ChoiceField(label=_("Procurement method"))
    title = forms.CharField(label=_("Title"), max_length=300, required=False)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = reference.resource_kind(project.resource_kind)
        methods = [
            (code, f"{rule.label.zh} / {rule.label.en}")
            for code, rule in reference.METHOD_RULES.items()
            if kind is not None and code in kind.methods and project.regime in rule.regimes
        ]
        self.fields["method"].choices = methods  # type: ignore[attr-defined]


class _VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class TimelineForm(_VersionForm):
    documents_from = BeijingDateTimeField(label=_("Documents available from"))
    documents_until = BeijingDateTimeField(label=_("Documents available until"))
    questions_until = BeijingDateTimeField(label=_("Questions until"), required=False)
    bid_deadline = BeijingDateTimeField(label=_("Bid deadline (opening)"))

    def __init__(self, *args: Any, tender: Tender, **kwargs: Any) -> None:
        if not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "version": tender.version,
                "documents_from": tender.documents_from,
                "documents_until": tender.documents_until,
                "questions_until": tender.questions_until,
                "bid_deadline": tender.bid_deadline,
            }
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["times"] = {
            name: data.get(name)
            for name in ("documents_from", "documents_until", "questions_until", "bid_deadline")
        }
        return data


class PublishForm(_VersionForm):
    title = forms.CharField(label=_("Notice title"), max_length=300)
    body = forms.CharField(label=_("Notice text"), widget=forms.Textarea(attrs={"rows": 8}))


class AmendForm(_VersionForm):
    reason = forms.CharField(label=_("Reason for the amendment"), max_length=4000)
    body = forms.CharField(label=_("Amendment text"), widget=forms.Textarea(attrs={"rows": 5}))
    documents_until = BeijingDateTimeField(label=_("New end of the download period"), required=False)
    questions_until = BeijingDateTimeField(label=_("New question deadline"), required=False)
    bid_deadline = BeijingDateTimeField(label=_("New bid deadline"), required=False)
    affects_preparation = forms.BooleanField(
        label=_("May affect the preparation of bids (T4: moves a deadline less than 15 days away)"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, tender: Tender, **kwargs: Any) -> None:
        if not args and "initial" not in kwargs:
            kwargs["initial"] = {"version": tender.version, "affects_preparation": True}
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["times"] = {
            name: data.get(name) for name in ("documents_until", "questions_until", "bid_deadline")
        }
        return data


class SuspendForm(_VersionForm):
    reason = forms.CharField(label=_("Reason"), max_length=4000)
    ground = forms.ChoiceField(
        label=_("Ground"),
        choices=[
            ("objection", _("An objection to the tender documents (T5)")),
            ("supervisor_order", _("An order of the supervisory department")),
            ("complaint", _("A complaint")),
            ("other", _("Other")),
        ],
    )
    until = BeijingDateTimeField(label=_("Resume automatically at (optional)"), required=False)


class ResumeForm(_VersionForm):
    reason = forms.CharField(label=_("Note"), max_length=4000, required=False)


class CancelForm(_VersionForm):
    reason = forms.CharField(label=_("Reasons for terminating"), widget=forms.Textarea(attrs={"rows": 3}))


class RetenderForm(_VersionForm):
    bids_received = forms.IntegerField(label=_("Bids received by the deadline"), min_value=0)
    reason = forms.CharField(label=_("Note"), max_length=4000, required=False)


def yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen):,.2f}"
