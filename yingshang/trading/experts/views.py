"""The experts context's pages (simple server-rendered forms; every POST calls one service).

- ``/trading/experts/``: the pool for centre staff (review, suspend, import), supervisors and
  auditors (read only);
- ``/trading/experts/tenders/<tender_id>/lots/<lot_id>/``: the need form and the draw status
  for the organiser (tenderer, agency, centre staff) and oversight; a supervisor's contribution;
- ``/trading/experts/invitations/``: the signed-in expert's invitations with accept / decline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingshang.identity.facade import principal_for
from yingshang.kernel.errors import DomainError, NotFound, PermissionDenied
from yingshang.trading.experts import permissions, reference, selectors, services


def _run(request: HttpRequest, action: Callable[[], Any], done: str) -> bool:
    """Run one service; a refusal becomes a message (a permission refusal a 403)."""
    try:
        action()
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    except DomainError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, done)
    return True


def _require_pool_manager(request: HttpRequest) -> None:
    if not permissions.may_manage_pool(principal_for(request)):
        raise DjangoPermissionDenied(_("Only centre staff manage the pool."))


@login_required
def pool(request: HttpRequest) -> HttpResponse:
    principal = principal_for(request)
    try:
        rows = selectors.pool_view(principal, status=request.GET.get("status") or None)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    return render(
        request,
        "experts/pool.html",
        {
            "rows": rows,
            "manage": permissions.may_manage_pool(principal),
            "specialties": reference.SPECIALTIES,
        },
    )


@login_required
@require_POST
def review(request: HttpRequest, code: str) -> HttpResponse:
    _require_pool_manager(request)
    approve = request.POST.get("decision") == "approve"
    _run(
        request,
        lambda: services.review_expert(
            principal=principal_for(request), code=code, approve=approve, note=request.POST.get("note", "")
        ),
        _("Review recorded."),
    )
    return redirect("experts:pool")


@login_required
@require_POST
def suspend(request: HttpRequest, code: str) -> HttpResponse:
    _require_pool_manager(request)
    raw = request.POST.get("until", "").strip()
    try:
        until = date.fromisoformat(raw) if raw else None
    except ValueError:
        messages.error(request, _("Give the date as YYYY-MM-DD."))
        return redirect("experts:pool")
    _run(
        request,
        lambda: services.suspend_expert(
            principal=principal_for(request), code=code, until=until, reason=request.POST.get("reason", "")
        ),
        _("Suspension recorded."),
    )
    return redirect("experts:pool")


@login_required
@require_POST
def import_pool(request: HttpRequest) -> HttpResponse:
    _require_pool_manager(request)
    upload = request.FILES.get("file")
    if upload is None or (upload.size or 0) > 5 * 1024 * 1024:
        messages.error(request, _("Choose a JSON or CSV file of at most 5 MB."))
        return redirect("experts:pool")

    def act() -> None:
        records = services.parse_pool_file(upload.read(), filename=upload.name or "")
        found = services.import_pool(
            principal=principal_for(request), source=request.POST.get("source", ""), records=records
        )
        messages.info(request, _("%(count)d experts in the file.") % {"count": len(found)})

    _run(request, act, _("Pool imported."))
    return redirect("experts:pool")


def _committee(request: HttpRequest, tender_id: int, lot_id: int) -> dict[str, Any] | None:
    try:
        return selectors.committee_view(principal_for(request), tender_id, lot_id)
    except NotFound:
        return None
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc


@login_required
def need(request: HttpRequest, tender_id: int, lot_id: int) -> HttpResponse:
    principal = principal_for(request)
    if not permissions.may_view_committee(principal, tender_id):
        raise Http404
    if request.method == "POST":
        if not permissions.may_organise(principal, tender_id):
            raise DjangoPermissionDenied(_("Only the tenderer, its agency or centre staff state the need."))
        rows = []
        for i in range(1, 4):
            specialty = request.POST.get(f"specialty_{i}", "").strip()
            count = request.POST.get(f"count_{i}", "").strip()
            if not specialty:
                continue
            regions = tuple(
                r for r in request.POST.get(f"regions_{i}", "").replace("，", ",").split(",") if r.strip()
            )
            rows.append(
                services.RowInput(
                    specialty=specialty,
                    count=int(count) if count.isdigit() else 0,
                    regions=tuple(r.strip() for r in regions),
                    remote=request.POST.get(f"remote_{i}") == "on",
                )
            )
        reps = request.POST.get("representatives", "0").strip()
        try:
            at = datetime.fromisoformat(request.POST.get("evaluation_at", ""))
            if at.tzinfo is None:
                from zoneinfo import ZoneInfo

                at = at.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        except ValueError:
            messages.error(request, _("Give the evaluation time."))
            return redirect("experts:need", tender_id=tender_id, lot_id=lot_id)
        _run(
            request,
            lambda: services.state_need(
                principal=principal,
                tender_id=tender_id,
                lot_id=lot_id,
                rows=rows,
                representatives=int(reps) if reps.isdigit() else -1,
                evaluation_at=at,
            ),
            _("Need stated."),
        )
        return redirect("experts:need", tender_id=tender_id, lot_id=lot_id)
    return render(
        request,
        "experts/need.html",
        {
            "tender_id": tender_id,
            "lot_id": lot_id,
            "committee": _committee(request, tender_id, lot_id),
            "organise": permissions.may_organise(principal, tender_id),
            "contribute": permissions.may_contribute(principal, tender_id),
            "specialties": reference.SPECIALTIES,
            "slots": (1, 2, 3),
        },
    )


@login_required
@require_POST
def draw(request: HttpRequest, tender_id: int, lot_id: int) -> HttpResponse:
    _run(
        request,
        lambda: services.start_draw(principal=principal_for(request), tender_id=tender_id, lot_id=lot_id),
        _("The draw is committed; it is performed once the ledger's next checkpoint is signed."),
    )
    return redirect("experts:need", tender_id=tender_id, lot_id=lot_id)


@login_required
@require_POST
def contribution(request: HttpRequest, tender_id: int, lot_id: int) -> HttpResponse:
    _run(
        request,
        lambda: services.contribute(
            principal=principal_for(request),
            tender_id=tender_id,
            lot_id=lot_id,
            value=request.POST.get("value", ""),
        ),
        _("Your value is recorded."),
    )
    return redirect("experts:need", tender_id=tender_id, lot_id=lot_id)


@login_required
def apply(request: HttpRequest) -> HttpResponse:
    """A person applies to join the pool (centre staff review the application); once applied,
    the page shows the application's state."""
    principal = principal_for(request)
    mine = selectors.expert_of_user(principal.user_id)
    values = {key: request.POST.get(key, "").strip() for key in _APPLICATION_FIELDS}
    if request.method == "POST" and mine is None:
        specialties = tuple(request.POST.getlist("specialties"))
        data = services.ExpertInput(
            name=values["name"],
            region=values["region"],
            specialties=specialties,
            employer_uscc=values["employer_uscc"].upper(),
            employer_name=values["employer_name"],
            titles=tuple(t.strip() for t in values["titles"].replace("，", ",").split(",") if t.strip()),
            phone=values["phone"],
        )
        if _run(
            request,
            lambda: services.register_expert(principal=principal, data=data),
            _("Your application was received; the trading centre reviews it."),
        ):
            return redirect("experts:apply")
    return render(
        request,
        "experts/apply.html",
        {
            "mine": mine,
            "values": values,
            "chosen": request.POST.getlist("specialties"),
            "specialties": reference.specialty_choices(),
        },
    )


_APPLICATION_FIELDS = ("name", "region", "employer_uscc", "employer_name", "titles", "phone")


@login_required
def invitations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "experts/invitations.html",
        {"rows": selectors.invitations_view(principal_for(request)), "declaration": services.DECLARATION},
    )


@login_required
@require_POST
def answer(request: HttpRequest, seat_id: int) -> HttpResponse:
    principal = principal_for(request)
    if request.POST.get("answer") == "accept":
        _run(
            request,
            lambda: services.accept(
                principal=principal, seat_id=seat_id, no_conflict=request.POST.get("no_conflict") == "on"
            ),
            _("Thank you: your seat is confirmed."),
        )
    else:
        _run(
            request,
            lambda: services.decline(
                principal=principal, seat_id=seat_id, reason=request.POST.get("reason", "")
            ),
            _("Your answer is recorded."),
        )
    return redirect("experts:invitations")
