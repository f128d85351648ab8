"""Reads of the draws context."""

from __future__ import annotations

from uuid import UUID

from yingshang.draws import states
from yingshang.draws.models import Draw


def parse_id(draw_id: str | UUID) -> UUID | None:
    if isinstance(draw_id, UUID):
        return draw_id
    try:
        return UUID(str(draw_id))
    except ValueError:
        return None


def draw(draw_id: str | UUID) -> Draw | None:
    public_id = parse_id(draw_id)
    if public_id is None:
        return None
    return Draw.objects.filter(public_id=public_id).first()


def prepared_ids(limit: int = 500) -> list[UUID]:
    """Public ids of draws still waiting for their beacon, oldest first."""
    return list(
        Draw.objects.filter(status=states.PREPARED)
        .order_by("prepared_at", "id")
        .values_list("public_id", flat=True)[:limit]
    )
