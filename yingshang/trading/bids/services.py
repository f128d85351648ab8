"""Every write of the bids context: resumable uploads of sealed bids, their acceptance with a
signed receipt, replacement and withdrawal.

An upload goes ``receiving -> verifying -> complete`` (or ``refused``):

1. ``start_upload`` declares the tender, lot, size and SHA-256 of the envelope file under an
   idempotency key (the same key again returns the same upload, or its receipt);
2. ``receive_chunk`` appends one chunk at the acknowledged offset (staged through the files
   context: in the OS cache when acknowledged, so a crash of the server loses nothing; flushed
   to disk with the last chunk, before any receipt; after a power failure the acknowledged
   offset rewinds to what reached the disk and the client resends from there); every chunk is
   refused once the bid deadline has passed by the server's clock;
3. the chunk that completes the file is the bid's arrival: its time is stamped and committed
   (``verifying``) before anything slow happens, so a crash afterwards cannot change it;
4. ``_finalise`` then checks the bytes against the declared hash, the envelope's structure and
   the bidder's signature (``yingshang.envelope``), the signing certificate against the trust
   store (identity), that the envelope names this tender, lot and bidder; stores the envelope
   through the files context; and in one transaction creates the bid (superseding an earlier
   one), records ``trading.bid.submitted`` in the ledger and signs the receipt. A refusal is
   recorded (``trading.bid.refused``) with its reason, and nothing counts as a bid.

The server never holds a key that opens a bid: the envelope's content key is wrapped to the
bidder's own certificate (and, optionally, to custodians), and is released only at the opening.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from yingshang import envelope
from yingshang.files import facade as files
from yingshang.identity import facade as identity
from yingshang.identity.facade import CertificateCheck
from yingshang.kernel import clock
from yingshang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TooLarge
from yingshang.kernel.events import publish
from yingshang.kernel.policy import Principal
from yingshang.kernel.statutory import SHANGHAI
from yingshang.kernel.streams import HashingReader, is_sha256_hex
from yingshang.kernel.text import Text
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Visibility
from yingshang.trading.bids import events, evidence, messages, receipts, states
from yingshang.trading.bids.models import Bid, BidHistory, BidLimit, BidUpload
from yingshang.trading.bids.permissions import policy
from yingshang.trading.projects import facade as projects
from yingshang.trading.projects.contracts import TenderSummary

logger = logging.getLogger(__name__)

__all__ = [
    "UploadState",
    "max_bytes",
    "receive_chunk",
    "set_bid_limit",
    "start_upload",
    "upload_state",
    "withdraw_bid",
]

MIB = 1024 * 1024
_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")


def chunk_size() -> int:
    return int(str(settings.YINGSHANG.get("BID_CHUNK_BYTES", MIB)))


def default_max_bytes() -> int:
    return int(str(settings.YINGSHANG.get("BID_MAX_BYTES", 2 * 1024 * MIB)))


def max_bytes(tender_id: int) -> int:
    """The largest sealed bid a tender accepts: its own limit (set by its tenderer or agency),
    else ``YINGSHANG["BID_MAX_BYTES"]``."""
    own = BidLimit.objects.filter(tender_id=tender_id).values_list("max_bytes", flat=True).first()
    return int(own) if own is not None else default_max_bytes()


def require_visible_tender(principal: Principal, tender_id: int) -> TenderSummary:
    """The tender if the principal may see it (everyone once its notice is published), else ``NotFound``."""
    tender = projects.tender_summary(tender_id)
    if tender.published_at is None and not projects.may_view_tender(principal, tender_id):
        raise NotFound()
    return tender


def set_bid_limit(*, principal: Principal, tender_id: int, max_bytes: int) -> BidLimit:
    """The tender's managers set its size limit for sealed bids, before the bid deadline; never
    below an upload already declared (a bidder's work is not invalidated after the fact)."""
    moment = clock.now()
    tender = require_visible_tender(principal, tender_id)
    if not projects.may_manage_tender(principal, tender_id):
        raise PermissionDenied(
            Text(
                zh="只有招标人、代理机构或交易中心可以设置投标文件大小上限。",
                en="Only the tenderer, the agency or the centre can set the limit.",
            ),
            code="permission_denied",
        )
    if tender.bid_deadline is not None and moment >= tender.bid_deadline:
        raise Conflict(messages.AFTER_DEADLINE_LIMIT, code="after_deadline")
    if max_bytes < MIB or max_bytes > 64 * 1024 * MIB:
        raise InvalidInput(messages.LIMIT_RANGE, code="bad_limit")
    largest = (
        BidUpload.objects.filter(tender_id=tender_id).order_by("-size").values_list("size", flat=True).first()
    )
    if largest is not None and max_bytes < largest:
        raise Conflict(_text(messages.LIMIT_BELOW_UPLOAD, size=largest), code="limit_below_upload")
    with transaction.atomic():
        limit, _created = BidLimit.objects.select_for_update().get_or_create(
            tender_id=tender_id,
            defaults={"max_bytes": max_bytes, "set_at": moment, "set_by_id": principal.user_id},
        )
        limit.max_bytes, limit.set_at, limit.set_by_id = max_bytes, moment, principal.user_id
        limit.save()
        ledger.record_change(
            instance=limit,
            action=evidence.LIMIT_SET,
            actor=evidence.actor_of(principal),
            visibility=Visibility.public(),
            data={"ocid": tender.ocid, "set_at": receipts.rfc3339(moment)},
        )
    return limit


@dataclass(frozen=True)
class UploadState:
    upload: BidUpload
    bid: Bid | None = None


class BidRefused(InvalidInput):
    """An upload that cannot become a bid; the upload is marked refused with this reason."""

    code = "bid_refused"


def _beijing(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _text(template: Text, **params: Any) -> Text:
    return Text(zh=template.zh, en=template.en, params=params)


# --- checks ---------------------------------------------------------------------------------------


def _require_bidder(principal: Principal) -> None:
    policy.require(principal, "submit")
    if principal.organisation_id is None:
        raise PermissionDenied(messages.NOT_A_BIDDER, code="not_a_bidder")


def _open_tender(tender_id: int, lot_id: int) -> TenderSummary:
    tender = projects.tender_summary(tender_id)  # NotFound for an unknown tender
    if tender.status not in ("published",) or tender.suspended or tender.bid_deadline is None:
        raise Conflict(_text(messages.NOT_OPEN, status=tender.status), code="tender_not_open")
    if lot_id not in tender.lot_ids:
        raise InvalidInput(_text(messages.LOT_NOT_IN_TENDER, lot=lot_id), code="lot_not_in_tender")
    return tender


def _late(deadline: datetime, arrived: datetime) -> Conflict:
    return Conflict(
        _text(messages.LATE, deadline=_beijing(deadline), arrived=_beijing(arrived)),
        code="late",
        details=[{"arrived_at": arrived.isoformat(), "bid_deadline": deadline.isoformat()}],
    )


# --- starting an upload ---------------------------------------------------------------------------


def start_upload(
    *,
    principal: Principal,
    tender_id: int,
    lot_id: int,
    idempotency_key: str,
    size: int,
    sha256: str,
    token_certificate: str = "",
) -> UploadState:
    """Declare an upload; the same idempotency key again returns the same upload (with its bid's
    receipt once complete). Refused after the deadline, above the tender's size limit."""
    _require_bidder(principal)
    assert principal.organisation_id is not None and principal.user_id is not None
    if not _KEY.match(idempotency_key or ""):
        raise InvalidInput(
            Text(
                zh="幂等键须为 8–100 个字母、数字或 . _ : -。",
                en="The idempotency key must be 8-100 letters, digits or . _ : -.",
            ),
            code="bad_idempotency_key",
        )
    sha256 = (sha256 or "").lower()
    if not is_sha256_hex(sha256):
        raise InvalidInput(
            Text(zh="sha256 须为 64 位十六进制数。", en="sha256 must be 64 hexadecimal digits."),
            code="bad_sha256",
        )
    existing = BidUpload.objects.filter(
        organisation_id=principal.organisation_id, idempotency_key=idempotency_key
    ).first()
    if existing is not None:
        return _same_upload(existing, tender_id=tender_id, lot_id=lot_id, size=size, sha256=sha256)
    arrived = clock.now()
    tender = _open_tender(tender_id, lot_id)
    assert tender.bid_deadline is not None
    if arrived >= tender.bid_deadline:
        raise _late(tender.bid_deadline, arrived)
    limit = max_bytes(tender_id)
    if size <= 0 or size > limit:
        raise TooLarge(_text(messages.TOO_LARGE, size=size, limit=limit), code="bid_too_large")
    duplicate = Bid.objects.filter(
        tender_id=tender_id,
        lot_id=lot_id,
        organisation_id=principal.organisation_id,
        status=states.SUBMITTED,
        envelope_sha256=sha256,
    ).first()
    if duplicate is not None:
        raise Conflict(
            _text(messages.DUPLICATE, bid=duplicate.pk),
            code="duplicate_bid",
            details=[{"bid_id": duplicate.pk}],
        )
    try:
        with transaction.atomic():
            upload = BidUpload.objects.create(
                tender_id=tender_id,
                lot_id=lot_id,
                organisation_id=principal.organisation_id,
                user_id=principal.user_id,
                token_certificate=token_certificate,
                idempotency_key=idempotency_key,
                size=size,
                sha256=sha256,
                chunk_size=chunk_size(),
                created_at=arrived,
                updated_at=arrived,
            )
    except IntegrityError:  # the same key, concurrently
        existing = BidUpload.objects.get(
            organisation_id=principal.organisation_id, idempotency_key=idempotency_key
        )
        return _same_upload(existing, tender_id=tender_id, lot_id=lot_id, size=size, sha256=sha256)
    _remember_upload(upload)
    return UploadState(upload)


def _same_upload(upload: BidUpload, *, tender_id: int, lot_id: int, size: int, sha256: str) -> UploadState:
    if (upload.tender_id, upload.lot_id, upload.size, upload.sha256) != (tender_id, lot_id, size, sha256):
        raise Conflict(messages.IDEMPOTENCY_REUSED, code="idempotency_key_reused")
    return _resume(upload)


def _resume(upload: BidUpload) -> UploadState:
    """The upload's state; one that crashed while verifying is verified now (its stamp stands);
    one whose acknowledged bytes did not all reach the disk resumes from those that did."""
    if upload.status == states.VERIFYING:
        return _finalise(upload.pk)
    if upload.status == states.RECEIVING and upload.received:
        held = files.staged_size(upload.staging_id)
        if held < upload.received:
            _rewind(upload, held)
    return UploadState(upload, upload.bid)


def _own_upload(principal: Principal, upload_id: UUID | str) -> BidUpload:
    try:
        public_id = UUID(str(upload_id))
    except ValueError:
        raise NotFound() from None
    upload = BidUpload.objects.select_related("bid").filter(public_id=public_id).first()
    if upload is None or upload.organisation_id != principal.organisation_id or principal.is_guest:
        raise NotFound()
    return upload


def upload_state(*, principal: Principal, upload_id: UUID | str) -> UploadState:
    """Where an upload stands (``received`` is where to resume); the bidder's own only."""
    policy.require(principal, "view")
    return _resume(_own_upload(principal, upload_id))


# --- chunks ---------------------------------------------------------------------------------------


def receive_chunk(
    *,
    principal: Principal,
    upload_id: UUID | str,
    offset: int,
    data: bytes,
    arrived: datetime | None = None,
) -> UploadState:
    """Append one chunk at ``offset``. The chunk that completes the file is the bid's arrival.

    ``arrived``: when the chunk's last byte reached the server (the chunk endpoint reads the
    domain clock as the body completes, before waiting for a database connection); default now.

    Hot path (hundreds of chunks a second at a deadline): the next chunk of an upload this
    process has seen takes one conditional update (which locks the row), one read of the
    deadline and the write (``_append_next``); anything else (the first chunk here, a chunk sent
    again, a wrong offset, a late chunk, an error) takes the general path: one locked read of the
    upload, one read of the deadline, the write, one update."""
    arrived = arrived or clock.now()
    _require_bidder(principal)
    try:
        public_id = UUID(str(upload_id))
    except ValueError:
        raise NotFound() from None
    facts = _uploads_seen.get(public_id)
    if facts is not None and facts.organisation_id == principal.organisation_id:
        state = _append_next(facts, offset=offset, data=data, arrived=arrived)
        if state is not None:
            return state
    late_at: datetime | None = None
    try:
        with transaction.atomic():
            locked = BidUpload.objects.select_for_update().filter(public_id=public_id).first()
            if locked is None or locked.organisation_id != principal.organisation_id:
                raise NotFound()
            if locked.status == states.RECEIVING:
                deadline = projects.bid_deadline_of(locked.tender_id)
                if deadline is not None and arrived >= deadline:
                    late_at = deadline
                else:
                    _append(locked, offset=offset, data=data, arrived=arrived)
    except files.StagedShort as short:
        assert locked is not None  # raised while writing to it
        with transaction.atomic():
            _rewind(locked, short.size)
        raise Conflict(
            _text(messages.WRONG_OFFSET, expected=short.size, offset=offset),
            code="wrong_offset",
            details=[{"received": short.size}],
        ) from None
    if late_at is not None:
        error = _late(late_at, arrived)
        _refuse(locked.pk, "late", error.message, arrived=arrived)
        raise error
    if locked.status == states.REFUSED:
        raise Conflict(
            _text(messages.UPLOAD_REFUSED, reason=str(Text(zh=locked.refusal_zh, en=locked.refusal_en))),
            code=locked.refusal_code or "upload_refused",
        )
    if locked.status == states.VERIFYING:
        return _finalise(locked.pk)
    if locked.status == states.COMPLETE:
        return _resume(locked)
    _remember_upload(locked)
    return UploadState(locked)


# The next chunk of an upload, without reading the upload first. What never changes after an
# upload is declared (its row, tender, organisation, size, chunk size, declared hash...) is kept
# per process from its first chunk on; the conditional update checks the rest (still receiving,
# the chunk starts at the acknowledged offset) and locks the row as ``select_for_update`` does,
# so the write happens under the same lock and the acknowledgement commits after it.


@dataclass(frozen=True)
class _UploadFacts:
    pk: int
    public_id: UUID
    organisation_id: int
    tender_id: int
    size: int
    chunk_size: int
    staging_id: str
    receiving: BidUpload  # a copy of the row while receiving: the answer's fixed fields


_uploads_seen: dict[UUID, _UploadFacts] = {}
_MAX_UPLOADS_SEEN = 10_000


def _remember_upload(upload: BidUpload) -> None:
    if upload.status != states.RECEIVING:
        return
    if len(_uploads_seen) >= _MAX_UPLOADS_SEEN:
        _uploads_seen.clear()
    _uploads_seen[upload.public_id] = _UploadFacts(
        pk=upload.pk,
        public_id=upload.public_id,
        organisation_id=upload.organisation_id,
        tender_id=upload.tender_id,
        size=upload.size,
        chunk_size=upload.chunk_size,
        staging_id=upload.staging_id,
        receiving=copy.copy(upload),
    )


def _next_chunk_sql(*, last: bool) -> str:
    """``UPDATE`` of the upload's row for its next chunk, only while it is receiving at that
    offset (plain SQL: hundreds a second at a deadline, no query building)."""
    quote = connection.ops.quote_name
    meta = BidUpload._meta
    columns = {field.name: field.column for field in meta.concrete_fields}

    def column(name: str) -> str:
        return quote(columns[name])

    changed = ["received", "updated_at"] + (["status", "last_chunk_at"] if last else [])
    where = ["id", "public_id", "organisation", "status", "received"]
    return (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{column(n)} = %s' for n in changed)} "  # noqa: S608
        f"WHERE {' AND '.join(f'{column(n)} = %s' for n in where)}"
    )


class _NotNext(Exception):
    """The chunk is not simply the next one (late, or the staged file is short): general path."""


def _append_next(facts: _UploadFacts, *, offset: int, data: bytes, arrived: datetime) -> UploadState | None:
    """The chunk at the acknowledged offset of an upload still receiving, before the deadline,
    as ``_append`` writes it; ``None`` (nothing changed) when it is anything else."""
    size = len(data)
    if not data or size > facts.chunk_size or offset + size > facts.size:
        return None
    last = offset + size == facts.size
    moment = connection.ops.adapt_datetimefield_value(arrived)
    changes: list[Any] = [offset + size, moment] + ([states.VERIFYING, moment] if last else [])
    public_id = BidUpload._meta.get_field("public_id").get_db_prep_value(facts.public_id, connection)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    _next_chunk_sql(last=last),
                    [*changes, facts.pk, public_id, facts.organisation_id, states.RECEIVING, offset],
                )
                updated = cursor.rowcount
            if updated != 1:
                raise _NotNext()
            deadline = projects.bid_deadline_of(facts.tender_id)
            if deadline is not None and arrived >= deadline:
                raise _NotNext()  # rolled back: the general path refuses it as late
            files.stage_chunk(facts.staging_id, offset=offset, data=data, sync=last)
    except (_NotNext, files.StagedShort):
        return None
    if last:
        _uploads_seen.pop(facts.public_id, None)
        return _finalise(facts.pk)
    upload = copy.copy(facts.receiving)
    upload.received, upload.updated_at = offset + size, arrived
    return UploadState(upload)


def chunk_too_large(*, limit: int, size: int) -> TooLarge:
    return TooLarge(_text(messages.CHUNK_TOO_LARGE, limit=limit, size=size), code="chunk_too_large")


def _append(locked: BidUpload, *, offset: int, data: bytes, arrived: datetime) -> None:
    """Inside the upload's lock: check the chunk, write it at the acknowledged offset, count it;
    the chunk that completes the file moves the upload to ``verifying`` with its arrival time."""
    if offset < locked.received and offset + len(data) <= locked.received:
        return  # a chunk sent again after a lost answer
    if not data:
        raise InvalidInput(messages.EMPTY_CHUNK, code="empty_chunk")
    if len(data) > locked.chunk_size:
        raise chunk_too_large(limit=locked.chunk_size, size=len(data))
    if offset != locked.received:
        raise Conflict(
            _text(messages.WRONG_OFFSET, expected=locked.received, offset=offset),
            code="wrong_offset",
            details=[{"received": locked.received}],
        )
    if offset + len(data) > locked.size:
        raise InvalidInput(_text(messages.CHUNK_BEYOND_END, size=locked.size), code="chunk_beyond_end")
    last = offset + len(data) == locked.size
    locked.received = files.stage_chunk(locked.staging_id, offset=offset, data=data, sync=last)
    locked.updated_at = arrived
    update = ["received", "updated_at"]
    if last:
        # The last chunk: the bid's arrival, committed before the slow checks; the whole file
        # is on disk (synced above) before the status says so.
        locked.status = states.VERIFYING
        locked.last_chunk_at = arrived
        update += ["status", "last_chunk_at"]
    locked.save(update_fields=update)


def _rewind(locked: BidUpload, size: int) -> None:
    """Acknowledged bytes that never reached the disk (a power failure): resume from ``size``."""
    logger.warning(
        "Upload %s: staged file holds %d of %d acknowledged bytes; rewound",
        locked.public_id,
        size,
        locked.received,
    )
    BidUpload.objects.filter(pk=locked.pk, received=locked.received).update(received=size)
    locked.received = size


# --- finalising -----------------------------------------------------------------------------------


def _refuse(upload_pk: int, code: str, message: Text, *, arrived: datetime | None = None) -> BidUpload:
    """Mark the upload refused (once), record why in the ledger, drop the staged bytes."""
    with transaction.atomic():
        upload = BidUpload.objects.select_for_update().get(pk=upload_pk)
        if upload.status in (states.REFUSED, states.COMPLETE):
            return upload
        moment = arrived or clock.now()
        upload.status = states.REFUSED
        upload.refusal_code = code
        upload.refusal_zh = _render(message, "zh-hans")
        upload.refusal_en = _render(message, "en")
        upload.updated_at = moment
        upload.save(update_fields=["status", "refusal_code", "refusal_zh", "refusal_en", "updated_at"])
        ledger.record(
            action=evidence.REFUSED,
            actor=evidence.actor_of(_principal_of(upload)),
            subject=evidence.upload_subject(upload),
            data={
                "upload": str(upload.public_id),
                "tender_id": upload.tender_id,
                "lot_id": upload.lot_id,
                "declared_sha256": upload.sha256,
                "size": upload.size,
                "received": upload.received,
                "code": code,
                "reason": upload.refusal_en,
                "at": receipts.rfc3339(moment),
            },
            visibility=evidence.secret_until_opening(
                tender_id=upload.tender_id, organisation_id=upload.organisation_id
            ),
        )
    transaction.on_commit(lambda: files.discard_staged(upload.staging_id))
    return upload


def _render(message: Any, language: str) -> str:
    if isinstance(message, Text):
        return message.render(language)
    from django.utils import translation

    with translation.override(language):
        return str(message)


def _principal_of(upload: BidUpload) -> Principal:
    return Principal(
        user_id=upload.user_id, organisation_id=upload.organisation_id, roles=frozenset({"bidder"})
    )


def _refused_error(upload: BidUpload) -> BidRefused:
    return BidRefused(
        Text(zh=upload.refusal_zh, en=upload.refusal_en),
        code=upload.refusal_code or "bid_refused",
    )


def _check_envelope(upload: BidUpload) -> tuple[envelope.Header, CertificateCheck]:
    """The envelope's header and the signing certificate's check, or a refusal (code, Text).
    The staged bytes are read once: the envelope's checks and the file's SHA-256 together."""
    try:
        with files.open_staged(upload.staging_id) as stream:
            reader = HashingReader(stream)
            try:
                header = envelope.verify_envelope(reader)  # type: ignore[arg-type]
            finally:
                reader.drain()
    except envelope.EnvelopeError as exc:
        raise _Refusal(exc.code, messages.envelope_refusal(exc.code, str(exc))) from None
    if reader.digest.hexdigest() != upload.sha256:
        raise _Refusal("declared_hash_mismatch", messages.DECLARED_HASH_MISMATCH)
    if header.tender != str(upload.tender_id) or header.lot != str(upload.lot_id):
        raise _Refusal("wrong_tender", _text(messages.WRONG_TENDER, tender=header.tender, lot=header.lot))
    organisation = identity.get_organisation(upload.organisation_id)
    assert organisation is not None
    if header.bidder != organisation.uscc:
        raise _Refusal("wrong_bidder", _text(messages.WRONG_BIDDER, uscc=header.bidder))
    try:
        check = identity.validate_certificate(
            list(header.signer_chain), usage="signing", at=upload.last_chunk_at
        )
    except identity.CertificateRejected as exc:
        raise _Refusal(f"certificate_{exc.code}", exc.message) from None
    if check.organisation_id != upload.organisation_id:
        raise _Refusal(
            "certificate_other_enterprise",
            _text(messages.CERTIFICATE_OTHER_ENTERPRISE, name=check.organisation_name),
        )
    return header, check


class _Refusal(Exception):
    def __init__(self, code: str, message: Text) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def _finalise(upload_pk: int) -> UploadState:
    upload = BidUpload.objects.get(pk=upload_pk)
    if upload.status != states.VERIFYING:
        if upload.status == states.REFUSED:
            raise _refused_error(upload)
        return UploadState(upload, upload.bid)
    try:
        header, check = _check_envelope(upload)
    except _Refusal as refusal:
        refused = _refuse(upload.pk, refusal.code, refusal.message, arrived=upload.last_chunk_at)
        raise _refused_error(refused) from None
    principal = _principal_of(upload)
    document = files.store_staged(
        upload.staging_id,
        principal=principal,
        name=f"bid-{upload.public_id.hex}.sealed",
        purpose=messages.SEALED_BID_PURPOSE.code,
        sha256=upload.sha256,  # checked while the envelope was verified
        max_bytes=max(upload.size, 1),
    )
    return _accept(upload.pk, header=header, check=check, document_id=document.id)


def _accept(
    upload_pk: int, *, header: envelope.Header, check: CertificateCheck, document_id: int
) -> UploadState:
    with transaction.atomic():
        upload = BidUpload.objects.select_for_update().get(pk=upload_pk)
        if upload.status != states.VERIFYING:  # finalised by a concurrent request
            return UploadState(upload, upload.bid)
        assert upload.last_chunk_at is not None
        ocid = projects.tender_ocid(upload.tender_id)
        previous = (
            Bid.objects.select_for_update()
            .filter(
                tender_id=upload.tender_id,
                lot_id=upload.lot_id,
                organisation_id=upload.organisation_id,
                status=states.SUBMITTED,
            )
            .first()
        )
        principal = _principal_of(upload)
        actor = evidence.actor_of(principal)
        visibility = evidence.secret_until_opening(
            tender_id=upload.tender_id, organisation_id=upload.organisation_id
        )
        if previous is not None:
            previous.status = states.REPLACED
            previous.save(update_fields=["status"])
            ledger.record_change(
                instance=previous,
                action=evidence.REPLACED,
                actor=actor,
                visibility=visibility,
                data={"replaced_at": receipts.rfc3339(upload.last_chunk_at)},
            )
        bid = Bid.objects.create(
            tender_id=upload.tender_id,
            lot_id=upload.lot_id,
            organisation_id=upload.organisation_id,
            submitted_by_id=upload.user_id,
            bidder_uscc=header.bidder,
            certificate_fingerprint=check.fingerprint,
            certificate_authority=check.authority,
            document_id=document_id,
            size=upload.size,
            envelope_sha256=upload.sha256,
            ciphertext_sha256=str(header.ciphertext_sha256),
            key_commitment=header.key_commitment.hex(),
            header=header.to_json(),
            received_at=upload.last_chunk_at,
            idempotency_key=upload.idempotency_key,
            replaces=previous,
        )
        promise = ledger.record_change(
            instance=bid,
            action=evidence.SUBMITTED,
            actor=actor,
            visibility=visibility,
            data={
                "bid_id": bid.pk,
                "ocid": ocid,
                "received_at": receipts.rfc3339(bid.received_at),
                "certificate": check.fingerprint,
                "authority": check.authority,
                "replaces": previous.pk if previous else None,
                "idempotency_key_sha256": hashlib.sha256(upload.idempotency_key.encode()).hexdigest(),
            },
        )
        payload = {
            "type": receipts.RECEIPT_TYPE,
            "bid_id": bid.pk,
            "tender_id": bid.tender_id,
            "ocid": ocid,
            "lot_id": bid.lot_id,
            "bidder": bid.bidder_uscc,
            "envelope_sha256": bid.envelope_sha256,
            "ciphertext_sha256": bid.ciphertext_sha256,
            "key_commitment": bid.key_commitment,
            "size": bid.size,
            "received_at": receipts.rfc3339(bid.received_at),
            "idempotency_key": upload.idempotency_key,
            "replaces": previous.pk if previous else None,
            "ledger": receipts.promise_json(promise),
        }
        bid.receipt = payload
        bid.receipt_signature = receipts.sign(payload)
        bid.save(update_fields=["receipt", "receipt_signature"])
        BidHistory.objects.create(
            bid=bid,
            action=evidence.SUBMITTED,
            at=bid.received_at,
            user_id=upload.user_id,
            ledger_entry_hash=promise.entry_hash,
        )
        # Known certificates get expiry reminders (identity's chronograph job).
        identity.remember_certificate(check, at=upload.last_chunk_at)
        upload.status = states.COMPLETE
        upload.bid = bid
        upload.updated_at = clock.now()
        upload.save(update_fields=["status", "bid", "updated_at"])
        staging_id = upload.staging_id
        # The staged copy goes only once the bid has committed: a crash before that leaves the
        # bytes for the next request to finish the job with the same stamp.
        transaction.on_commit(lambda: files.discard_staged(staging_id))
        publish(
            events.BidSubmitted(
                tender_id=bid.tender_id,
                lot_id=bid.lot_id,
                bid_id=bid.pk,
                organisation_id=bid.organisation_id,
                replaces=previous.pk if previous else None,
            )
        )
    return UploadState(upload, bid)


# --- withdrawal -----------------------------------------------------------------------------------


def withdraw_bid(*, principal: Principal, bid_id: int, reason: str = "") -> Bid:
    """Withdraw (撤回) a bid before the deadline; recorded (the deposit refund follows, T16)."""
    _require_bidder(principal)
    moment = clock.now()
    with transaction.atomic():
        bid = Bid.objects.select_for_update().filter(pk=bid_id).first()
        if bid is None or bid.organisation_id != principal.organisation_id:
            raise NotFound()
        policy.require(principal, "withdraw", bid)
        if bid.status != states.SUBMITTED:
            raise Conflict(
                _text(messages.NOT_WITHDRAWABLE, status=bid.get_status_display()), code="not_withdrawable"
            )
        tender = projects.tender_summary(bid.tender_id)
        if tender.bid_deadline is None or moment >= tender.bid_deadline:
            raise Conflict(messages.AFTER_DEADLINE_WITHDRAW, code="after_deadline")
        bid.status = states.WITHDRAWN
        bid.withdrawn_at = moment
        bid.withdraw_reason = reason.strip()[:2000]
        bid.save(update_fields=["status", "withdrawn_at", "withdraw_reason"])
        promise = ledger.record_change(
            instance=bid,
            action=evidence.WITHDRAWN,
            actor=evidence.actor_of(principal),
            visibility=evidence.secret_until_opening(
                tender_id=bid.tender_id, organisation_id=bid.organisation_id
            ),
            data={"withdrawn_at": receipts.rfc3339(moment), "reason": bid.withdraw_reason},
        )
        BidHistory.objects.create(
            bid=bid,
            action=evidence.WITHDRAWN,
            at=moment,
            user_id=principal.user_id,
            note=bid.withdraw_reason,
            ledger_entry_hash=promise.entry_hash,
        )
        publish(
            events.BidWithdrawn(
                tender_id=bid.tender_id, lot_id=bid.lot_id, bid_id=bid.pk, organisation_id=bid.organisation_id
            )
        )
    return bid
