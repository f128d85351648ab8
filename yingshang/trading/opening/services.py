"""Every write of the opening hall (不见面开标): one transaction per command, its ledger entry,
its history row and its ``OpeningEvent`` row (what the live stream sends) in the same
transaction.

The flow (docs/contexts/opening.md): at each lot's bid deadline the chronograph opens the
session (:func:`open_due_sessions`; fewer than three bids: no opening, re-tender, T7); the
participants sign in; the host may publish the control price and starts the decryption window;
each bidder releases its content key (:func:`release_key`): the key is checked against the
signed commitment, the stored envelope is decrypted by streaming and checked against the receipt
and the bidder's signature, the opening sheet is read from the manifest and the feature codes are
replaced by keyed hashes; nothing of any bid's content is shown to anyone until the window
closes (:func:`close_window`), which classifies every bid whose key never came or failed
(电子招标投标办法 art. 31: the bidder's cause, revoked; otherwise withdrawn). Bidders confirm
their rows or object; the host answers; the host may pause and resume; :func:`finish` publishes
the opening record. Everything is in the database, so a restart resumes where it was; the
chronograph's steps are idempotent.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import hashlib
import io
import json
import logging
import os
import queue
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

import rfc8785
from django.conf import settings
from django.db import connection, transaction

from yingshang import envelope
from yingshang.bidder.uppercase import uppercase_yuan
from yingshang.draws import facade as draws
from yingshang.files import facade as files
from yingshang.identity import facade as identity
from yingshang.kernel import broadcast, clock
from yingshang.kernel import keys as platform_keys
from yingshang.kernel.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooLarge,
    UnsupportedMediaType,
)
from yingshang.kernel.events import publish
from yingshang.kernel.policy import Principal
from yingshang.kernel.statutory import SHANGHAI
from yingshang.kernel.streams import HashingReader
from yingshang.kernel.text import Text
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Visibility
from yingshang.trading.bids import facade as bids
from yingshang.trading.opening import events, evidence, keys, messages, packages, rendering, states
from yingshang.trading.opening.messages import text
from yingshang.trading.opening.models import (
    BackupShare,
    Objection,
    OpeningBid,
    OpeningEvent,
    OpeningSession,
    SessionHistory,
    SignIn,
)
from yingshang.trading.opening.permissions import policy, role_of
from yingshang.trading.opening.selectors import row_content, row_public
from yingshang.trading.projects import facade as projects
from yingshang.trading.projects.contracts import TenderSummary

logger = logging.getLogger(__name__)

MANIFEST_NAME = packages.MANIFEST_NAME
MANIFEST_FORMAT = "yingshang-bid-package/1"
CHRONOGRAPH = Actor.system("chronograph")


# --- configuration --------------------------------------------------------------------------------


def _conf(name: str, default: int) -> int:
    return int(str(settings.YINGSHANG.get(name, default)))


def default_sign_in_minutes() -> int:
    return _conf("OPENING_SIGN_IN_MINUTES", 30)


def default_decryption_minutes() -> int:
    return _conf("OPENING_DECRYPTION_MINUTES", 30)


def max_key_attempts() -> int:
    return _conf("OPENING_KEY_ATTEMPTS", 5)


def lookback_days() -> int:
    return _conf("OPENING_LOOKBACK_DAYS", 30)


_streams_lock = threading.Lock()
_streams: dict[str, threading.Semaphore] = {}


def _stream_slots() -> threading.Semaphore:
    """How many bids this process decrypts at once (``OPENING_DECRYPTIONS_AT_ONCE``, default 1):
    one decryption already keeps two cores busy (its two hashes), so more side by side only
    contend; the others' arrivals, checks and outcomes go on meanwhile."""
    with _streams_lock:
        if "slots" not in _streams:
            _streams["slots"] = threading.Semaphore(max(1, _conf("OPENING_DECRYPTIONS_AT_ONCE", 1)))
        return _streams["slots"]


# --- hooks ----------------------------------------------------------------------------------------

#: Called after commit with ``(channel, last_event_id)`` for every session that got events.
#: The live stream (``yingshang.kernel.broadcast``) is wired in :func:`_wake` when it exists;
#: tests and other listeners may append here.
listeners: list[Callable[[str, int], None]] = []


def channel_of(session_id: int) -> str:
    return f"opening:{session_id}"


def _wake(session_id: int, last_id: int) -> None:
    channel = channel_of(session_id)
    for target in (broadcast.publish, *listeners):
        try:
            target(channel, last_id)
        except Exception:
            logger.exception("opening: waking listeners of %s failed", channel)


def _public_step(
    session: OpeningSession,
    action: str,
    *,
    principal: Principal,
    data: dict[str, Any],
    event: str,
    note: str = "",
    recorded: dict[str, Any] | None = None,
) -> None:
    """One public step of the session, inside the caller's transaction: its ledger entry
    (``recorded``, default ``data``; public, about the session), its history row and its event
    for the hall (``data``)."""
    promise = ledger.record(
        action=action,
        actor=evidence.actor_of(principal),
        subject=evidence.session_subject(session),
        data=recorded if recorded is not None else data,
        visibility=Visibility.public(),
    )
    _history(session, action, principal=principal, note=note, entry_hash=promise.entry_hash)
    _event(session, event, data)


def _row_step(
    session: OpeningSession,
    row: OpeningBid,
    action: str,
    *,
    principal: Principal | None,
    data: dict[str, Any],
    note: str,
) -> None:
    """One step about a bid's row, inside the caller's transaction: its ledger entry (readable by
    the bidder, and oversight) and the session's history row."""
    promise = ledger.record(
        action=action,
        actor=evidence.actor_of(principal),
        subject=evidence.row_subject(row),
        data=data,
        visibility=Visibility.parties(organisation_ids=(row.organisation_id,)),
    )
    _history(session, action, principal=principal, note=note, entry_hash=promise.entry_hash)


def _event(session: OpeningSession, kind: str, data: dict[str, Any], *, public: bool = True) -> OpeningEvent:
    row = OpeningEvent.objects.create(session=session, kind=kind, public=public, data=data, at=clock.now())
    session_id, last_id = session.pk, row.pk
    transaction.on_commit(lambda: _wake(session_id, last_id))
    return row


