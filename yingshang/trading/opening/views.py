"""The opening hall's pages and its live stream (server-sent events over ``yingshang.web.sse``).

- ``/trading/opening/``: today's and recent openings (public);
- ``/trading/opening/<session_id>/``: the hall, as the viewer may see it (``selectors.view``
  decides; the templates only show what it gives), with the viewer's own controls (host,
  bidder); ``.../live/`` is the same hall without the page around it, which the page's script
  fetches again when the stream reports a step;
- ``/trading/opening/<session_id>/stream``: guests get the public events, the hall's
  participants (host, supervisors, the session's bidders) every event; resuming after
  ``Last-Event-ID``;
- one POST per command, each calling one service (no business rule here): success redirects
  back to the hall; a refusal renders the hall again with the message beside the control.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial, wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from yingshang.identity import facade as identity
from yingshang.identity.facade import principal_for
from yingshang.kernel import clock
from yingshang.kernel.errors import DomainError, NotAuthenticated, NotFound
from yingshang.kernel.errors import PermissionDenied as DomainPermissionDenied
from yingshang.kernel.money import InvalidAmount, format_fen, parse_yuan
from yingshang.kernel.policy import Principal
from yingshang.trading.opening import messages as texts
from yingshang.trading.opening import selectors, services, states
from yingshang.trading.opening.models import OpeningEvent, OpeningSession
from yingshang.trading.opening.permissions import policy
from yingshang.trading.projects import facade as projects
from yingshang.web.sse import StreamEvent, sse_response

View = Callable[..., HttpResponseBase]
Fetch = Callable[[int], Sequence[StreamEvent]]
#: One fetch function per (session, audience), so every stream of a process waiting on the same
#: session and id shares one read (sse keys shared reads by the function object).
_fetchers: dict[tuple[int, bool], Fetch] = {}
#: The largest key file the page accepts (the bidder tool's is about 300 bytes).
KEY_FILE_LIMIT = 8 * 1024
KEY_FILE_FORMAT = "yingshang-content-key/1"
#: How far back the public list looks (today's openings and those of the last days).
RECENT_DAYS = 7

STATUS_LABELS = {
    states.SCHEDULED: pgettext_lazy("opening hall", "scheduled"),
    states.SIGNING_IN: pgettext_lazy("opening hall", "signing in"),
    states.DECRYPTING: pgettext_lazy("opening hall", "decrypting"),
    states.DECRYPTED: pgettext_lazy("opening hall", "decryption closed"),
    states.CONFIRMING: pgettext_lazy("opening hall", "record put to the bidders"),
    states.FINISHED: pgettext_lazy("opening hall", "finished"),
    states.FAILED_TOO_FEW: pgettext_lazy("opening hall", "failed: fewer than three bids"),
}
DECRYPTION_LABELS = {
    states.PENDING: pgettext_lazy("opening hall", "pending"),
    states.ROW_DECRYPTED: pgettext_lazy("opening hall", "decrypted"),
    states.ROW_FAILED: pgettext_lazy("opening hall", "decryption failed"),
}
CLASSIFICATION_LABELS = {
    states.REVOKED: pgettext_lazy("opening hall", "counts as revoked"),
    states.WITHDRAWN: pgettext_lazy("opening hall", "counts as withdrawn"),
}
CONFIRMATION_LABELS = {
    states.UNCONFIRMED: pgettext_lazy("opening hall", "not confirmed"),
    states.CONFIRMED: pgettext_lazy("opening hall", "confirmed"),
    states.OBJECTED: pgettext_lazy("opening hall", "objection raised"),
}
ROLE_LABELS = {
    "host": pgettext_lazy("opening hall", "host"),
    "bidder": pgettext_lazy("opening hall", "bidder"),
    "supervisor": pgettext_lazy("opening hall", "supervisor"),
    "guest": pgettext_lazy("opening hall", "guest"),
}
DEPOSIT_LABELS = {"unknown": pgettext_lazy("opening hall", "not yet known")}
RUNNING = (states.SIGNING_IN, states.DECRYPTING, states.DECRYPTED, states.CONFIRMING)


# --- the live stream --------------------------------------------------------------------------------


def _fetch(session_id: int, public_only: bool, after: int) -> list[StreamEvent]:
    qs = OpeningEvent.objects.filter(session_id=session_id, id__gt=after).order_by("id")
    if public_only:
        qs = qs.filter(public=True)
    return [StreamEvent(id=e.pk, event=e.kind, data={**e.data, "at": e.at.isoformat()}) for e in qs[:200]]


def fetcher(session_id: int, *, public_only: bool) -> Fetch:
    key = (session_id, public_only)
    found = _fetchers.get(key)
    if found is None:
        found = _fetchers[key] = partial(_fetch, session_id, public_only)
    return found


def stream(request: HttpRequest, session_id: int) -> StreamingHttpResponse:
    session = selectors.session(session_id)
    public_only = selectors.role_of(principal_for(request), session) is None
    return sse_response(
        request,
        channel=services.channel_of(session.pk),
        fetch_after=fetcher(session.pk, public_only=public_only),
    )


# --- presentation -------------------------------------------------------------------------------------


def _hidden_or_denied(view: View) -> View:
    """NotFound -> 404 page; a permission denial -> 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        except (DomainPermissionDenied, NotAuthenticated) as exc:
            raise DjangoPermissionDenied(str(exc)) from exc

    return wrapper


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _money(fen: int | None) -> str:
    return format_fen(fen) if fen is not None else ""


