"""Every write of the draws context; one transaction each, its ledger entry in the same one.

1. ``prepare_draw``: a fresh 32-byte secret (``secrets.token_bytes``), the eligible digest and
   the commitment (``yingshang.kernel.draws``); the row and ``draws.draw.committed`` (commitment,
   eligible digest and count, parameters) commit together. The secret stays in the row only.
2. ``contribute``: a participant's value, refused once the beacon exists (the first signed
   checkpoint that includes the commitment entry); recorded as ``draws.draw.contributed``.
3. ``perform_draw``: once the beacon exists, the seed (secret, beacon root, the contributions
   whose entries are inside the beacon's tree, in ledger order) draws the result; the row
   becomes ``performed`` and ``draws.draw.performed`` reveals the secret, beacon, contributions
   and result. Idempotent: a performed draw is returned as it is; None before the beacon.

Who may prepare a draw or contribute is the calling context's decision (the opening hall lets a
supervisor contribute, say): these services take the ledger ``Actor`` it has already checked.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction

from yingshang.draws import evidence, rules, selectors, states
from yingshang.draws.models import Draw
from yingshang.kernel import clock, draws
from yingshang.kernel.errors import Conflict, InvalidInput, NotFound
from yingshang.kernel.text import Text
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Subject, Visibility

logger = logging.getLogger(__name__)

SECRET_BYTES = 32
PURPOSE = re.compile(r"[a-z][a-z0-9_.]{0,63}")


def _invalid(zh: str, en: str, field: str) -> InvalidInput:
    return InvalidInput(Text(zh=zh, en=en), details=[{"field": field}])


def _check_eligible(eligible: Sequence[str], k: int) -> list[str]:
    if isinstance(eligible, (str, bytes)) or not isinstance(eligible, Sequence):
        raise _invalid(
            "候选名单必须是字符串列表。", "The eligible list must be a list of strings.", "eligible"
        )
    items = list(eligible)
    if not items or len(items) > rules.MAX_ELIGIBLE:
        raise _invalid(
            "候选名单不能为空，且不超过 100000 项。",
            "The eligible list must have 1 to 100000 items.",
            "eligible",
        )
    if any(not isinstance(item, str) or not item or len(item) > rules.MAX_ITEM_CHARS for item in items):
        raise _invalid(
            "候选名单的每一项必须是 1 至 200 个字符的字符串。",
            "Each eligible item must be a string of 1 to 200 characters.",
            "eligible",
        )
    if len(set(items)) != len(items):
        raise _invalid("候选名单有重复项。", "The eligible list has duplicates.", "eligible")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(items):
        raise _invalid(
            "抽取数量必须在 1 与候选名单长度之间。",
            "The number to draw must be between 1 and the length of the eligible list.",
            "k",
        )
    return items


def prepare_draw(
    *,
    actor: Actor,
    purpose: str,
    subject: Subject,
    eligible: Sequence[str],
    k: int,
    parameters: Mapping[str, Any],
    visibility: Visibility,
) -> Draw:
    """Commit to a draw: ``k`` of ``eligible`` (ordered; the order is committed) for ``purpose``
    about ``subject``. ``InvalidInput`` (field named in ``details``) for a bad purpose, list, k
    or parameters (floats and the reserved keys ``k``, ``subject`` are refused)."""
    if not isinstance(purpose, str) or not PURPOSE.fullmatch(purpose):
        raise _invalid(
            "抽取用途代码无效（小写字母、数字、下划线）。",
            "The draw purpose must be a code of lower-case letters, digits and underscores.",
            "purpose",
        )
    items = _check_eligible(eligible, k)
    try:
        committed = rules.committed_parameters(parameters=parameters, k=k, subject=subject)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            Text(zh=f"抽取参数无效：{exc}", en=f"The draw parameters are not valid: {exc}"),
            details=[{"field": "parameters"}],
        ) from None
    secret = secrets.token_bytes(SECRET_BYTES)
    digest = draws.eligible_digest(items)
    committed_to = draws.commitment(secret, purpose=purpose, eligible=digest, parameters=committed)
    now = clock.now()
    with transaction.atomic():
        draw = Draw(
            purpose=purpose,
            subject_context=subject.context,
            subject_type=subject.type,
            subject_id=str(subject.id),
            parameters=committed,
            eligible=items,
            eligible_digest=digest,
            k=k,
            commitment=committed_to,
            secret=secret,
            visibility=visibility.as_json(),
            prepared_at=now,
            status=states.PREPARED,
        )
        promise = ledger.record(
            action=evidence.COMMITTED,
            actor=actor,
            subject=subject,
            data={
                "draw": str(draw.public_id),
                "purpose": purpose,
                "commitment": committed_to,
                "eligible_digest": digest,
                "eligible_count": len(items),
                "parameters": committed,
            },
            visibility=visibility,
        )
        draw.commitment_entry_hash = promise.entry_hash
        draw.save()
    return draw


def _locked(draw_id: str | UUID) -> Draw:
    public_id = selectors.parse_id(draw_id)
    draw = None if public_id is None else Draw.objects.select_for_update().filter(public_id=public_id).first()
    if draw is None:
        raise NotFound(Text(zh="没有这次抽取。", en="There is no such draw."), code="draw_not_found")
    return draw


def _subject(draw: Draw) -> Subject:
    return Subject(draw.subject_context, draw.subject_type, draw.subject_id)


def contribute(*, draw_id: str | UUID, actor: Actor, value: str) -> Draw:
    """Add a participant's value to the seed. ``Conflict`` (``beacon_fixed``) once the beacon
    exists or the draw is performed; ``InvalidInput`` for an empty or over-long value.

    A contribution whose ledger entry lands after the beacon's checkpoint (possible on
    PostgreSQL when it commits while the sequencer signs) is kept but not used: the draw takes
    only contributions inside the beacon's tree (docs/draws.md)."""
    if not isinstance(value, str) or not value.strip() or len(value) > rules.MAX_CONTRIBUTION_CHARS:
        raise _invalid(
            "随机贡献值必须是 1 至 200 个字符。",
            "A contribution must be 1 to 200 characters.",
            "value",
        )
    with transaction.atomic():
        draw = _locked(draw_id)
        if draw.status != states.PREPARED or ledger.beacon_for(draw.commitment_entry_hash) is not None:
            raise Conflict(
                Text(
                    zh="信标已确定（承诺已进入签名检查点），不再接受随机贡献值。",
                    en="The beacon is fixed (the commitment is in a signed checkpoint): "
                    "no more contributions.",
                ),
                code="beacon_fixed",
            )
        promise = ledger.record(
            action=evidence.CONTRIBUTED,
            actor=actor,
            subject=_subject(draw),
            data={"draw": str(draw.public_id), "value": value, "position": len(draw.contributions)},
            visibility=evidence.visibility_from_json(draw.visibility),
        )
        draw.contributions = [
            *draw.contributions,
            {"value": value, "entry_hash": promise.entry_hash, "actor": actor.as_json()},
        ]
        draw.save(update_fields=["contributions"])
    return draw


