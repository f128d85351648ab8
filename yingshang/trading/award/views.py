"""The award's pages.

- ``/trading/award/``: candidate publicities and results (public);
- ``/trading/award/<tender_id>/<lot_id>/``: one lot's publicity, result and contract as the
  viewer may see it (``selectors.view`` decides), with the viewer's controls;
- one POST per command, each calling one service (uploads go through the files facade first):
  success and refusal both redirect back with a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yingshang.files import facade as files
from yingshang.identity.facade import principal_for
from yingshang.kernel.errors import DomainError, InvalidInput, NotAuthenticated, NotFound
from yingshang.kernel.errors import PermissionDenied as DomainPermissionDenied
from yingshang.kernel.money import InvalidAmount, format_fen, parse_yuan
from yingshang.trading.award import messages as texts
from yingshang.trading.award import selectors, services, states
from yingshang.trading.award.models import Award
from yingshang.trading.projects import facade as projects

View = Callable[..., HttpResponseBase]


def _hidden_or_denied(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        except (DomainPermissionDenied, NotAuthenticated) as exc:
            raise DjangoPermissionDenied(str(exc)) from exc

    return wrapper


def _back(award: Award) -> HttpResponse:
    return redirect("award:detail", tender_id=award.tender_id, lot_id=award.lot_id)


def _command(
    request: HttpRequest, award: Award, action: Callable[[], Any], done: str, *, manager: bool = True
) -> HttpResponse:
    try:
        if manager:  # before reading the form or storing an upload
            services.require_manager(principal_for(request), award)
        action()
    except (NotAuthenticated, DomainPermissionDenied) as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return _back(award)


def _int(request: HttpRequest, name: str) -> int:
    raw = request.POST.get(name, "").strip()
    if not raw.isdigit():
        raise InvalidInput(
            _("Please give a whole number for %(field)s.") % {"field": name}, code="bad_number"
        )
    return int(raw)


def _date(request: HttpRequest, name: str, *, required: bool = True) -> dt.date | None:
    raw = request.POST.get(name, "").strip()
    if not raw and not required:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(_("Please give a date (YYYY-MM-DD)."), code="bad_date") from None


def _upload(request: HttpRequest, name: str, purpose: str, *, required: bool = True) -> int | None:
    uploaded = request.FILES.get(name)
    if uploaded is None:
        if required:
            raise InvalidInput(_("Please choose the document to upload."), code="no_document")
        return None
    ref = files.store_document(
        principal=principal_for(request), name=uploaded.name or "document", stream=uploaded, purpose=purpose
    )
    return ref.id


def _decorate(view: dict[str, Any]) -> dict[str, Any]:
    view["status_label"] = texts.STATUS_LABELS.get(view["status"], view["status"])
    view["lot_name"] = projects.lot_name(view["tender_id"], view["lot_id"])
    for clock_row in view.get("clocks") or []:
        clock_row["status_label"] = texts.CLOCK_LABELS.get(clock_row["status"], clock_row["status"])
    for c in view["candidates"]:
        c["price"] = format_fen(c["price_fen"])
        c["evaluated_price"] = (
            format_fen(c["evaluated_price_fen"]) if c["evaluated_price_fen"] is not None else ""
        )
        reason = c.get("passed_over_reason")
        c["passed_over_label"] = texts.REASONS.get(reason or "", "")
    if view["contract"]:
        view["contract"]["price"] = format_fen(view["contract"]["price_fen"])
    return view


@require_GET
def award_list(request: HttpRequest) -> HttpResponse:
    principal = principal_for(request)
    rows = [
        {
            "award": a,
            "lot_name": projects.lot_name(a.tender_id, a.lot_id),
            "status_label": texts.STATUS_LABELS.get(a.status, a.status),
        }
        for a in selectors.public_awards()
        if selectors.may_see(principal, a)
    ]
    return render(request, "award/list.html", {"rows": rows})


@require_GET
@_hidden_or_denied
def detail(request: HttpRequest, tender_id: int, lot_id: int) -> HttpResponse:
    principal = principal_for(request)
    award = Award.objects.filter(tender_id=tender_id, lot_id=lot_id).first()
    if award is None:
        may_start = services.may_start(principal, tender_id)
        if not may_start:
            raise Http404(str(texts.NO_AWARD))
        return render(request, "award/detail.html", {"view": None, "tender_id": tender_id, "lot_id": lot_id})
    view = _decorate(selectors.view(principal, award))
    return render(
        request,
        "award/detail.html",
        {
            "view": view,
            "award": award,
            "tender_id": tender_id,
            "lot_id": lot_id,
            "reasons": list(texts.REASONS.items()),
            "in_publicity": award.status in states.IN_PUBLICITY,
            "result_fixed": award.status in states.RESULT_FIXED,
            "english": (getattr(request, "LANGUAGE_CODE", "") or "").startswith("en"),
        },
    )


@require_POST
@_hidden_or_denied
def start_publicity(request: HttpRequest, tender_id: int, lot_id: int) -> HttpResponse:
    principal = principal_for(request)
    try:
        ends_on = _date(request, "ends_on", required=False)
        services.start_publicity(principal=principal, tender_id=tender_id, lot_id=lot_id, ends_on=ends_on)
    except (NotAuthenticated, DomainPermissionDenied) as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The candidates are published."))
    return redirect("award:detail", tender_id=tender_id, lot_id=lot_id)


@require_POST
@_hidden_or_denied
def receive(request: HttpRequest, tender_id: int, lot_id: int) -> HttpResponse:
    principal = principal_for(request)
    try:
        services.require_manager_of_tender(principal, tender_id)
        services.ensure_award(tender_id, lot_id)
    except (NotAuthenticated, DomainPermissionDenied) as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("award:detail", tender_id=tender_id, lot_id=lot_id)


@require_POST
@_hidden_or_denied
def raise_objection(request: HttpRequest, award_id: int) -> HttpResponse:
    award = selectors.award(award_id)
    principal = principal_for(request)
    return _command(
        request,
        award,
        lambda: services.raise_objection(
            principal=principal, award_id=award_id, text_=request.POST.get("text", "")
        ),
        _("Your objection is recorded; the procedure is suspended until it is answered."),
        manager=False,
    )


@require_POST
@_hidden_or_denied
def answer(request: HttpRequest, award_id: int, objection_id: int) -> HttpResponse:
    award = selectors.award(award_id)
    principal = principal_for(request)
    return _command(
        request,
        award,
        lambda: services.answer_objection(
            principal=principal, objection_id=objection_id, text_=request.POST.get("text", "")
        ),
        _("The answer is recorded."),
    )


@require_POST
@_hidden_or_denied
def pass_over(request: HttpRequest, award_id: int) -> HttpResponse:
    award = selectors.award(award_id)
    principal = principal_for(request)

    def act() -> None:
        rank = _int(request, "rank")
        document_id = _upload(request, "evidence", texts.EVIDENCE_PURPOSE.code)
        assert document_id is not None
        services.record_excuse(
            principal=principal,
            award_id=award_id,
            rank=rank,
            reason=request.POST.get("reason", ""),
            evidence_document_id=document_id,
            note=request.POST.get("note", ""),
        )

    return _command(request, award, act, _("The reason is recorded."))


@require_POST
@_hidden_or_denied
def decide(request: HttpRequest, award_id: int) -> HttpResponse:
    award = selectors.award(award_id)
    principal = principal_for(request)
    return _command(
        request,
        award,
        lambda: services.decide_award(
            principal=principal,
            award_id=award_id,
            rank=_int(request, "rank"),
            reason=request.POST.get("reason", ""),
        ),
        _("The winner is fixed; the notices and the result announcement are out."),
    )


@require_POST
@_hidden_or_denied
def retender(request: HttpRequest, award_id: int) -> HttpResponse:
    award = selectors.award(award_id)
    principal = principal_for(request)
    return _command(
        request,
        award,
        lambda: services.request_retender(
            principal=principal, award_id=award_id, reason=request.POST.get("reason", "")
        ),
        _("The re-tender is recorded."),
    )


@require_POST
@_hidden_or_denied
def contract(request: HttpRequest, award_id: int) -> HttpResponse:
    award = selectors.award(award_id)
    principal = principal_for(request)

    def act() -> None:
        signed_on = _date(request, "signed_on")
        assert signed_on is not None
        try:
            price_fen = parse_yuan(request.POST.get("price", ""))
        except InvalidAmount:
            raise InvalidInput(texts.BAD_PRICE, code="bad_price") from None
        document_id = _upload(request, "document", texts.CONTRACT_PURPOSE.code)
        assert document_id is not None
        services.register_contract(
            principal=principal,
            award_id=award_id,
            signed_on=signed_on,
            price_fen=price_fen,
            document_id=document_id,
        )

    return _command(request, award, act, _("The contract is registered."))


@require_POST
@_hidden_or_denied
def report(request: HttpRequest, award_id: int) -> HttpResponse:
    award = selectors.award(award_id)
    principal = principal_for(request)

    def act() -> None:
        document_id = _upload(request, "document", texts.REPORT_PURPOSE.code, required=False)
        services.report_to_supervisor(
            principal=principal,
            award_id=award_id,
            text_=request.POST.get("text", ""),
            document_id=document_id,
        )

    return _command(request, award, act, _("The report is filed with the supervisor."))