def _countdown(
    until: datetime | None, now: datetime, *, stopped_seconds: int | None = None
) -> dict[str, Any]:
    """Remaining seconds by the platform's clock (the page's script only counts them down)."""
    stopped = stopped_seconds is not None
    remaining = stopped_seconds if stopped else max(0, int((until - now).total_seconds())) if until else 0
    hours, rest = divmod(int(remaining or 0), 3600)
    minutes, seconds = divmod(rest, 60)
    return {
        "until": until,
        "remaining": int(remaining or 0),
        "clock": f"{hours:02d}:{minutes:02d}:{seconds:02d}",
        "stopped": stopped,
    }


def _present_row(row: dict[str, Any]) -> dict[str, Any]:
    shown = dict(row)
    shown["decryption_label"] = DECRYPTION_LABELS.get(row.get("decryption", ""), row.get("decryption", ""))
    shown["classification_label"] = CLASSIFICATION_LABELS.get(row.get("classification") or "", "")
    shown["confirmation_label"] = CONFIRMATION_LABELS.get(row.get("confirmation", ""), "")
    shown["has_figures"] = "price_fen" in row
    if "price_fen" in row:
        shown["price"] = _money(row["price_fen"])
        shown["deposit_label"] = DEPOSIT_LABELS.get(
            row.get("deposit_status", ""), row.get("deposit_status", "")
        )
    return shown


def _tender_title(tender_id: int) -> str:
    try:
        return projects.tender_summary(tender_id).title
    except NotFound:
        return ""