def perform_draw(*, draw_id: str | UUID) -> Draw | None:
    """Draw and reveal, once the beacon exists; None before. A performed draw is returned unchanged."""
    with transaction.atomic():
        draw = _locked(draw_id)
        if draw.status == states.PERFORMED:
            return draw
        beacon = ledger.beacon_for(draw.commitment_entry_hash)
        if beacon is None:
            return None
        indexes = ledger.indexes_of(c["entry_hash"] for c in draw.contributions)
        contributions = []
        for item in draw.contributions:
            index = indexes.get(item["entry_hash"])
            used = index is not None and beacon.entry_index < index < beacon.size
            contributions.append({**item, "index": index, "used": used})
        used_values = [
            c["value"] for c in sorted((c for c in contributions if c["used"]), key=lambda c: c["index"])
        ]
        # keep them in ledger order, the order the seed takes them in
        contributions.sort(key=lambda c: (c["index"] is None, c["index"] or 0))
        drawn_seed = draws.seed(
            secret=bytes(draw.secret),
            beacon=beacon.root,
            contributions=[v.encode("utf-8") for v in used_values],
        )
        result = draws.sample(drawn_seed, draw.eligible, draw.k)
        draw.contributions = contributions
        draw.beacon_size = beacon.size
        draw.beacon_root = beacon.root.hex()
        draw.beacon_note = beacon.note
        draw.beacon_verifier_key = beacon.verifier_key
        draw.commitment_entry_index = beacon.entry_index
        draw.commitment_proof = rules.b64(beacon.proof)
        draw.result = result
        draw.status = states.PERFORMED
        draw.performed_at = clock.now()
        draw.save()
        ledger.record(
            action=evidence.PERFORMED,
            actor=Actor.system("draws"),
            subject=_subject(draw),
            data={
                "draw": str(draw.public_id),
                "commitment": draw.commitment,
                "secret": bytes(draw.secret).hex(),
                "beacon": {"size": beacon.size, "root": beacon.root.hex()},
                "contributions": [
                    {"value": c["value"], "entry_hash": c["entry_hash"], "index": c["index"]}
                    for c in contributions
                    if c["used"]
                ],
                "seed": drawn_seed.hex(),
                "result": result,
            },
            visibility=evidence.visibility_from_json(draw.visibility),
        )
    return draw


def perform_due_draws(*, now: datetime | None = None) -> int:
    """Perform every prepared draw whose beacon exists (the chronograph's job); returns how many
    were performed. One draw's failure is logged and does not stop the others."""
    performed = 0
    for public_id in selectors.prepared_ids():
        try:
            if perform_draw(draw_id=public_id) is not None:
                performed += 1
        except Exception:
            logger.exception("draws: performing draw %s failed", public_id)
    return performed