def _history(
    session: OpeningSession,
    action: str,
    *,
    principal: Principal | None = None,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    entry_hash: str = "",
) -> None:
    SessionHistory.objects.create(
        session=session,
        action=action,
        from_status=from_status,
        to_status=to_status,
        at=clock.now(),
        user_id=principal.user_id if principal is not None else None,
        note=note[:4000],
        ledger_entry_hash=entry_hash,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _beijing(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _render(message: Text, language: str = "zh-hans") -> str:
    return message.render(language)


# --- loading and checks ---------------------------------------------------------------------------


#: Per model and database vendor: the attribute names, the quoted columns and each column's
#: converters (as the ORM's compiler would apply them), worked out once.
_loaders: dict[tuple[type[Any], str], tuple[list[str], str, list[list[tuple[Any, Any]]]]] = {}


def _loader(model: type[Any]) -> tuple[list[str], str, list[list[tuple[Any, Any]]]]:
    key = (model, connection.vendor)
    loader = _loaders.get(key)
    if loader is None:
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        converters = []
        for field in fields:
            column = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            converters.append([(convert, column) for convert in found])
        loader = _loaders[key] = (
            [field.attname for field in fields],
            ", ".join(quote(field.column) for field in fields),
            converters,
        )
    return loader


def _one(model: type[Any], column: str, value: int, *, lock: str = "") -> Any:
    """The row of ``model`` whose ``column`` is ``value`` (or None), in one query built once per
    model: the hot paths of the opening (a key release) run many small queries, and compiling
    each through the ORM cost more than the database's answer. The values go through the same
    converters the ORM applies. ``lock``: ``"update"`` or ``"share"`` (PostgreSQL row locks for
    the current transaction; SQLite serialises writers by itself)."""
    names, columns, converters = _loader(model)
    quote = connection.ops.quote_name
    suffix = ""
    if lock and connection.features.has_select_for_update:
        suffix = " FOR UPDATE" if lock == "update" else " FOR SHARE"
    table = quote(model._meta.db_table)
    query = f"SELECT {columns} FROM {table} WHERE {quote(column)} = %s{suffix}"  # noqa: S608 (names from our models)
    with connection.cursor() as cursor:
        cursor.execute(query, [value])
        found = cursor.fetchone()
    if found is None:
        return None
    values = list(found)
    for index, field_converters in enumerate(converters):
        for convert, expression in field_converters:
            values[index] = convert(values[index], expression, connection)
    return model.from_db(connection.alias, names, values)


def _lock(session_id: int, *, share: bool = False) -> OpeningSession:
    """The session, locked for this transaction: exclusively (state changes), or shared (a key's
    arrival: many at once, but not while the window is closed or the session paused)."""
    session: OpeningSession | None = _one(
        OpeningSession, "id", session_id, lock="share" if share else "update"
    )
    if session is None:
        raise NotFound(messages.NO_SESSION, code="no_session")
    return session


def _lock_row(row_id: int) -> OpeningBid:
    row: OpeningBid | None = _one(OpeningBid, "id", row_id, lock="update")
    if row is None:
        raise NotFound(code="no_such_bid")
    return row


def _require_status(session: OpeningSession, *allowed: str) -> None:
    if session.status not in allowed:
        raise Conflict(text(messages.WRONG_STATUS, status=session.status), code="wrong_status")


def _require_running(session: OpeningSession) -> None:
    if session.paused:
        raise Conflict(text(messages.PAUSED, reason=session.pause_reason), code="paused")


def _require_host(principal: Principal, session: OpeningSession) -> None:
    if not policy.allows(principal, "host", session):
        raise PermissionDenied(messages.NOT_HOST, code="not_host")


def _move(
    session: OpeningSession,
    target: str,
    *,
    principal: Principal | None,
    action: str,
    note: str = "",
    entry_hash: str = "",
) -> None:
    if not states.may_move(session.status, target):
        raise Conflict(text(messages.WRONG_STATUS, status=session.status), code="wrong_status")
    previous = session.status
    session.status = target
    session.version += 1
    session.save()
    _history(
        session,
        action,
        principal=principal,
        from_status=previous,
        to_status=target,
        note=note,
        entry_hash=entry_hash,
    )


def _counts(session: OpeningSession) -> dict[str, int]:
    """The rows by decryption state (one grouped query: it runs on every key's outcome)."""
    table = connection.ops.quote_name(OpeningBid._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT decryption, COUNT(*) FROM {table} WHERE session_id = %s GROUP BY decryption",  # noqa: S608
            [session.pk],
        )
        found: dict[str, int] = dict(cursor.fetchall())
    return {
        "bids": sum(found.values()),
        "decrypted": found.get(states.ROW_DECRYPTED, 0),
        "failed": found.get(states.ROW_FAILED, 0),
        "pending": found.get(states.PENDING, 0),
    }


def _sign_in_counts(session: OpeningSession) -> dict[str, int]:
    counts = {"host": 0, "bidder": 0, "supervisor": 0}
    for role in session.sign_ins.values_list("role", flat=True):
        counts[role] = counts.get(role, 0) + 1
    counts["bidders_signed_in"] = (
        session.sign_ins.filter(role="bidder").values("organisation_id").distinct().count()
    )
    return counts


# --- opening at the deadline (chronograph) --------------------------------------------------------


def session_for(tender_id: int, lot_id: int) -> OpeningSession | None:
    return OpeningSession.objects.filter(tender_id=tender_id, lot_id=lot_id).first()


def _ensure_sessions(tender: TenderSummary) -> list[OpeningSession]:
    assert tender.bid_deadline is not None
    sessions = []
    for lot_id in tender.lot_ids:
        session, _created = OpeningSession.objects.get_or_create(
            tender_id=tender.id,
            lot_id=lot_id,
            defaults={
                "ocid": tender.ocid,
                "scheduled_at": tender.bid_deadline,
                "sign_in_minutes": default_sign_in_minutes(),
                "decryption_minutes": default_decryption_minutes(),
            },
        )
        sessions.append(session)
    return sessions


def open_due_sessions(now: datetime) -> int:
    """The chronograph's job: open every lot whose bid deadline has come (T8), close every
    decryption window that has ended. Idempotent; returns how many steps were taken. One
    tender's failure is logged and does not stop the others."""
    done = 0
    since = now - timedelta(days=lookback_days())
    for tender_id in projects.tenders_at_deadline(now, since=since):
        if not OpeningSession.objects.filter(tender_id=tender_id).exclude(status=states.SCHEDULED).exists():
            try:
                done += open_tender(tender_id=tender_id, now=now)
            except Exception:
                logger.exception("opening: opening tender %s failed", tender_id)
    due = OpeningSession.objects.filter(
        status=states.DECRYPTING, paused=False, next_check__isnull=False, next_check__lte=now
    ).values_list("pk", flat=True)
    for session_id in list(due):
        try:
            if close_window(session_id=session_id, now=now):
                done += 1
        except Exception:
            logger.exception("opening: closing the window of session %s failed", session_id)
    waiting = (
        OpeningSession.objects.exclude(coefficient_draw="")
        .filter(coefficient="")
        .values_list("pk", flat=True)
    )
    for session_id in list(waiting):
        try:
            if complete_coefficient_draw(session_id=session_id) is not None:
                done += 1
        except Exception:
            logger.exception("opening: the coefficient draw of session %s failed", session_id)
    return done


def open_tender(*, tender_id: int, now: datetime | None = None) -> int:
    """Open every lot of the tender at its deadline (one transaction): with at least three bids a
    lot's session starts sign-in; with fewer, the session fails (T7) and, once every lot has
    failed, the tender is re-tendered. Returns how many sessions moved (0 if already done)."""
    moment = now or clock.now()
    tender = projects.tender_summary(tender_id)
    if tender.bid_deadline is None or moment < tender.bid_deadline:
        return 0
    submitted = bids.bids_for_opening(tender_id)  # Conflict before the deadline
    moved = 0
    with transaction.atomic():
        sessions = _ensure_sessions(tender)
        locked = list(
            OpeningSession.objects.select_for_update()
            .filter(pk__in=[s.pk for s in sessions])
            .order_by("lot_id")
        )
        by_lot = {lot_id: [b for b in submitted if b.lot_id == lot_id] for lot_id in tender.lot_ids}
        enough_everywhere = all(len(found) >= states.MIN_BIDS for found in by_lot.values())
        for session in locked:
            if session.status != states.SCHEDULED:
                continue
            lot_bids = by_lot.get(session.lot_id, [])
            session.bids_received = len(lot_bids)
            session.ocid = tender.ocid
            if len(lot_bids) < states.MIN_BIDS:
                _fail_too_few(session, lot_bids, moment)
            else:
                _start(session, lot_bids, moment)
            moved += 1
        if enough_everywhere and moved:
            # Bidders' identities become public at the opening: the bids context's entries follow.
            ledger.mark_event(
                event=evidence.TENDER_OPENED, subject=evidence.tender_subject(tender_id), at=moment
            )
        all_failed = all(s.status == states.FAILED_TOO_FEW for s in locked)
        if all_failed and moved and not any(s.new_tender_id for s in locked):
            _retender(tender, locked, moment)
    return moved


def _start(session: OpeningSession, lot_bids: list[Any], moment: datetime) -> None:
    for bid in lot_bids:
        organisation = identity.get_organisation(bid.organisation_id)
        OpeningBid.objects.get_or_create(
            bid_id=bid.id,
            defaults={
                "session": session,
                "organisation_id": bid.organisation_id,
                "bidder_uscc": bid.bidder_uscc,
                "bidder_name": organisation.name if organisation is not None else bid.bidder_uscc,
                "received_at": bid.received_at,
                "document_id": bid.document_id,
                "envelope_sha256": bid.envelope_sha256,
                "ciphertext_sha256": bid.ciphertext_sha256,
                "key_commitment": bid.key_commitment,
                "certificate_fingerprint": bid.certificate_fingerprint,
                "header": bid.header,
            },
        )
    session.opened_at = moment
    session.sign_in_until = moment + timedelta(minutes=session.sign_in_minutes)
    bidders = [
        {"bid_id": row.bid_id, "bidder": row.bidder_name, "uscc": row.bidder_uscc}
        for row in session.rows.order_by("received_at", "id")
    ]
    promise = ledger.record(
        action=evidence.STARTED,
        actor=CHRONOGRAPH,
        subject=evidence.session_subject(session),
        data={
            "tender_id": session.tender_id,
            "lot_id": session.lot_id,
            "ocid": session.ocid,
            "bid_deadline": _iso(session.scheduled_at),
            "opened_at": _iso(moment),
            "bids_received": session.bids_received,
            "bidders": bidders,
        },
        visibility=Visibility.public(),
    )
    _move(session, states.SIGNING_IN, principal=None, action=evidence.STARTED, entry_hash=promise.entry_hash)
    _event(
        session,
        "opened",
        {
            "status": session.status,
            "bids_received": session.bids_received,
            "bidders": bidders,
            "sign_in_until": _iso(session.sign_in_until),
        },
    )
    publish(events.OpeningStarted(session_id=session.pk, tender_id=session.tender_id, lot_id=session.lot_id))


def _fail_too_few(session: OpeningSession, lot_bids: list[Any], moment: datetime) -> None:
    session.failed_at = moment
    t7 = {"rule": "T7", "article": "招标投标法第二十八条、实施条例第四十四条"}
    # The bidders are named to the centre and supervisors only: they will bid again.
    session.record = {
        "bidders": [
            {"bid_id": b.id, "uscc": b.bidder_uscc, "organisation_id": b.organisation_id} for b in lot_bids
        ]
    }
    ledger.record(
        action=evidence.FAILED_TOO_FEW,
        actor=CHRONOGRAPH,
        subject=evidence.session_subject(session),
        data={**t7, "bids": session.record["bidders"], "bids_received": len(lot_bids)},
        visibility=Visibility.oversight(centre=True),
    )
    promise = ledger.record(
        action=evidence.FAILED_TOO_FEW,
        actor=CHRONOGRAPH,
        subject=evidence.session_subject(session),
        data={
            **t7,
            "tender_id": session.tender_id,
            "lot_id": session.lot_id,
            "bids_received": len(lot_bids),
            "bid_deadline": _iso(session.scheduled_at),
        },
        visibility=Visibility.public(),
    )
    _move(
        session,
        states.FAILED_TOO_FEW,
        principal=None,
        action=evidence.FAILED_TOO_FEW,
        entry_hash=promise.entry_hash,
    )
    _event(session, "failed_too_few", {"status": session.status, "bids_received": len(lot_bids)})


def _retender(tender: TenderSummary, sessions: list[OpeningSession], moment: datetime) -> None:
    received = bids.submitted_count(tender.id)
    reason = Text(
        zh="投标截止时收到的投标文件少于3个，不予开标，依法重新招标（招标投标法第二十八条、实施条例第四十四条）。",
        en="Fewer than three bids by the deadline: no opening; re-tender (Tendering Law art. 28, "
        "Regulations art. 44).",
    ).render("zh-hans")
    try:
        with transaction.atomic():
            new_id = projects.retender_too_few_bids(
                tender_id=tender.id, bids_received=received, actor=CHRONOGRAPH, reason=reason
            )
    except DomainError as exc:
        # e.g. three organisations across several lots: the centre decides lot by lot.
        logger.warning("opening: tender %s not re-tendered automatically: %s", tender.id, exc)
        for session in sessions:
            _history(session, "retender_not_automatic", note=str(exc))
        return
    for session in sessions:
        session.new_tender_id = new_id
        session.save(update_fields=["new_tender_id"])
        _event(session, "retendered", {"new_tender_id": new_id})
        publish(
            events.OpeningFailedTooFew(
                session_id=session.pk,
                tender_id=session.tender_id,
                lot_id=session.lot_id,
                bids_received=session.bids_received,
                new_tender_id=new_id,
            )
        )


# --- host settings, sign-in, control price --------------------------------------------------------


def configure(
    *,
    principal: Principal,
    tender_id: int,
    lot_id: int,
    sign_in_minutes: int | None = None,
    decryption_minutes: int | None = None,
) -> OpeningSession:
    """The host sets the sign-in and decryption windows of a lot's opening (before decryption)."""
    tender = projects.tender_summary(tender_id)
    if lot_id not in tender.lot_ids or tender.bid_deadline is None:
        raise NotFound(messages.NO_SESSION, code="no_session")
    for value in (sign_in_minutes, decryption_minutes):
        if value is not None and not 1 <= value <= 1440:
            raise InvalidInput(messages.MINUTES_RANGE, code="bad_minutes")
    with transaction.atomic():
        _ensure_sessions(tender)
        session = OpeningSession.objects.select_for_update().get(tender_id=tender_id, lot_id=lot_id)
        _require_host(principal, session)
        if session.status not in (states.SCHEDULED, states.SIGNING_IN):
            raise Conflict(messages.CONFIGURE_LATE, code="configure_late")
        if sign_in_minutes is not None:
            session.sign_in_minutes = sign_in_minutes
            if session.opened_at is not None:
                session.sign_in_until = session.opened_at + timedelta(minutes=sign_in_minutes)
        if decryption_minutes is not None:
            session.decryption_minutes = decryption_minutes
        session.version += 1
        session.save()
        data = {"sign_in_minutes": session.sign_in_minutes, "decryption_minutes": session.decryption_minutes}
        _public_step(session, evidence.CONFIGURED, principal=principal, data=data, event="configured")
    return session


def sign_in(*, principal: Principal, session_id: int, certificate: str = "") -> SignIn:
    """A participant signs in: a bidder who submitted (by its certificate-bound token or its
    session), the host, a supervisor. Bidders within the sign-in window; idempotent."""
    moment = clock.now()
    with transaction.atomic():
        session = _lock(session_id)
        policy.require(principal, "sign_in")
        role = role_of(principal, session)
        if role is None:
            raise PermissionDenied(messages.NOT_PARTICIPANT, code="not_participant")
        _require_status(session, states.SIGNING_IN, states.DECRYPTING, states.DECRYPTED, states.CONFIRMING)
        assert principal.user_id is not None
        existing = SignIn.objects.filter(session=session, user_id=principal.user_id, role=role).first()
        if existing is not None:
            return existing
        if role == "bidder" and session.sign_in_until is not None and moment >= session.sign_in_until:
            raise Conflict(
                text(messages.SIGN_IN_CLOSED, until=_beijing(session.sign_in_until)), code="sign_in_closed"
            )
        return _record_sign_in(session, principal, role, certificate, moment)


def _record_sign_in(
    session: OpeningSession, principal: Principal, role: str, certificate: str, moment: datetime
) -> SignIn:
    assert principal.user_id is not None
    entry = SignIn.objects.create(
        session=session,
        user_id=principal.user_id,
        organisation_id=principal.organisation_id,
        role=role,
        via="certificate" if certificate else "session",
        certificate_fingerprint=certificate[:64],
        at=moment,
    )
    if role == "host" and session.host_id is None:
        session.host_id = principal.user_id
        session.save(update_fields=["host"])
    promise = ledger.record(
        action=evidence.SIGNED_IN,
        actor=evidence.actor_of(principal),
        subject=evidence.session_subject(session),
        data={
            "role": role,
            "via": entry.via,
            "certificate": entry.certificate_fingerprint,
            "at": _iso(moment),
        },
        visibility=Visibility.parties(
            user_ids=(principal.user_id,),
            organisation_ids=(principal.organisation_id,) if principal.organisation_id else (),
        ),
    )
    _history(session, evidence.SIGNED_IN, principal=principal, note=role, entry_hash=promise.entry_hash)
    _event(session, "signed_in", {"role": role, "counts": _sign_in_counts(session)})
    return entry


def publish_control_price(*, principal: Principal, session_id: int, amount_fen: int) -> OpeningSession:
    """The host publishes the control price (最高投标限价) before decryption."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise InvalidInput(messages.CONTROL_PRICE_RANGE, code="bad_amount")
    with transaction.atomic():
        session = _lock(session_id)
        _require_host(principal, session)
        _require_running(session)
        if session.status != states.SIGNING_IN:
            raise Conflict(messages.CONTROL_PRICE_LATE, code="control_price_late")
        session.control_price_fen = amount_fen
        session.control_price_published_at = clock.now()
        session.version += 1
        session.save()
        data = {"control_price_fen": amount_fen, "uppercase": uppercase_yuan(amount_fen)}
        _public_step(session, evidence.CONTROL_PRICE, principal=principal, data=data, event="control_price")
    return session


# --- the coefficient draw (浮动系数抽取) -------------------------------------------------------------

COEFFICIENT_PURPOSE = "coefficient_draw"


def _coefficients(values: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for value in values:
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise InvalidInput(messages.COEFFICIENT_VALUES, code="bad_coefficients") from None
        if not number.is_finite() or number <= 0 or number > 2:
            raise InvalidInput(messages.COEFFICIENT_VALUES, code="bad_coefficients")
        cleaned.append(str(number))
    if not 2 <= len(cleaned) <= 50 or len(set(cleaned)) != len(cleaned):
        raise InvalidInput(messages.COEFFICIENT_VALUES, code="bad_coefficients")
    return cleaned


def prepare_coefficient_draw(
    *, principal: Principal, session_id: int, values: Sequence[str]
) -> OpeningSession:
    """The host commits to drawing one coefficient from ``values`` (the tender documents' list),
    before decryption. The commitment goes into the ledger now (``yingshang.draws``); the draw is
    made once a signed checkpoint covers it (the chronograph, or :func:`complete_coefficient_draw`),
    so nobody can steer it, and anyone can recompute it from the published record."""
    cleaned = _coefficients(values)
    with transaction.atomic():
        session = _lock(session_id)
        _require_host(principal, session)
        _require_running(session)
        if session.status != states.SIGNING_IN or session.coefficient_draw:
            raise Conflict(messages.COEFFICIENT_LATE, code="coefficient_late")
        summary = draws.prepare_draw(
            actor=evidence.actor_of(principal),
            purpose=COEFFICIENT_PURPOSE,
            subject=evidence.session_subject(session),
            eligible=cleaned,
            k=1,
            parameters={"tender_id": session.tender_id, "lot_id": session.lot_id, "ocid": session.ocid},
            visibility=Visibility.public(),
        )
        session.coefficient_values = cleaned
        session.coefficient_draw = summary.public_id
        session.version += 1
        session.save()
        data = {"draw": summary.public_id, "values": cleaned, "commitment": summary.commitment}
        _public_step(
            session,
            evidence.COEFFICIENT_COMMITTED,
            principal=principal,
            data=data,
            event="coefficient_committed",
        )
    return session


def contribute_to_coefficient(*, principal: Principal, session_id: int, value: str) -> OpeningSession:
    """A supervisor adds a value of its own to the draw's seed, before the beacon is fixed
    (``Conflict`` ``beacon_fixed`` after)."""
    session = OpeningSession.objects.filter(pk=session_id).first()
    if session is None:
        raise NotFound()
    if not session.coefficient_draw:
        raise Conflict(messages.COEFFICIENT_NONE, code="no_coefficient_draw")
    if role_of(principal, session) != "supervisor":
        raise PermissionDenied(messages.CONTRIBUTION_BY, code="not_supervisor")
    draws.contribute(draw_id=session.coefficient_draw, actor=evidence.actor_of(principal), value=value)
    with transaction.atomic():
        session = _lock(session_id)
        _history(session, "trading.opening.coefficient_contributed", principal=principal)
        _event(session, "coefficient_contribution", {"draw": session.coefficient_draw})
    return session


def complete_coefficient_draw(*, session_id: int) -> str | None:
    """Make the committed draw once its beacon exists and record the coefficient; the coefficient
    (None while the beacon is not there yet). Idempotent."""
    session = OpeningSession.objects.filter(pk=session_id).first()
    if session is None:
        raise NotFound()
    if not session.coefficient_draw:
        raise Conflict(messages.COEFFICIENT_NONE, code="no_coefficient_draw")
    if session.coefficient:
        return session.coefficient
    summary = draws.perform_draw(draw_id=session.coefficient_draw)
    if summary is None or not summary.result:
        return None
    with transaction.atomic():
        session = _lock(session_id)
        if session.coefficient:
            return session.coefficient
        session.coefficient = summary.result[0]
        session.version += 1
        session.save()
        data = {
            "draw": session.coefficient_draw,
            "coefficient": session.coefficient,
            "beacon_size": summary.beacon_size,
        }
        promise = ledger.record(
            action=evidence.COEFFICIENT_DRAWN,
            actor=Actor.system("opening"),
            subject=evidence.session_subject(session),
            data=data,
            visibility=Visibility.public(),
        )
        _history(session, evidence.COEFFICIENT_DRAWN, principal=None, entry_hash=promise.entry_hash)
        _event(session, "coefficient_drawn", data)
    return session.coefficient


def start_decryption(*, principal: Principal, session_id: int) -> OpeningSession:
    """The host opens the decryption window (``decryption_minutes`` from now)."""
    moment = clock.now()
    with transaction.atomic():
        session = _lock(session_id)
        _require_host(principal, session)
        _require_running(session)
        _require_status(session, states.SIGNING_IN)
        session.decryption_started_at = moment
        session.decryption_until = moment + timedelta(minutes=session.decryption_minutes)
        session.next_check = session.decryption_until
        data = {"decryption_until": _iso(session.decryption_until), "minutes": session.decryption_minutes}
        promise = ledger.record(
            action=evidence.DECRYPTION_STARTED,
            actor=evidence.actor_of(principal),
            subject=evidence.session_subject(session),
            data=data,
            visibility=Visibility.public(),
        )
        _move(
            session,
            states.DECRYPTING,
            principal=principal,
            action=evidence.DECRYPTION_STARTED,
            entry_hash=promise.entry_hash,
        )
        _event(session, "decryption_started", {**data, **_counts(session)})
    return session


# --- key release and decryption -------------------------------------------------------------------


class KeyRefused(Conflict):
    """A content key the opening does not take (recorded)."""

    code = "key_refused"


def _decode_key(content_key: str | bytes) -> bytes | None:
    if isinstance(content_key, bytes):
        return content_key if len(content_key) == 32 else None
    try:
        raw = base64.b64decode(content_key or "", validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def _key_refusal(
    session: OpeningSession, row: OpeningBid, key: bytes | None, moment: datetime, *, matched: bool
) -> DomainError | None:
    """Why this key cannot be taken now (recorded as a refusal), or None; raises for requests
    that change nothing (not decrypting, paused, the row already done). ``matched``: the key
    matches the bid's signed commitment (``_matches``)."""
    if session.status in (states.DECRYPTED, states.CONFIRMING, states.FINISHED):
        until = _beijing(session.decryption_until or moment)
        return KeyRefused(text(messages.LATE_KEY, until=until), code="late_key")
    if session.status != states.DECRYPTING:
        raise Conflict(text(messages.NOT_DECRYPTING, status=session.status), code="not_decrypting")
    if session.paused:
        raise Conflict(text(messages.PAUSED, reason=session.pause_reason), code="paused")
    if session.decryption_until is not None and moment >= session.decryption_until:
        until = _beijing(session.decryption_until)
        return KeyRefused(text(messages.LATE_KEY, until=until), code="late_key")
    if row.decryption == states.ROW_DECRYPTED:
        raise Conflict(messages.ALREADY_DECRYPTED, code="already_decrypted")
    if row.decryption == states.ROW_FAILED:
        raise Conflict(text(messages.ALREADY_FAILED, reason=row.reason), code="already_failed")
    if key is None:
        return InvalidInput(messages.BAD_KEY_ENCODING, code="bad_key_encoding")
    if not matched:
        logger.info("opening: key for bid %s refused: key_mismatch", row.bid_id)
        return KeyRefused(messages.KEY_MISMATCH, code="key_mismatch")
    return None


def release_key(
    *, principal: Principal, bid_id: int, content_key: str | bytes, certificate: str = ""
) -> OpeningBid:
    """A bidder releases its bid's content key within the decryption window.

    The key is checked against the signed commitment first (a wrong key, or another bid's, is
    refused and recorded; after ``OPENING_KEY_ATTEMPTS`` refusals the row fails, the bidder's
    cause). A matching key's arrival is committed, then the stored envelope is decrypted by
    streaming and checked; the outcome is recorded. The row's content stays hidden until the
    window closes."""
    moment = clock.now()
    row = _one(OpeningBid, "bid_id", bid_id)
    if row is None:
        raise NotFound(code="no_such_bid")
    policy.require(principal, "release_key")
    if principal.organisation_id != row.organisation_id:
        with transaction.atomic():
            locked = _lock(row.session_id)
            ledger.record(
                action=evidence.KEY_REFUSED,
                actor=evidence.actor_of(principal),
                subject=evidence.row_subject(row),
                data={"bid_id": bid_id, "code": "not_your_bid", "at": _iso(moment)},
                visibility=Visibility.oversight(),
            )
            _history(locked, evidence.KEY_REFUSED, principal=principal, note=f"bid {bid_id}: not_your_bid")
        raise PermissionDenied(messages.NOT_YOUR_BID, code="not_your_bid")
    key = _decode_key(content_key)
    # A key that matches its commitment starts decrypting at once, on threads of its own, while
    # its arrival is recorded here; the outcome is read only once the arrival has committed.
    matched = key is not None and _matches(row, key)
    decryption = _Decryption(row, key) if key is not None and matched else None
    try:
        try:
            # Shared: keys arrive side by side; closing the window or pausing waits for them.
            row, refusal = _arrival(row, principal, key, certificate, moment, matched=matched, share=True)
        except _NeedsExclusive:
            # A refusal or a first sign-in writes counts to the hall: one at a time, exactly.
            row, refusal = _arrival(row, principal, key, certificate, moment, matched=matched, share=False)
    except BaseException:
        if decryption is not None:
            decryption.cancel()
        raise
    if refusal is not None:
        if decryption is not None:
            decryption.cancel()
        raise refusal
    assert decryption is not None  # no refusal: the key matched, so its decryption has begun
    return _record_outcome(row, decryption.finish(principal), principal)


def _matches(row: OpeningBid, key: bytes) -> bool:
    """The key matches the bid's signed commitment (a mismatch is refused and recorded by the
    arrival)."""
    try:
        envelope.check_content_key(envelope.Header.from_json(row.header), key)
    except envelope.EnvelopeError:
        return False
    return True


#: What a decrypted row's outcome writes.
DECRYPTED_FIELDS = [
    "decryption",
    "price_fen",
    "price_uppercase",
    "duration_days",
    "quality",
    "project_manager",
    "manifest",
    "package_document_id",
    "package_sha256",
    "evidence",
]


class _NeedsExclusive(Exception):
    """The arrival needs the session's exclusive lock (rolled back, then done again with it)."""


def _arrival(
    released: OpeningBid,
    principal: Principal,
    key: bytes | None,
    certificate: str,
    moment: datetime,
    *,
    matched: bool,
    share: bool,
) -> tuple[OpeningBid, DomainError | None]:
    """One transaction: a matching key's arrival recorded (row, ledger entry, history), or the
    refusal recorded. Under a shared lock only the plain arrival is done; anything that writes
    counts to the hall (a refusal, the bidder's first sign-in) raises ``_NeedsExclusive``."""
    with transaction.atomic():
        session = _lock(released.session_id, share=share)
        row = _lock_row(released.pk)
        refusal = _key_refusal(session, row, key, moment, matched=matched)
        signs_in = (
            principal.user_id is not None
            and not session.sign_ins.filter(user_id=principal.user_id, role="bidder").exists()
        )
        if share and (signs_in or refusal is not None):
            raise _NeedsExclusive
        if signs_in:
            # Releasing the key is also the bidder's sign-in (with its certificate-bound token).
            _record_sign_in(session, principal, "bidder", certificate, moment)
        if refusal is not None:
            _refuse_key(session, row, principal, refusal, moment)
            return row, refusal
        # A key that matched before but whose decryption never finished (a crash) may come
        # again: the first arrival stands.
        row.released_at = row.released_at or moment
        row.released_by_id = row.released_by_id or principal.user_id
        row.attempts += 1
        row.save(update_fields=["released_at", "released_by", "attempts"])
        _row_step(
            session,
            row,
            evidence.KEY_RELEASED,
            principal=principal,
            data={
                "bid_id": row.bid_id,
                "released_at": _iso(moment),
                "key_commitment": row.key_commitment,
                # The key's hash, not the key: the released key can be checked later by whoever holds it.
                "content_key_sha256": hashlib.sha256(key or b"").hexdigest(),
            },
            note=f"bid {row.bid_id}",
        )
    return row, None


def _refuse_key(
    session: OpeningSession, row: OpeningBid, principal: Principal, refusal: DomainError, moment: datetime
) -> None:
    counted = refusal.code in ("key_mismatch", "bad_key_encoding")
    if counted and row.decryption == states.PENDING:
        row.attempts += 1
        row.save(update_fields=["attempts"])
    attempts = list(row.evidence.get("refused_keys", []))
    attempts.append({"at": _iso(moment), "code": refusal.code, "user_id": principal.user_id})
    row.evidence = {**row.evidence, "refused_keys": attempts}
    row.save(update_fields=["evidence"])
    _row_step(
        session,
        row,
        evidence.KEY_REFUSED,
        principal=principal,
        data={"bid_id": row.bid_id, "code": refusal.code, "attempt": row.attempts, "at": _iso(moment)},
        note=f"bid {row.bid_id}: {refusal.code}",
    )
    if counted and row.decryption == states.PENDING and row.attempts >= max_key_attempts():
        _fail_row(
            session,
            row,
            cause=states.CAUSE_BIDDER,
            code="key_mismatch",
            reason=text(messages.REASON_ENVELOPE, code="key_mismatch"),
            principal=principal,
        )


@dataclass
class _Outcome:
    ok: bool
    cause: str = ""
    code: str = ""
    reason: Text | None = None
    figures: dict[str, Any] | None = None
    manifest: dict[str, Any] | None = None
    package_document_id: int | None = None
    package_sha256: str = ""
    evidence: dict[str, Any] | None = None


#: The hash state is marked at least this often, so that an edit near the end of the package (its
#: manifest) is hashed again from the last mark before it: at most this many bytes.
MARK_EVERY = 64 * 1024


class _HashingThread:
    """Hashes (and, with a ``sink``, writes) what it is given on a thread of its own, while the
    caller reads, hashes and decrypts the next chunk: SHA-256 releases the GIL, so the two hashes
    (envelope and package) run side by side. At most two chunks wait in
    between (memory stays bounded). With ``marks`` the hash state is marked every
    ``MARK_EVERY`` bytes (``packages.HashMarks``)."""

    def __init__(self, sink: IO[bytes] | None = None, *, name: str, marks: bool = False) -> None:
        self.sink = sink
        self.digest = hashlib.sha256()
        self.marks = packages.HashMarks()
        self._marking = marks
        self._offset = 0
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._drain, name=name, daemon=True)
        self._thread.start()

    def _hash(self, data: bytes) -> None:
        if not self._marking:
            self.digest.update(data)
            return
        view = memoryview(data)
        for start in range(0, len(view), MARK_EVERY):
            self.marks.mark(self._offset + start, self.digest)
            self.digest.update(view[start : start + MARK_EVERY])

    def _drain(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._hash(data)
                    if self.sink is not None:
                        self.sink.write(data)
                    self._offset += len(data)
                except BaseException as exc:  # re-raised in the caller's thread by close()
                    self._error = exc

    def write(self, data: bytes) -> int:
        if self._error is not None:
            raise self._error
        self._queue.put(data)
        return len(data)

    def close(self) -> None:
        """Wait for every chunk to be hashed (and written); raise what the thread met."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error


def _decrypt(row: OpeningBid, key: bytes, principal: Principal) -> _Outcome:
    """Decrypt and check a bid (``_Decryption``), start to finish."""
    return _Decryption(row, key).finish(principal)


class _Decryption:
    """One bid's decryption: the stored envelope streamed through the decryption into a staged
    file on a thread of its own (hashing the envelope as it is read and the package as it is
    written: one pass over the bytes), started as soon as the key has matched its commitment so
    that the key's arrival is recorded meanwhile; then ``finish`` checks it against the receipt
    (envelope and ciphertext hashes, signer certificate), reads the manifest and stores the
    package by hard link. Memory holds a chunk or two whatever the bid's size. Nothing of the
    package is used before ``finish``, which the caller reaches only once the arrival has
    committed; a decryption that is not finished is discarded (``cancel``)."""

    def __init__(self, row: OpeningBid, key: bytes) -> None:
        self.row = row
        self.staging_id = f"opened-{row.bid_id}-{os.urandom(8).hex()}"
        self.failure: _Outcome | None = None
        self.header: envelope.Header | None = None
        self.error: envelope.EnvelopeError | None = None
        self.stored_sha = ""
        self.writer: _HashingThread | None = None
        self._thread: threading.Thread | None = threading.Thread(
            target=self._stream, args=(key,), name="opening-decryption", daemon=True
        )
        self._thread.start()

    def _stream(self, key: bytes) -> None:
        try:
            with (
                _stream_slots(),
                # Found by the receipt's hash (content is stored under its hash): no database read
                # on this thread; what is read is checked against that hash all the same.
                files.open_content(self.row.envelope_sha256) as stored,
                files.write_staged(self.staging_id, direct=True) as spool,
            ):
                reader = HashingReader(stored)
                writer = self.writer = _HashingThread(spool, name="opening-writer", marks=True)
                try:
                    # The whole file's SHA-256 is checked against the receipt (``finish``), which
                    # implies the ciphertext hash checked when the bid was accepted: not computed
                    # a second time.
                    self.header = envelope.open_envelope(
                        reader,  # type: ignore[arg-type]
                        writer,  # type: ignore[arg-type]
                        content_key=key,
                        check_hash=False,
                    )
                except envelope.EnvelopeError as exc:
                    self.error = exc
                finally:
                    writer.close()
                reader.drain()
            self.stored_sha = reader.digest.hexdigest()
        except (OSError, NotFound) as exc:
            self.failure = _storage_unreadable(exc)
        except BaseException as exc:  # anything else: the platform's failure, never a lost thread
            logger.exception("opening: decrypting bid %s failed", self.row.bid_id)
            self.failure = _storage_failed({}, exc)

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def cancel(self) -> None:
        """Wait for the stream to end and discard what it wrote."""
        try:
            self._join()
        finally:
            files.discard_staged(self.staging_id)
            files.discard_staged(_rewritten_id(self.staging_id))

    def finish(self, principal: Principal) -> _Outcome:
        try:
            self._join()
            return self.failure or _decrypted(self, principal)
        finally:
            self.cancel()


def _storage_unreadable(exc: BaseException) -> _Outcome:
    return _Outcome(
        False,
        states.CAUSE_PLATFORM,
        "storage_unreadable",
        text(messages.REASON_STORAGE, code="storage_unreadable"),
        evidence={"error": type(exc).__name__},
    )


def _rewritten_id(staging_id: str) -> str:
    return f"{staging_id}-rewritten"


def _without_raw_features(
    staging_id: str, manifest: dict[str, Any], writer: _HashingThread
) -> tuple[str, str]:
    """Replace the staged package's ``manifest.json`` by the kept one (feature codes as keyed
    hashes: ``packages``); return the staged file to store and its SHA-256."""
    data = packages.manifest_bytes(manifest)
    with files.edit_staged(staging_id) as handle:
        changed_from = packages.replace_in_place(handle, data)
        if changed_from is not None:
            offset, digest = writer.marks.resume_before(changed_from)
            return staging_id, packages.sha256_from(handle, offset, digest)
        target = _rewritten_id(staging_id)
        with files.write_staged(target) as sink:
            packages.rewrite(handle, sink, data)
    with files.open_staged(target) as stored:
        return target, packages.sha256_from(stored, 0, hashlib.sha256())


def _decrypted(decryption: _Decryption, principal: Principal) -> _Outcome:
    """The checks, the manifest and the stored package of a decryption that streamed to its end."""
    row, staging_id, error, writer = (
        decryption.row,
        decryption.staging_id,
        decryption.error,
        decryption.writer,
    )
    assert writer is not None
    header = decryption.header
    stored_sha = decryption.stored_sha
    facts = {"stored_sha256": stored_sha, "receipt_envelope_sha256": row.envelope_sha256}
    if stored_sha != row.envelope_sha256:
        # The bytes are not those the receipt names: damaged after acceptance, not the bidder.
        code = error.code if error is not None else "stored_copy_differs"
        return _Outcome(
            False, states.CAUSE_PLATFORM, code, text(messages.REASON_STORAGE, code=code), evidence=facts
        )
    if error is not None:
        cause = states.CAUSE_BIDDER if error.code in states.BIDDER_ENVELOPE_ERRORS else states.CAUSE_PLATFORM
        template = messages.REASON_ENVELOPE if cause == states.CAUSE_BIDDER else messages.REASON_PLATFORM
        return _Outcome(False, cause, error.code, text(template, code=error.code), evidence=facts)
    assert header is not None
    if (
        header.ciphertext_sha256 != row.ciphertext_sha256
        or envelope.certificate_sha256(header.signer_certificate) != row.certificate_fingerprint
    ):
        return _Outcome(
            False,
            states.CAUSE_BIDDER,
            "receipt_mismatch",
            text(messages.REASON_ENVELOPE, code="receipt_mismatch"),
            evidence=facts,
        )
    try:
        with files.open_staged(staging_id) as package:
            manifest, figures = _read_package(package, header)
        # The package as sealed is known by its hash only; what is stored keeps no raw feature code.
        facts["sealed_package_sha256"] = writer.digest.hexdigest()
        stored_id, package_sha = _without_raw_features(staging_id, manifest, writer)
    except (_BadPackage, packages.PackageUnreadable) as exc:
        detail = exc.detail if isinstance(exc, _BadPackage) else f"unreadable member: {exc}"
        return _Outcome(
            False,
            states.CAUSE_BIDDER,
            "bad_package",
            text(messages.REASON_PACKAGE, detail=detail),
            evidence=facts,
        )
    except OSError as exc:
        return _storage_failed(facts, exc)
    try:
        document = files.store_staged(
            stored_id,
            # The platform stores the package for the bidder's organisation, whatever the
            # scopes of the token the key came with.
            principal=dataclasses.replace(principal, scopes=None),
            name=f"opened-bid-{row.bid_id}.zip",
            purpose=messages.OPENED_BID_PURPOSE.code,
            sha256=package_sha,  # computed as the package was written and edited
            max_bytes=max(header.plaintext_size + len(packages.manifest_bytes(manifest)), 1),
        )
    except (InvalidInput, TooLarge, UnsupportedMediaType) as exc:
        return _Outcome(
            False,
            states.CAUSE_BIDDER,
            "package_refused",
            text(messages.REASON_PACKAGE, detail=getattr(exc, "code", "refused")),
            evidence=facts,
        )
    except (OSError, DomainError) as exc:
        return _storage_failed(facts, exc)
    return _Outcome(
        True,
        figures=figures,
        manifest=manifest,
        package_document_id=document.id,
        package_sha256=package_sha,
        evidence=facts,
    )


def _storage_failed(facts: dict[str, Any], exc: BaseException) -> _Outcome:
    """The platform could not store the opened package (withdrawn, not the bidder's fault)."""
    return _Outcome(
        False,
        states.CAUSE_PLATFORM,
        "storage_failed",
        text(messages.REASON_PLATFORM, code="storage_failed"),
        evidence={**facts, "error": type(exc).__name__},
    )


class _BadPackage(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _read_package(stream: IO[bytes], header: envelope.Header) -> tuple[dict[str, Any], dict[str, Any]]:
    """The manifest (feature codes replaced by keyed hashes) and the opening sheet's figures."""
    try:
        with zipfile.ZipFile(stream) as archive:
            info = archive.getinfo(MANIFEST_NAME)
            if info.file_size > 4 * 1024 * 1024:
                raise _BadPackage("manifest too large")
            raw = archive.read(info)
    except KeyError:
        raise _BadPackage("no manifest.json") from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _BadPackage(f"not a package: {type(exc).__name__}") from None
    try:
        manifest = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _BadPackage("manifest.json is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise _BadPackage("unknown manifest format")
    if (str(manifest.get("tender")), str(manifest.get("lot")), str(manifest.get("bidder"))) != (
        header.tender,
        header.lot,
        header.bidder,
    ):
        raise _BadPackage("the manifest names another tender, lot or bidder")
    sheet = manifest.get("opening_sheet")
    if not isinstance(sheet, dict):
        raise _BadPackage("no opening_sheet")
    price = sheet.get("price_fen")
    duration = sheet.get("duration_days")
    if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
        raise _BadPackage("price_fen")
    if isinstance(duration, bool) or not isinstance(duration, int) or duration < 1:
        raise _BadPackage("duration_days")
    quality = str(sheet.get("quality") or "").strip()[:200]
    manager = str(sheet.get("project_manager") or "").strip()[:100]
    if not quality or not manager:
        raise _BadPackage("quality and project_manager")
    figures = {
        "price_fen": price,
        "price_uppercase": uppercase_yuan(price),
        "stated_uppercase": str(sheet.get("price_uppercase") or "")[:200],
        "duration_days": duration,
        "quality": quality,
        "project_manager": manager,
    }
    kept = {k: v for k, v in manifest.items() if k != "feature_codes"}
    kept["feature_codes"] = keys.hash_features(manifest.get("feature_codes") or {})
    kept["feature_key_id"] = keys.key_id()
    return kept, figures


def _record_outcome(released: OpeningBid, outcome: _Outcome, principal: Principal) -> OpeningBid:
    with transaction.atomic():
        session = _lock(released.session_id)  # the session first, then the row, as everywhere
        row = _lock_row(released.pk)
        if row.decryption != states.PENDING:
            return row  # classified meanwhile (the window closed)
        if not outcome.ok:
            assert outcome.reason is not None
            row.evidence = {**row.evidence, **(outcome.evidence or {})}
            _fail_row(
                session,
                row,
                cause=outcome.cause,
                code=outcome.code,
                reason=outcome.reason,
                principal=principal,
            )
            return row
        figures = outcome.figures or {}
        row.decryption = states.ROW_DECRYPTED
        row.price_fen = figures["price_fen"]
        row.price_uppercase = figures["price_uppercase"]
        row.duration_days = figures["duration_days"]
        row.quality = figures["quality"]
        row.project_manager = figures["project_manager"]
        row.manifest = outcome.manifest or {}
        row.package_document_id = outcome.package_document_id
        row.package_sha256 = outcome.package_sha256
        row.evidence = {**row.evidence, **(outcome.evidence or {})}
        row.save(update_fields=DECRYPTED_FIELDS)
        manifest_sha = hashlib.sha256(rfc8785.dumps(row.manifest)).hexdigest()
        # Hashes only: the content becomes readable when the window has closed.
        _row_step(
            session,
            row,
            evidence.BID_DECRYPTED,
            principal=principal,
            data={
                "bid_id": row.bid_id,
                "envelope_sha256": row.envelope_sha256,
                "package_sha256": row.package_sha256,
                "sealed_package_sha256": row.evidence.get("sealed_package_sha256", ""),
                "manifest_sha256": manifest_sha,
            },
            note=f"bid {row.bid_id}",
        )
        _event(session, "decryption_progress", _counts(session))
    return row


def _fail_row(
    session: OpeningSession,
    row: OpeningBid,
    *,
    cause: str,
    code: str,
    reason: Text,
    principal: Principal | None,
) -> None:
    row.decryption = states.ROW_FAILED
    row.cause = cause
    row.reason_code = code
    row.reason = _render(reason)
    row.evidence = {**row.evidence, "reason_en": _render(reason, "en")}
    row.save()
    _row_step(
        session,
        row,
        evidence.DECRYPTION_FAILED,
        principal=principal,
        data={
            "bid_id": row.bid_id,
            "cause": cause,
            "code": code,
            "reason": row.reason,
            "evidence": row.evidence,
        },
        note=f"bid {row.bid_id}: {code}",
    )
    _event(session, "decryption_progress", _counts(session))


# --- custodian backup (k of n) -------------------------------------------------------------------


def release_share(*, principal: Principal, bid_id: int, index: int, share: str) -> OpeningBid:
    """A custodian submits its share of a bid's content key (the envelope's k-of-n backup, where
    the tender allows it), within the decryption window, for a bid whose key has not come.
    Each share is recorded; once the threshold is reached the key is recovered (checked against
    the commitment) and the bid is decrypted as if its bidder had released the key (the evidence
    says it came from the custodians)."""
    moment = clock.now()
    row = OpeningBid.objects.select_related("session").filter(bid_id=bid_id).first()
    if row is None:
        raise NotFound(code="no_such_bid")
    policy.require(principal, "custodian", row.session)
    header = envelope.Header.from_json(row.header)
    if header.custodian_threshold == 0:
        raise Conflict(messages.NO_BACKUP, code="no_backup")
    value = _decode_key(share)
    if value is None or not 1 <= index <= 255:
        raise InvalidInput(messages.BAD_SHARE, code="bad_share")
    custodian = next((c for c in header.custodians if c.index == index), None)
    if custodian is None:
        raise InvalidInput(text(messages.SHARE_NOT_IN_ENVELOPE, index=index), code="share_not_in_envelope")
    # The share was wrapped to one custodian's certificate: only that organisation's people may
    # submit it (defence in depth beyond holding the unwrapped share).
    try:
        holder = identity.validate_certificate([custodian.certificate], usage="encryption", at=moment)
    except identity.CertificateRejected as exc:
        raise InvalidInput(
            text(messages.CUSTODIAN_UNKNOWN, index=index, reason=exc.code), code="custodian_certificate"
        ) from None
    if holder.organisation_id != principal.organisation_id:
        raise PermissionDenied(
            text(messages.NOT_THIS_CUSTODIAN, index=index, name=holder.organisation_name),
            code="not_this_custodian",
        )
    key: bytes | None = None
    with transaction.atomic():
        session = _lock(row.session_id)
        row = OpeningBid.objects.select_for_update().get(pk=row.pk)
        window_open = (
            session.status == states.DECRYPTING
            and not session.paused
            and session.decryption_until is not None
            and moment < session.decryption_until
        )
        if not window_open or row.decryption != states.PENDING or row.released_at is not None:
            raise Conflict(messages.BACKUP_NOT_NOW, code="backup_not_now")
        if row.shares.filter(index=index).exists():
            raise Conflict(text(messages.SHARE_TWICE, index=index), code="share_twice")
        assert principal.user_id is not None
        BackupShare.objects.create(
            row=row,
            index=index,
            value=base64.b64encode(value).decode(),
            value_sha256=hashlib.sha256(value).hexdigest(),
            submitted_by_id=principal.user_id,
            organisation_id=principal.organisation_id,
            at=moment,
        )
        _row_step(
            session,
            row,
            evidence.SHARE_RELEASED,
            principal=principal,
            data={"bid_id": row.bid_id, "index": index, "share_sha256": hashlib.sha256(value).hexdigest()},
            note=f"bid {bid_id} share {index}",
        )
        held = list(row.shares.order_by("index"))
        _event(
            session,
            "backup_progress",
            {"bid_id": row.bid_id, "shares": len(held), "threshold": header.custodian_threshold},
        )
        if len(held) >= header.custodian_threshold:
            key = _recover(header, held)
            if key is not None:
                row.released_at = moment
                row.released_by_id = principal.user_id
                row.evidence = {**row.evidence, "backup": {"indexes": [h.index for h in held]}}
                row.save(update_fields=["released_at", "released_by", "evidence"])
                row.shares.update(value="")
                _row_step(
                    session,
                    row,
                    evidence.BACKUP_RECOVERED,
                    principal=principal,
                    data={
                        "bid_id": row.bid_id,
                        "indexes": [h.index for h in held],
                        "content_key_sha256": hashlib.sha256(key).hexdigest(),
                    },
                    note=f"bid {bid_id}",
                )
    if key is None:
        return row
    owner = Principal(
        user_id=principal.user_id, organisation_id=row.organisation_id, roles=frozenset({"bidder"})
    )
    return _record_outcome(row, _decrypt(row, key, owner), principal)


def _recover(header: envelope.Header, held: list[BackupShare]) -> bytes | None:
    """The key from the shares held (any threshold-sized subset that meets the commitment)."""
    from itertools import combinations

    shares = [envelope.Share(h.index, base64.b64decode(h.value)) for h in held if h.value]
    for subset in combinations(shares, header.custodian_threshold):
        try:
            return envelope.recover_content_key(header, list(subset))
        except envelope.EnvelopeError:
            continue
    return None


# --- closing the window ---------------------------------------------------------------------------


def close_window(*, session_id: int, now: datetime | None = None, principal: Principal | None = None) -> bool:
    """Close the decryption window: by the chronograph once it has ended (idempotent: False when
    there is nothing to do), or by the host once no key is outstanding. Every bid still pending
    fails and every failed bid is classified (art. 31); the opening sheet is prepared."""
    moment = now or clock.now()
    with transaction.atomic():
        session = _lock(session_id)
        if principal is None:
            if session.status != states.DECRYPTING or session.paused:
                return False
            if session.decryption_until is None or moment < session.decryption_until:
                return False
        else:
            _require_host(principal, session)
            _require_running(session)
            _require_status(session, states.DECRYPTING)
            outstanding = session.rows.filter(decryption=states.PENDING).count()
            if outstanding and (session.decryption_until is None or moment < session.decryption_until):
                raise Conflict(text(messages.KEYS_OUTSTANDING, n=outstanding), code="keys_outstanding")
        for row in session.rows.select_for_update().filter(decryption=states.PENDING):
            if row.released_at is not None:
                _fail_row(
                    session,
                    row,
                    cause=states.CAUSE_PLATFORM,
                    code="interrupted",
                    reason=text(messages.REASON_PLATFORM, code="interrupted"),
                    principal=principal,
                )
            else:
                _fail_row(
                    session,
                    row,
                    cause=states.CAUSE_BIDDER,
                    code="no_key",
                    reason=messages.REASON_NO_KEY,
                    principal=principal,
                )
        actor = evidence.actor_of(principal) if principal is not None else CHRONOGRAPH
        sheet_public = []
        for row in session.rows.order_by("received_at", "id"):
            if row.decryption == states.ROW_FAILED:
                row.classification = states.classification_of(row.cause)
                row.save(update_fields=["classification"])
                ledger.record(
                    action=evidence.ROW_CLASSIFIED,
                    actor=actor,
                    subject=evidence.row_subject(row),
                    data={
                        "bid_id": row.bid_id,
                        "bidder": row.bidder_uscc,
                        "classification": row.classification,
                        "cause": row.cause,
                        "code": row.reason_code,
                        "reason": row.reason,
                        "article": "电子招标投标办法第三十一条",
                    },
                    visibility=Visibility.public(),
                )
                if row.classification == states.REVOKED:
                    publish(
                        events.BidRevoked(
                            session_id=session.pk,
                            tender_id=session.tender_id,
                            lot_id=session.lot_id,
                            bid_id=row.bid_id,
                            organisation_id=row.organisation_id,
                        )
                    )
            else:
                # The row's content, for the parties now and everyone once published.
                ledger.record(
                    action=evidence.WINDOW_CLOSED,
                    actor=actor,
                    subject=evidence.row_subject(row),
                    data={"row": row_content(row)},
                    visibility=evidence.row_content(row),
                )
            sheet_public.append(row_public(row))
        session.window_closed_at = moment
        session.next_check = None
        counts = _counts(session)
        promise = ledger.record(
            action=evidence.WINDOW_CLOSED,
            actor=actor,
            subject=evidence.session_subject(session),
            data={"closed_at": _iso(moment), **counts, "rows": sheet_public},
            visibility=Visibility.public(),
        )
        _move(
            session,
            states.DECRYPTED,
            principal=principal,
            action=evidence.WINDOW_CLOSED,
            entry_hash=promise.entry_hash,
        )
        _event(session, "window_closed", {"counts": counts, "rows": sheet_public})
        _event(
            session,
            "sheet",
            {"rows": [row_content(r) for r in session.rows.order_by("received_at", "id")]},
            public=False,
        )
        publish(
            events.WindowClosed(session_id=session.pk, tender_id=session.tender_id, lot_id=session.lot_id)
        )
    return True


# --- confirmation, objections ---------------------------------------------------------------------


def put_to_bidders(*, principal: Principal, session_id: int) -> OpeningSession:
    """The host puts the opening record to the bidders for confirmation."""
    with transaction.atomic():
        session = _lock(session_id)
        _require_host(principal, session)
        _require_running(session)
        _require_status(session, states.DECRYPTED)
        session.confirming_at = clock.now()
        promise = ledger.record(
            action=evidence.CONFIRMING,
            actor=evidence.actor_of(principal),
            subject=evidence.session_subject(session),
            data={"at": _iso(session.confirming_at)},
            visibility=Visibility.public(),
        )
        _move(
            session,
            states.CONFIRMING,
            principal=principal,
            action=evidence.CONFIRMING,
            entry_hash=promise.entry_hash,
        )
        _event(session, "confirming", {"status": session.status})
    return session


def _own_row(principal: Principal, session: OpeningSession) -> OpeningBid:
    row = (
        session.rows.select_for_update().filter(organisation_id=principal.organisation_id).first()
        if principal.organisation_id is not None
        else None
    )
    if row is None:
        raise NotFound(messages.NO_ROW, code="no_row")
    return row


def _publish_row(session: OpeningSession, row: OpeningBid, moment: datetime) -> None:
    if row.published_at is None:
        row.published_at = moment
        row.save(update_fields=["published_at"])
        ledger.mark_event(event=evidence.ROW_PUBLISHED, subject=evidence.row_subject(row), at=moment)


def confirm_row(*, principal: Principal, session_id: int) -> OpeningBid:
    """The bidder confirms its row of the opening record; the row becomes public."""
    moment = clock.now()
    with transaction.atomic():
        session = _lock(session_id)
        policy.require(principal, "confirm", session)
        _require_running(session)
        _require_status(session, states.CONFIRMING)
        row = _own_row(principal, session)
        if row.confirmation == states.CONFIRMED:
            raise Conflict(messages.ALREADY_CONFIRMED, code="already_confirmed")
        row.confirmation = states.CONFIRMED
        row.confirmed_at = moment
        row.save(update_fields=["confirmation", "confirmed_at"])
        _publish_row(session, row, moment)
        promise = ledger.record(
            action=evidence.ROW_CONFIRMED,
            actor=evidence.actor_of(principal),
            subject=evidence.row_subject(row),
            data={"bid_id": row.bid_id, "confirmed_at": _iso(moment), "row": row_content(row)},
            visibility=Visibility.public(),
        )
        _history(
            session,
            evidence.ROW_CONFIRMED,
            principal=principal,
            note=f"bid {row.bid_id}",
            entry_hash=promise.entry_hash,
        )
        _event(session, "row_confirmed", {"row": row_content(row)})
    return row


def raise_objection(*, principal: Principal, session_id: int, text_: str) -> Objection:
    """A bidder objects on the spot (T6, 条例 44); recorded and shown to the hall."""
    body = (text_ or "").strip()
    if not body:
        raise InvalidInput(messages.EMPTY_TEXT, code="empty_text")
    moment = clock.now()
    with transaction.atomic():
        session = _lock(session_id)
        policy.require(principal, "object", session)
        _require_status(session, states.SIGNING_IN, states.DECRYPTING, states.DECRYPTED, states.CONFIRMING)
        row = _own_row(principal, session)
        assert principal.user_id is not None and principal.organisation_id is not None
        objection = Objection.objects.create(
            session=session,
            row=row,
            organisation_id=principal.organisation_id,
            raised_by_id=principal.user_id,
            text=body[:4000],
            raised_at=moment,
        )
        if session.status == states.CONFIRMING and row.confirmation != states.CONFIRMED:
            row.confirmation = states.OBJECTED
            row.save(update_fields=["confirmation"])
        data = {
            "objection_id": objection.pk,
            "bid_id": row.bid_id,
            "bidder": row.bidder_name,
            "text": objection.text,
            "raised_at": _iso(moment),
        }
        _public_step(
            session,
            evidence.OBJECTION_RAISED,
            principal=principal,
            data=data,
            event="objection",
            note=objection.text,
            recorded={**data, "rule": "T6"},
        )
    return objection


def answer_objection(*, principal: Principal, objection_id: int, text_: str) -> Objection:
    """The host answers an objection on the spot (T6); recorded and shown to the hall."""
    body = (text_ or "").strip()
    if not body:
        raise InvalidInput(messages.EMPTY_TEXT, code="empty_text")
    found = Objection.objects.filter(pk=objection_id).first()
    if found is None:
        raise NotFound(messages.NO_OBJECTION, code="no_objection")
    moment = clock.now()
    with transaction.atomic():
        session = _lock(found.session_id)
        _require_host(principal, session)
        objection = Objection.objects.select_for_update().get(pk=objection_id)
        if objection.answered_at is not None:
            raise Conflict(messages.ALREADY_ANSWERED, code="already_answered")
        objection.answer = body[:4000]
        objection.answered_by_id = principal.user_id
        objection.answered_at = moment
        objection.save(update_fields=["answer", "answered_by", "answered_at"])
        data = {"objection_id": objection.pk, "answer": objection.answer, "answered_at": _iso(moment)}
        _public_step(
            session,
            evidence.OBJECTION_ANSWERED,
            principal=principal,
            data=data,
            event="objection_answered",
            note=objection.answer,
            recorded={**data, "rule": "T6"},
        )
    return objection


# --- pause, resume, finish ------------------------------------------------------------------------


@contextlib.contextmanager
def _host_step(
    principal: Principal, session_id: int, reason: str
) -> Iterator[tuple[OpeningSession, str, datetime]]:
    """A host's step that needs a reason (pause, resume): the reason checked, then the session
    locked for the caller's changes, with the host's permission checked; yields the session, the
    reason (trimmed) and the moment."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(messages.EMPTY_TEXT, code="empty_text")
    moment = clock.now()
    with transaction.atomic():
        session = _lock(session_id)
        _require_host(principal, session)
        yield session, reason, moment


def pause(*, principal: Principal, session_id: int, reason: str) -> OpeningSession:
    """The host pauses (network failure, a supervisor's order): nothing moves, the decryption
    window's remaining time is kept."""
    with _host_step(principal, session_id, reason) as (session, said, moment):
        if session.status in states.FINAL or session.status == states.SCHEDULED:
            raise Conflict(text(messages.WRONG_STATUS, status=session.status), code="wrong_status")
        if session.paused:
            raise Conflict(messages.ALREADY_PAUSED, code="already_paused")
        session.paused, session.pause_reason, session.paused_at = True, said[:2000], moment
        if session.status == states.DECRYPTING and session.decryption_until is not None:
            session.remaining_seconds = max(0, int((session.decryption_until - moment).total_seconds()))
            session.next_check = None
        session.version += 1
        session.save()
        data = {"reason": session.pause_reason, "paused_at": _iso(moment), "status": session.status}
        _public_step(session, evidence.PAUSED, principal=principal, data=data, event="paused", note=said)
    return session


def resume(*, principal: Principal, session_id: int, reason: str) -> OpeningSession:
    """The host resumes; a running decryption window gets back the time it had left."""
    with _host_step(principal, session_id, reason) as (session, said, moment):
        if not session.paused:
            raise Conflict(messages.NOT_PAUSED, code="not_paused")
        paused_for = moment - session.paused_at if session.paused_at else timedelta(0)
        session.paused = False
        if session.status == states.DECRYPTING and session.remaining_seconds is not None:
            session.decryption_until = moment + timedelta(seconds=session.remaining_seconds)
            session.next_check = session.decryption_until
            session.remaining_seconds = None
        session.version += 1
        session.save()
        data = {
            "reason": said[:2000],
            "resumed_at": _iso(moment),
            "paused_seconds": int(paused_for.total_seconds()),
            "decryption_until": _iso(session.decryption_until),
        }
        _public_step(session, evidence.RESUMED, principal=principal, data=data, event="resumed", note=said)
    return session


def opening_record(session: OpeningSession) -> dict[str, Any]:
    """The opening record (开标记录表) as JSON."""
    return {
        "type": "yingshang-opening-record/1",
        "session_id": session.pk,
        "tender_id": session.tender_id,
        "ocid": session.ocid,
        "lot_id": session.lot_id,
        "bid_deadline": _iso(session.scheduled_at),
        "opened_at": _iso(session.opened_at),
        "decryption_started_at": _iso(session.decryption_started_at),
        "window_closed_at": _iso(session.window_closed_at),
        "finished_at": _iso(session.finished_at),
        "bids_received": session.bids_received,
        "control_price_fen": session.control_price_fen,
        "control_price_uppercase": uppercase_yuan(session.control_price_fen)
        if session.control_price_fen
        else "",
        "coefficient": session.coefficient,
        "coefficient_draw": session.coefficient_draw,
        "rows": [row_content(row) for row in session.rows.order_by("received_at", "id")],
        "objections": [
            {
                "objection_id": o.pk,
                "bidder_uscc": o.row.bidder_uscc if o.row else "",
                "text": o.text,
                "raised_at": _iso(o.raised_at),
                "answer": o.answer,
                "answered_at": _iso(o.answered_at),
            }
            for o in session.objections.select_related("row").order_by("raised_at", "id")
        ],
        "sign_ins": _sign_in_counts(session),
    }


def _store_record_pdf(session: OpeningSession, principal: Principal) -> None:
    """Render the record, sign the PDF inside (PAdES, the platform's document-signing
    certificate: any PDF reader shows it), store it (purpose ``opening_record``), and sign the
    JSON record and the PDF's hash together (Ed25519, checkable offline)."""
    tender = projects.tender_summary(session.tender_id)
    title = f"{tender.title}　开标记录表"
    page = rendering.record_html({**session.record, "record_sha256": session.record_sha256}, title=title)
    pdf = platform_keys.sign_platform_pdf(
        rendering.render_pdf(page, title=title, author=session.ocid),
        reason=f"开标记录表 / opening record {session.ocid or session.tender_id} lot {session.lot_id}",
        signed_at=clock.now(),
    )
    stored = files.store_document(
        principal=dataclasses.replace(principal, scopes=None),
        name=f"{session.ocid or session.tender_id}-lot-{session.lot_id}-opening-record.pdf",
        stream=io.BytesIO(pdf),
        purpose=messages.RECORD_PDF_PURPOSE.code,
    )
    session.record_pdf_id = stored.id
    session.record_pdf_sha256 = stored.sha256
    key = platform_keys.platform_signing_key()
    session.record_signature = rendering.sign(
        rendering.signed_payload(
            session_id=session.pk,
            ocid=session.ocid,
            lot_id=session.lot_id,
            record_sha256=session.record_sha256,
            pdf_sha256=stored.sha256,
        ),
        key,
        key_id=platform_keys.key_id(key.public_key()),
        public_key_b64=platform_keys.public_key_b64(),
    )


def finish(*, principal: Principal, session_id: int) -> OpeningSession:
    """The host finishes the opening: every objection answered; the record is published to
    everyone (every row public), rendered as a PDF signed by the platform (PAdES) and stored
    through the files context, the record and the PDF's hash signed together (``rendering.sign``),
    and recorded in the ledger."""
    moment = clock.now()
    with transaction.atomic():
        session = _lock(session_id)
        _require_host(principal, session)
        _require_running(session)
        _require_status(session, states.CONFIRMING)
        unanswered = session.objections.filter(answered_at__isnull=True).count()
        if unanswered:
            raise Conflict(text(messages.UNANSWERED, n=unanswered), code="objections_unanswered")
        for row in session.rows.select_for_update():
            _publish_row(session, row, moment)
        session.finished_at = moment
        record = opening_record(session)
        session.record = record
        session.record_sha256 = hashlib.sha256(rfc8785.dumps(record)).hexdigest()
        _store_record_pdf(session, principal)
        promise = ledger.record(
            action=evidence.FINISHED,
            actor=evidence.actor_of(principal),
            subject=evidence.session_subject(session),
            data={
                "record": record,
                "record_sha256": session.record_sha256,
                "pdf_document_id": session.record_pdf_id,
                "pdf_sha256": session.record_pdf_sha256,
                "signature": session.record_signature,
            },
            visibility=Visibility.public(),
        )
        _move(
            session,
            states.FINISHED,
            principal=principal,
            action=evidence.FINISHED,
            entry_hash=promise.entry_hash,
        )
        _event(
            session,
            "finished",
            {
                "record": record,
                "record_sha256": session.record_sha256,
                "pdf_sha256": session.record_pdf_sha256,
                "signature": session.record_signature,
            },
        )
        publish(
            events.OpeningFinished(session_id=session.pk, tender_id=session.tender_id, lot_id=session.lot_id)
        )
    return session


__all__ = [
    "answer_objection",
    "close_window",
    "configure",
    "confirm_row",
    "finish",
    "open_due_sessions",
    "open_tender",
    "pause",
    "publish_control_price",
    "put_to_bidders",
    "raise_objection",
    "release_key",
    "release_share",
    "resume",
    "sign_in",
    "start_decryption",
]