def _hall_context(
    request: HttpRequest,
    found: OpeningSession,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the hall shows: ``selectors.view`` (what this viewer may see) with labels,
    countdowns from the platform's clock, and which of the viewer's controls apply now."""
    principal = principal_for(request)
    last_event = selectors.last_event_id(principal, found)  # before the view: never miss a step
    view = selectors.view(principal, found)
    now = clock.now()
    role = view["your_role"]
    status = view["status"]
    paused = bool(view["paused"])
    own = selectors.own_row(principal, found)
    signed_in = selectors.has_signed_in(principal, found)
    sheet_open = status in states.SHEET_VISIBLE
    sign_in_until = _when(view["sign_in_until"])
    decryption_until = _when(view["decryption_until"])
    sign_in_countdown = (
        _countdown(sign_in_until, now) if status == states.SIGNING_IN and sign_in_until else None
    )
    decryption_countdown = None
    if status == states.DECRYPTING:
        decryption_countdown = _countdown(
            decryption_until,
            now,
            stopped_seconds=found.remaining_seconds if paused else None,
        )
    errors = errors or {}
    objections = [
        {
            **o,
            "raised": _when(o["raised_at"]),
            "error": errors.get(f"answer-{o['objection_id']}", ""),
        }
        for o in view["objections"]
    ]
    unanswered = [o for o in objections if not o["answer"]]
    host = role == "host"
    controls = {
        "sign_in": role != "guest" and not signed_in and status in RUNNING,
        "configure": host and status in (states.SCHEDULED, states.SIGNING_IN) and not paused,
        "control_price": host and status == states.SIGNING_IN and not paused,
        "coefficient_draw": host
        and status == states.SIGNING_IN
        and not paused
        and not view["coefficient_draw"],
        "coefficient_contribution": role == "supervisor"
        and bool(view["coefficient_draw"])
        and not view["coefficient"]
        and status in RUNNING,
        "coefficient_result": role != "guest" and bool(view["coefficient_draw"]) and not view["coefficient"],
        "start_decryption": host and status == states.SIGNING_IN and not paused,
        "close_window": host and status == states.DECRYPTING and not paused,
        "put_to_bidders": host and status == states.DECRYPTED and not paused,
        "finish": host and status == states.CONFIRMING and not paused,
        "pause": host and status in RUNNING and not paused,
        "resume": host and status in RUNNING and paused,
        "answer": host and bool(unanswered),
        "release_key": own is not None
        and status == states.DECRYPTING
        and not paused
        and own.decryption == states.PENDING,
        "confirm": own is not None
        and status == states.CONFIRMING
        and not paused
        and own.confirmation != states.CONFIRMED,
        "object": own is not None and status in RUNNING,
    }
    # A refusal whose control the hall no longer offers (the state moved on) is shown at the top
    # of the viewer's controls.
    placed = {name for name, on in controls.items() if on} | {
        f"answer-{o['objection_id']}" for o in unanswered if controls["answer"]
    }
    placed.discard("answer")
    orphan_errors = [(name, message) for name, message in errors.items() if name not in placed]
    return {
        "session": found,
        "view": view,
        "orphan_errors": orphan_errors,
        "title": _tender_title(found.tender_id),
        "role": role,
        "role_label": ROLE_LABELS.get(role, role),
        "status_label": STATUS_LABELS.get(status, status),
        "rows": [_present_row(r) for r in view["rows"]],
        "objections": objections,
        "sheet_open": sheet_open,
        "control_price": _money(view["control_price_fen"]),
        "sign_in_until": sign_in_until,
        "decryption_started_at": _when(view["decryption_started_at"]),
        "decryption_until": decryption_until,
        "window_closed_at": _when(view["window_closed_at"]),
        "opened_at": _when(view["opened_at"]),
        "scheduled_at": _when(view["scheduled_at"]),
        "finished_at": _when(view["finished_at"]),
        "paused_at": _when(view["paused_at"]),
        "sign_in_countdown": sign_in_countdown,
        "decryption_countdown": decryption_countdown,
        "platform_now": now,
        "own_row": own,
        "own_decryption_label": DECRYPTION_LABELS.get(own.decryption, "") if own else "",
        "signed_in": signed_in,
        "controls": controls,
        "errors": errors,
        "values": values or {},
        "record_pdf_url": f"/api/v1/trading/opening/sessions/{found.pk}/record.pdf",
        "live_url": reverse("opening:live", args=[found.pk]),
        "stream_url": reverse("opening:stream", args=[found.pk]),
        "last_event_id": last_event,
    }


# --- pages ---------------------------------------------------------------------------------------------


@require_GET
def hall_list(request: HttpRequest) -> HttpResponse:
    """Today's and recent openings (Beijing days), and every one still running."""
    now = clock.now()
    today = clock.today_in_shanghai()
    start_of_today = clock.to_shanghai(now).replace(hour=0, minute=0, second=0, microsecond=0)
    since = start_of_today - timedelta(days=RECENT_DAYS)
    until = start_of_today + timedelta(days=2)
    sessions = selectors.recent_sessions(since, until)
    titles: dict[int, str] = {}
    rows = []
    for found in sessions:
        if found.tender_id not in titles:
            titles[found.tender_id] = _tender_title(found.tender_id)
        rows.append(
            {
                "session": found,
                "title": titles[found.tender_id],
                "status_label": STATUS_LABELS.get(found.status, found.status),
                "today": clock.to_shanghai(found.scheduled_at).date() == today,
            }
        )
    return render(request, "opening/hall_list.html", {"rows": rows, "days": RECENT_DAYS})


@require_GET
@_hidden_or_denied
def hall(request: HttpRequest, session_id: int) -> HttpResponse:
    found = selectors.session(session_id)
    return render(request, "opening/hall.html", _hall_context(request, found))


@require_GET
@_hidden_or_denied
def hall_live(request: HttpRequest, session_id: int) -> HttpResponse:
    """The hall without the page around it (what the page's script swaps in on each event)."""
    found = selectors.session(session_id)
    response = render(request, "opening/_hall.html", _hall_context(request, found))
    response["Cache-Control"] = "no-store"
    return response


# --- commands -------------------------------------------------------------------------------------------


def _command(
    request: HttpRequest,
    session_id: int,
    control: str,
    run: Callable[[Principal, OpeningSession], Any],
    success: str,
    *,
    action: str | None = None,
) -> HttpResponse:
    """Run one service for the viewer (after ``policy.require(action)`` where given, so a
    stranger's malformed form is refused as a stranger); a refusal is shown beside ``control``."""
    found = selectors.session(session_id)
    principal = principal_for(request)
    if action is not None:
        policy.require(principal, action, found)
    try:
        run(principal, found)
    except (DomainPermissionDenied, NotAuthenticated, NotFound):
        raise
    except DomainError as exc:
        return _refused(request, found, control, str(exc), exc.status)
    messages.success(request, success)
    return redirect("opening:hall", session_id=found.pk)


def _refused(
    request: HttpRequest, found: OpeningSession, control: str, message: str, status: int
) -> HttpResponse:
    found.refresh_from_db()
    values = {k: str(request.POST.get(k, "")) for k in request.POST if k != "csrfmiddlewaretoken"}
    context = _hall_context(request, found, errors={control: message}, values=values)
    return render(request, "opening/hall.html", context, status=status)


def _minutes(raw: str) -> int | None:
    """A number of minutes from the form; blank keeps the current value; anything unreadable
    becomes 0, which the service refuses with its own message."""
    raw = (raw or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() and len(raw) < 6 else 0


@login_required
@require_POST
@_hidden_or_denied
def sign_in(request: HttpRequest, session_id: int) -> HttpResponse:
    return _command(
        request,
        session_id,
        "sign_in",
        lambda p, s: services.sign_in(
            principal=p, session_id=s.pk, certificate=identity.certificate_of(request) or ""
        ),
        _("You have signed in to the opening."),
    )


@login_required
@require_POST
@_hidden_or_denied
def configure(request: HttpRequest, session_id: int) -> HttpResponse:
    sign_in_minutes = _minutes(request.POST.get("sign_in_minutes", ""))
    decryption_minutes = _minutes(request.POST.get("decryption_minutes", ""))
    return _command(
        request,
        session_id,
        "configure",
        lambda p, s: services.configure(
            principal=p,
            tender_id=s.tender_id,
            lot_id=s.lot_id,
            sign_in_minutes=sign_in_minutes,
            decryption_minutes=decryption_minutes,
        ),
        _("The windows are set."),
        action="host",
    )


@login_required
@require_POST
@_hidden_or_denied
def control_price(request: HttpRequest, session_id: int) -> HttpResponse:
    try:
        amount_fen = parse_yuan(request.POST.get("amount", ""))
    except (InvalidAmount, TypeError):
        amount_fen = 0  # the service refuses it with its own message
    return _command(
        request,
        session_id,
        "control_price",
        lambda p, s: services.publish_control_price(principal=p, session_id=s.pk, amount_fen=amount_fen),
        _("The control price is published."),
        action="host",
    )


@login_required
@require_POST
@_hidden_or_denied
def coefficient_draw(request: HttpRequest, session_id: int) -> HttpResponse:
    values = [v for v in request.POST.get("values", "").replace("，", ",").replace(" ", ",").split(",") if v]
    return _command(
        request,
        session_id,
        "coefficient_draw",
        lambda p, s: services.prepare_coefficient_draw(principal=p, session_id=s.pk, values=values),
        _("The coefficient draw is committed; it is made once the ledger has signed its checkpoint."),
        action="host",
    )


@login_required
@require_POST
@_hidden_or_denied
def coefficient_contribution(request: HttpRequest, session_id: int) -> HttpResponse:
    value = request.POST.get("value", "").strip()[:200]
    return _command(
        request,
        session_id,
        "coefficient_contribution",
        lambda p, s: services.contribute_to_coefficient(principal=p, session_id=s.pk, value=value),
        _("Your value is part of the draw's seed."),
        action=None,
    )


@login_required
@require_POST
@_hidden_or_denied
def coefficient_result(request: HttpRequest, session_id: int) -> HttpResponse:
    return _command(
        request,
        session_id,
        "coefficient_result",
        lambda p, s: services.complete_coefficient_draw(session_id=s.pk),
        _("Asked for the draw: it is made as soon as the ledger's checkpoint covers its commitment."),
        action=None,
    )


@login_required
@require_POST
@_hidden_or_denied
def start_decryption(request: HttpRequest, session_id: int) -> HttpResponse:
    return _command(
        request,
        session_id,
        "start_decryption",
        lambda p, s: services.start_decryption(principal=p, session_id=s.pk),
        _("The decryption window is open."),
        action="host",
    )


@login_required
@require_POST
@_hidden_or_denied
def close_window(request: HttpRequest, session_id: int) -> HttpResponse:
    return _command(
        request,
        session_id,
        "close_window",
        lambda p, s: services.close_window(session_id=s.pk, principal=p),
        _("The decryption window is closed."),
        action="host",
    )


@login_required
@require_POST
@_hidden_or_denied
def put_to_bidders(request: HttpRequest, session_id: int) -> HttpResponse:
    return _command(
        request,
        session_id,
        "put_to_bidders",
        lambda p, s: services.put_to_bidders(principal=p, session_id=s.pk),
        _("The record is put to the bidders."),
        action="host",
    )


@login_required
@require_POST
@_hidden_or_denied
def pause(request: HttpRequest, session_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _command(
        request,
        session_id,
        "pause",
        lambda p, s: services.pause(principal=p, session_id=s.pk, reason=reason),
        _("The opening is paused."),
        action="host",
    )


@login_required
@require_POST
@_hidden_or_denied
def resume(request: HttpRequest, session_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _command(
        request,
        session_id,
        "resume",
        lambda p, s: services.resume(principal=p, session_id=s.pk, reason=reason),
        _("The opening continues."),
        action="host",
    )


@login_required
@require_POST
@_hidden_or_denied
def finish(request: HttpRequest, session_id: int) -> HttpResponse:
    return _command(
        request,
        session_id,
        "finish",
        lambda p, s: services.finish(principal=p, session_id=s.pk),
        _("The opening is finished and its record published."),
        action="host",
    )


@login_required
@require_POST
@_hidden_or_denied
def answer(request: HttpRequest, session_id: int, objection_id: int) -> HttpResponse:
    body = request.POST.get("text", "")
    found = selectors.session(session_id)
    if not found.objections.filter(pk=objection_id).exists():
        raise NotFound(texts.NO_OBJECTION, code="no_objection")
    return _command(
        request,
        session_id,
        f"answer-{objection_id}",
        lambda p, s: services.answer_objection(principal=p, objection_id=objection_id, text_=body),
        _("The answer is recorded."),
        action="host",
    )


@login_required
@require_POST
@_hidden_or_denied
def confirm(request: HttpRequest, session_id: int) -> HttpResponse:
    return _command(
        request,
        session_id,
        "confirm",
        lambda p, s: services.confirm_row(principal=p, session_id=s.pk),
        _("You have confirmed your row of the record."),
    )


@login_required
@require_POST
@_hidden_or_denied
def raise_objection(request: HttpRequest, session_id: int) -> HttpResponse:
    body = request.POST.get("text", "")
    return _command(
        request,
        session_id,
        "object",
        lambda p, s: services.raise_objection(principal=p, session_id=s.pk, text_=body),
        _("Your objection is recorded."),
    )


def _key_from_file(upload: Any) -> str | None:
    """The content key (base64 text) of the bidder tool's key file (``bid.env.key``), or None
    when the upload is not such a file. The service checks the key itself."""
    if upload is None or upload.size > KEY_FILE_LIMIT:
        return None
    try:
        data = json.loads(upload.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != KEY_FILE_FORMAT:
        return None
    key = data.get("content_key")
    return key if isinstance(key, str) and key else None


@login_required
@require_POST
@_hidden_or_denied
def release_key(request: HttpRequest, session_id: int) -> HttpResponse:
    """The bidder releases its own bid's content key by choosing the key file."""
    found = selectors.session(session_id)
    principal = principal_for(request)
    own = selectors.own_row(principal, found)
    if own is None:
        raise DomainPermissionDenied(texts.NOT_A_BIDDER_HERE)
    key = _key_from_file(request.FILES.get("key_file"))
    if key is None:
        message = _("Choose the content key file the bidder tool wrote when sealing the bid (bid.env.key).")
        return _refused(request, found, "release_key", message, 400)
    return _command(
        request,
        found.pk,
        "release_key",
        lambda p, s: services.release_key(
            principal=p,
            bid_id=own.bid_id,
            content_key=key,
            certificate=identity.certificate_of(request) or "",
        ),
        _("Your key is in; the bid's figures stay hidden until the window closes."),
    )
