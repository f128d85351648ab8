"""The draws context's only door for other contexts (documented in docs/draws.md).

Draws anyone can recompute (浮动系数抽取, 专家抽取): commit before, fix a beacon after, draw,
reveal. Functions return frozen dataclasses from ``contracts``; the secret never leaves this
context before the draw is performed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from yingshang.draws import rules, selectors, services, states
from yingshang.draws.contracts import DrawSummary, PublicDrawRecord
from yingshang.draws.models import Draw
from yingshang.draws.verification import PublishedDraw, verify_published
from yingshang.kernel.draws import DrawMismatch, VerifiedDraw, verify
from yingshang.kernel.errors import NotFound
from yingshang.kernel.text import Text
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Subject, Visibility

__all__ = [
    "DrawMismatch",
    "DrawSummary",
    "PublicDrawRecord",
    "PublishedDraw",
    "VerifiedDraw",
    "contribute",
    "draw_summary",
    "perform_draw",
    "perform_due_draws",
    "prepare_draw",
    "public_record",
    "verify",
    "verify_published",
]


def _summary(draw: Draw) -> DrawSummary:
    return DrawSummary(
        public_id=str(draw.public_id),
        purpose=draw.purpose,
        subject=Subject(draw.subject_context, draw.subject_type, draw.subject_id),
        status=draw.status,
        k=draw.k,
        eligible_count=len(draw.eligible),
        eligible_digest=draw.eligible_digest,
        commitment=draw.commitment,
        commitment_entry_hash=draw.commitment_entry_hash,
        contributions=len(draw.contributions),
        prepared_at=draw.prepared_at,
        beacon_size=draw.beacon_size,
        result=tuple(draw.result) if draw.result is not None else None,
        performed_at=draw.performed_at,
    )


def prepare_draw(
    *,
    actor: Actor,
    purpose: str,
    subject: Subject,
    eligible: Sequence[str],
    k: int,
    parameters: Mapping[str, Any],
    visibility: Visibility,
) -> DrawSummary:
    """Commit to drawing ``k`` of ``eligible`` (order matters) for ``purpose`` about ``subject``;
    records ``draws.draw.committed`` with ``visibility``. Call it inside or outside a transaction."""
    return _summary(
        services.prepare_draw(
            actor=actor,
            purpose=purpose,
            subject=subject,
            eligible=eligible,
            k=k,
            parameters=parameters,
            visibility=visibility,
        )
    )


def contribute(*, draw_id: str | UUID, actor: Actor, value: str) -> DrawSummary:
    """A participant's value for the seed; ``Conflict`` (code ``beacon_fixed``) once the beacon exists."""
    return _summary(services.contribute(draw_id=draw_id, actor=actor, value=value))


def perform_draw(*, draw_id: str | UUID) -> DrawSummary | None:
    """Draw and reveal once the beacon exists (None before); idempotent."""
    draw = services.perform_draw(draw_id=draw_id)
    return _summary(draw) if draw is not None else None


def perform_due_draws(*, now: datetime | None = None) -> int:
    """Perform every prepared draw whose beacon exists; how many were performed."""
    return services.perform_due_draws(now=now)


def _found(draw_id: str | UUID) -> Draw:
    draw = selectors.draw(draw_id)
    if draw is None:
        raise NotFound(Text(zh="没有这次抽取。", en="There is no such draw."), code="draw_not_found")
    return draw


def draw_summary(draw_id: str | UUID) -> DrawSummary:
    """The draw's summary; ``NotFound`` (``draw_not_found``) for an unknown id."""
    return _summary(_found(draw_id))


def public_record(draw_id: str | UUID) -> PublicDrawRecord:
    """The published record (format ``yingshang-draw/1``): before the draw only the commitment,
    eligible digest and parameters; once performed everything needed to verify it offline."""
    draw = _found(draw_id)
    return PublicDrawRecord(
        public_id=str(draw.public_id),
        performed=draw.status == states.PERFORMED,
        data=rules.public_record(draw, origin=ledger.origin()),
    )
