"""Reads of the opening hall, filtered by who asks.

- everyone (guests included): the session's public facts: status, times, counts, the control
  price, who bid (from the opening on), each row's decryption status and classification once the
  window has closed, each row's figures once it is published (confirmed by its bidder, or the
  opening finished), objections and answers, the final record;
- the hall's participants (host, supervisors, the session's bidders): the whole opening sheet
  once the window has closed; never before;
- the centre and supervisors: the bidders of a session that failed for too few bids.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from yingshang.kernel.errors import NotFound
from yingshang.kernel.policy import Principal
from yingshang.trading.opening import states
from yingshang.trading.opening.models import OpeningBid, OpeningEvent, OpeningSession
from yingshang.trading.opening.permissions import is_supervisor, role_of

__all__ = [
    "events_after",
    "has_signed_in",
    "last_event_id",
    "own_row",
    "recent_sessions",
    "role_of",
    "row_content",
    "row_public",
    "session",
    "sessions_of",
    "view",
]


def session(session_id: int) -> OpeningSession:
    found = OpeningSession.objects.filter(pk=session_id).first()
    if found is None:
        raise NotFound(code="no_session")
    return found


def sessions_of(tender_id: int) -> QuerySet[OpeningSession]:
    return OpeningSession.objects.filter(tender_id=tender_id).order_by("lot_id")


def recent_sessions(since: datetime, until: datetime, *, limit: int = 100) -> list[OpeningSession]:
    """Sessions whose opening time (the bid deadline) falls in ``[since, until)``, or still
    running: the public list of the hall (today's and recent openings), newest first."""
    running = ~Q(status__in=states.FINAL) & ~Q(status=states.SCHEDULED)
    qs = OpeningSession.objects.filter(Q(scheduled_at__gte=since, scheduled_at__lt=until) | running)
    return list(qs.order_by("-scheduled_at", "lot_id", "id")[:limit])


def own_row(principal: Principal, found: OpeningSession) -> OpeningBid | None:
    """The row of the principal's organisation in the session when it is one of the session's
    bidders (the row whose key it may release); None otherwise."""
    if role_of(principal, found) != "bidder" or principal.organisation_id is None:
        return None
    return found.rows.filter(organisation_id=principal.organisation_id).first()


def has_signed_in(principal: Principal, found: OpeningSession) -> bool:
    """Whether the principal's user has signed in to the session (in any role)."""
    if principal.is_guest or principal.user_id is None:
        return False
    return found.sign_ins.filter(user_id=principal.user_id).exists()


def last_event_id(principal: Principal, found: OpeningSession) -> int:
    """The id of the newest event ``principal`` may see (0 without any): where a page rendered
    now starts reading the live stream."""
    qs = OpeningEvent.objects.filter(session=found)
    if role_of(principal, found) is None:
        qs = qs.filter(public=True)
    newest = qs.order_by("-id").values_list("id", flat=True).first()
    return int(newest or 0)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def row_public(row: OpeningBid) -> dict[str, Any]:
    return {
        "bid_id": row.bid_id,
        "bidder": row.bidder_name,
        "uscc": row.bidder_uscc,
        "received_at": _iso(row.received_at),
        "decryption": row.decryption,
        "classification": row.classification,
        "reason": row.reason,
        "confirmation": row.confirmation,
    }


def row_content(row: OpeningBid) -> dict[str, Any]:
    return {
        **row_public(row),
        "price_fen": row.price_fen,
        "price_uppercase": row.price_uppercase,
        "duration_days": row.duration_days,
        "quality": row.quality,
        "project_manager": row.project_manager,
        "deposit_status": row.deposit_status,
    }


def view(principal: Principal, found: OpeningSession) -> dict[str, Any]:
    """The session as ``principal`` may see it (the API's and pages' one source)."""
    role = role_of(principal, found)
    sheet_open = found.status in states.SHEET_VISIBLE
    rows: list[dict[str, Any]] = []
    if found.status not in (states.SCHEDULED, states.FAILED_TOO_FEW):
        for row in found.rows.order_by("received_at", "id"):
            if sheet_open and (role is not None or row.published_at is not None):
                rows.append(row_content(row))
            elif sheet_open:
                rows.append(row_public(row))
            else:
                # Before the window closes: who bid and whether the key is in; nothing else.
                rows.append(
                    {
                        "bid_id": row.bid_id,
                        "bidder": row.bidder_name,
                        "uscc": row.bidder_uscc,
                        "key_released": row.released_at is not None,
                    }
                )
    counts = {
        "bids": found.rows.count(),
        "decrypted": found.rows.filter(decryption=states.ROW_DECRYPTED).count(),
        "failed": found.rows.filter(decryption=states.ROW_FAILED).count(),
        "pending": found.rows.filter(decryption=states.PENDING).count(),
        "signed_in_bidders": found.sign_ins.filter(role="bidder")
        .values("organisation_id")
        .distinct()
        .count(),
    }
    out: dict[str, Any] = {
        "session_id": found.pk,
        "tender_id": found.tender_id,
        "lot_id": found.lot_id,
        "ocid": found.ocid,
        "status": found.status,
        "paused": found.paused,
        "pause_reason": found.pause_reason,
        "paused_at": _iso(found.paused_at),
        "scheduled_at": _iso(found.scheduled_at),
        "opened_at": _iso(found.opened_at),
        "sign_in_until": _iso(found.sign_in_until),
        "sign_in_minutes": found.sign_in_minutes,
        "decryption_minutes": found.decryption_minutes,
        "decryption_started_at": _iso(found.decryption_started_at),
        "decryption_until": _iso(found.decryption_until),
        "window_closed_at": _iso(found.window_closed_at),
        "finished_at": _iso(found.finished_at),
        "bids_received": found.bids_received,
        "new_tender_id": found.new_tender_id,
        "control_price_fen": found.control_price_fen,
        "coefficient_values": list(found.coefficient_values or []),
        "coefficient_draw": found.coefficient_draw,
        "coefficient": found.coefficient,
        "counts": counts,
        "rows": rows,
        "objections": [
            {
                "objection_id": o.pk,
                "bid_id": o.row.bid_id if o.row else None,
                "bidder": o.row.bidder_name if o.row else "",
                "text": o.text,
                "raised_at": _iso(o.raised_at),
                "answer": o.answer,
                "answered_at": _iso(o.answered_at),
            }
            for o in found.objections.select_related("row").order_by("raised_at", "id")
        ],
        "record_sha256": found.record_sha256,
        "your_role": role or "guest",
    }
    if found.status == states.FAILED_TOO_FEW and is_supervisor(principal, found):
        out["failed_bidders"] = list(found.record.get("bidders", []))
    if found.status == states.FINISHED:
        out["record"] = found.record
        out["record_pdf_sha256"] = found.record_pdf_sha256
        out["record_signature"] = found.record_signature
    return out


def events_after(
    principal: Principal, found: OpeningSession, after: int = 0, *, limit: int = 500
) -> list[OpeningEvent]:
    """The session's events after ``after`` (an event id) that ``principal`` may see: guests
    the public ones, the hall's participants all of them. The live stream reads this."""
    qs = OpeningEvent.objects.filter(session=found, id__gt=after).order_by("id")
    if role_of(principal, found) is None:
        qs = qs.filter(public=True)
    return list(qs[:limit])
