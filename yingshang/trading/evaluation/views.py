"""The evaluation's pages.

- ``/trading/evaluation/``: my evaluations (members: their own seats only);
- ``/trading/evaluation/<id>/``: the evaluation room as the viewer may see it
  (``selectors.room_view`` decides): the declaration, the bids with the clearing findings and
  the packages, the scoring form, the anomaly explanations, clarifications, the chair's
  finish-report button and every member's sign button;
- one POST per command, each calling one service (no business rule here): success and refusal
  alike redirect back to the room with the message shown at the top, except a refusal of the
  principal itself (not a member, not declared, not the chair): 403, as the API answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yingshang.files import facade as files
from yingshang.identity.facade import principal_for
from yingshang.kernel.errors import DomainError, NotFound, PermissionDenied
from yingshang.kernel.money import format_fen
from yingshang.kernel.policy import Principal
from yingshang.trading.evaluation import messages as messages_
from yingshang.trading.evaluation import selectors, services
from yingshang.trading.evaluation.permissions import member_of
from yingshang.trading.projects import facade as projects


def _title(tender_id: int) -> str:
    try:
        return projects.tender_summary(tender_id).title
    except NotFound:
        return f"#{tender_id}"


@login_required
@require_GET
def evaluation_list(request: HttpRequest) -> HttpResponse:
    principal = principal_for(request)
    rows = []
    for e in selectors.mine(principal):
        me = member_of(principal, e)
        rows.append(
            {
                "evaluation": e,
                "title": _title(e.tender_id),
                "code": me.code if me else "",
                "lot_name": projects.lot_name(e.tender_id, e.lot_id),
                "status_label": messages_.STATUS_LABELS.get(e.status, e.status),
            }
        )
    return render(request, "evaluation/list.html", {"rows": rows})


@login_required
@require_GET
def room(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    principal = principal_for(request)
    try:
        evaluation = selectors.visible_to(principal, evaluation_id)
    except NotFound:
        raise Http404 from None
    view = selectors.room_view(principal, evaluation)
    method = selectors.method_of(evaluation)
    items = [{"code": i.code, "zh": i.zh, "en": i.en, "max": i.max_points} for i in method.scored_items]
    adjustments = [
        {"code": a.code, "zh": a.zh, "en": a.en, "min": a.min_fen, "max": a.max_fen}
        for a in method.adjustments
    ]
    criteria = [{"code": c.code, "zh": c.zh, "en": c.en} for c in method.criteria]
    bids = []
    for bid in view.get("bids", []):
        bids.append(
            {
                **bid,
                "price": format_fen(bid["price_fen"]),
                "cells": [
                    {
                        "name": f"score-{bid['bid_id']}-{i['code']}",
                        "value": (bid.get("scores") or {}).get(i["code"]) or "",
                        "item": i,
                    }
                    for i in items + adjustments
                ],
                "verdict_cells": [
                    {"code": c["code"], "criterion": c, "verdict": (bid.get("verdicts") or {}).get(c["code"])}
                    for c in criteria
                ],
            }
        )
    candidates = []
    for c in (view.get("report") or {}).get("candidates", []):
        candidates.append(
            {
                **c,
                "price": format_fen(c["price_fen"]),
                "evaluated": format_fen(c["evaluated_price_fen"])
                if c.get("evaluated_price_fen") is not None
                else "",
            }
        )
    you = view.get("you")
    bidder_names = {b["bid_id"]: b.get("bidder_name", "") for b in bids}
    item_names = {i["code"]: i for i in items + adjustments}
    english = (getattr(request, "LANGUAGE_CODE", "") or "").startswith("en")
    for bid in bids:
        bid["boq_label"] = messages_.BOQ_LABELS.get(bid.get("boq_status") or "", bid.get("boq_status"))
    for anomaly in view.get("anomalies") or []:
        anomaly["bidder_name"] = bidder_names.get(anomaly["bid_id"]) or anomaly["bid_id"]
        named = item_names.get(anomaly["item"])
        anomaly["item_label"] = (
            (named["en"] if english else named["zh"]) if named else str(messages_.TOTAL_LABEL)
        )
    context: dict[str, Any] = {
        "lot_name": projects.lot_name(evaluation.tender_id, evaluation.lot_id),
        "status_label": messages_.STATUS_LABELS.get(evaluation.status, evaluation.status),
        "method_label": messages_.METHOD_LABELS.get(evaluation.method, evaluation.method),
        "evaluation": evaluation,
        "view": view,
        "title": _title(evaluation.tender_id),
        "you": you,
        "bids": bids,
        "items": items,
        "adjustments": adjustments,
        "criteria": criteria,
        "candidates": candidates,
        "all_submitted": all(m["submitted"] for m in view["members"]),
        "english": english,
        "declaration_zh": (view.get("declaration") or {}).get("zh-hans", ""),
    }
    return render(request, "evaluation/room.html", context)


def _command(
    request: HttpRequest, evaluation_id: int, run: Callable[[Principal], Any], success: str
) -> HttpResponseBase:
    principal = principal_for(request)
    try:
        selectors.visible_to(principal, evaluation_id)
    except NotFound:
        raise Http404 from None
    try:
        run(principal)
    except PermissionDenied as exc:  # not the member's (or the chair's) command: 403, as the API
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message) if hasattr(exc, "message") else str(exc))
    else:
        messages.success(request, success)
    return redirect("evaluation:room", evaluation_id=evaluation_id)


@login_required
@require_POST
def declare(request: HttpRequest, evaluation_id: int) -> HttpResponseBase:
    def run(p: Principal) -> None:
        services.declare(
            principal=p, evaluation_id=evaluation_id, confirm=request.POST.get("confirm") == "on"
        )
        services.open_bids(principal=p, evaluation_id=evaluation_id)

    return _command(request, evaluation_id, run, _("Declaration signed."))


@login_required
@require_POST
def save_scores(request: HttpRequest, evaluation_id: int) -> HttpResponseBase:
    scores: dict[tuple[int, str], str] = {}
    verdicts: list[services.VerdictInput] = []
    for key in request.POST:
        value = request.POST.get(key, "")
        parts = key.split("-", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        kind, bid, code = parts[0], int(parts[1]), parts[2]
        if kind == "score" and value.strip():
            scores[(bid, code)] = value.strip()
        elif kind == "verdict" and value in ("pass", "fail"):
            verdicts.append(
                services.VerdictInput(
                    bid, code, value == "pass", request.POST.get(f"reason-{bid}-{code}", "")
                )
            )

    def run(p: Principal) -> None:
        services.save_scores(principal=p, evaluation_id=evaluation_id, scores=scores, verdicts=verdicts)
        if request.POST.get("and_submit"):
            services.submit(principal=p, evaluation_id=evaluation_id)

    return _command(request, evaluation_id, run, _("Scores saved."))


@login_required
@require_POST
def submit(request: HttpRequest, evaluation_id: int) -> HttpResponseBase:
    return _command(
        request,
        evaluation_id,
        lambda p: services.submit(principal=p, evaluation_id=evaluation_id),
        _("Scores submitted."),
    )


@login_required
@require_POST
def explain(request: HttpRequest, evaluation_id: int) -> HttpResponseBase:
    bid = request.POST.get("bid_id", "")
    return _command(
        request,
        evaluation_id,
        lambda p: services.explain(
            principal=p,
            evaluation_id=evaluation_id,
            bid_id=int(bid) if bid.isdigit() else 0,
            item=request.POST.get("item", ""),
            text_=request.POST.get("text", ""),
        ),
        _("Explanation saved."),
    )


@login_required
@require_POST
def ask(request: HttpRequest, evaluation_id: int) -> HttpResponseBase:
    bid = request.POST.get("bid_id", "")
    return _command(
        request,
        evaluation_id,
        lambda p: services.request_clarification(
            principal=p,
            evaluation_id=evaluation_id,
            bid_id=int(bid) if bid.isdigit() else 0,
            question=request.POST.get("question", ""),
        ),
        _("Clarification requested."),
    )


@login_required
@require_POST
def finish_report(request: HttpRequest, evaluation_id: int) -> HttpResponseBase:
    return _command(
        request,
        evaluation_id,
        lambda p: services.finish_report(principal=p, evaluation_id=evaluation_id),
        _("The report is finished; every member now signs it."),
    )


@login_required
@require_POST
def sign(request: HttpRequest, evaluation_id: int) -> HttpResponseBase:
    return _command(
        request,
        evaluation_id,
        lambda p: services.sign_report(
            principal=p, evaluation_id=evaluation_id, report_sha256=request.POST.get("report_sha256", "")
        ),
        _("Report signed."),
    )


@login_required
@require_GET
def package(request: HttpRequest, evaluation_id: int, bid_id: int) -> HttpResponseBase:
    try:
        document_id = selectors.package_document(principal_for(request), evaluation_id, bid_id)
    except NotFound:
        raise Http404 from None
    except PermissionDenied as exc:  # a member before the declaration
        raise DjangoPermissionDenied(str(exc.message)) from exc
    return FileResponse(
        files.open_document(document_id),
        as_attachment=True,
        filename=f"bid-{bid_id}.zip",
        content_type="application/zip",
    )
