"""Abnormally high or low scores (畸高畸低). Pure: no Django.

For each bid and each item the members score by hand, and for each bid's total of those items
(``"total"``), the committee mean is the plain mean of every member's value. A member's value
deviates by |value - mean| / mean x 100 percent; above the threshold (default 30, setting
``EVALUATION_ANOMALY_PERCENT``) it is an anomaly that needs the member's written explanation.
A mean of 0 means every value is 0 (scores are never negative): no anomaly. Exactly at the
threshold is not an anomaly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["DEFAULT_PERCENT", "Anomaly", "find"]

DEFAULT_PERCENT = Decimal(30)


@dataclass(frozen=True)
class Anomaly:
    member: str
    bid_id: int
    item: str  # item code or "total"
    value: Decimal
    mean: Decimal  # the committee mean (unrounded values' mean, rounded to two decimals)
    deviation_percent: Decimal  # signed: positive = above the mean

    @property
    def key(self) -> str:
        return f"{self.bid_id}:{self.item}"


def find(
    scores: Mapping[tuple[str, int, str], Decimal],
    *,
    percent: Decimal = DEFAULT_PERCENT,
    items: Iterable[str] | None = None,
) -> tuple[Anomaly, ...]:
    """``scores``: (member, bid id, item) -> value for the hand-scored items. Totals per member
    and bid are added here. Returns the anomalies ordered by bid, item, member."""
    wanted = set(items) if items is not None else None
    table: dict[tuple[int, str], dict[str, Decimal]] = {}
    for (member, bid_id, item), value in scores.items():
        if item == "total" or (wanted is not None and item not in wanted):
            continue
        table.setdefault((bid_id, item), {})[member] = value
        totals = table.setdefault((bid_id, "total"), {})
        totals[member] = totals.get(member, Decimal(0)) + value
    out: list[Anomaly] = []
    for (bid_id, item), values in sorted(
        table.items(), key=lambda kv: (kv[0][0], kv[0][1] == "total", kv[0][1])
    ):
        if len(values) < 2:
            continue
        average = sum(values.values(), Decimal(0)) / Decimal(len(values))
        if average == 0:
            continue
        for member, value in sorted(values.items()):
            deviation = (value - average) / average * 100
            if abs(deviation) > percent:
                out.append(
                    Anomaly(
                        member,
                        bid_id,
                        item,
                        value,
                        average.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                        deviation.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
                    )
                )
    return tuple(out)
