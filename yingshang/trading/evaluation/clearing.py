"""Bill-of-quantities clearing (电子清标). Pure: no Django.

A bid whose package carries a file named ``boq.json`` (anywhere in the package; format
``yingshang-boq/1``) is cleared against the opening price and, where the evaluation was started
with one, the control price's bill of quantities (same format)::

    {"format": "yingshang-boq/1",
     "items": [{"code": "010101001", "name": "平整场地", "unit": "m2",
                "quantity": "1200.50", "unit_price_fen": 350, "total_fen": 420175}],
     "total_fen": 420175}

``quantity`` is a decimal string (or an integer); amounts are integer fen. Findings:

- ``arithmetic``: ``round(quantity x unit_price_fen)`` (ROUND_HALF_UP to fen) differs from the
  item's ``total_fen``;
- ``sum``: the items' totals do not add up to ``total_fen``;
- ``price_mismatch``: ``total_fen`` differs from the price read at the opening;
- ``quantity_changed``: the quantity differs from the control BoQ's for the same code;
- ``missing_item`` / ``extra_item``: a control item is missing, or an item is not in the control BoQ;
- ``unit_price_deviation``: the unit price deviates from the control's by more than the threshold
  (percent, default 20);
- ``identical_error`` (a collusion sign): two or more bidders have the same arithmetic error
  (same code, quantity, unit price and wrong total) or the same changed quantity for the same code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from yingshang.kernel.text import Text

__all__ = ["FORMAT", "BoQ", "BoQError", "BoQItem", "Finding", "clear", "parse_boq"]

FORMAT = "yingshang-boq/1"
FILE_NAME = "boq.json"


class BoQError(ValueError):
    def __init__(self, text: Text) -> None:
        super().__init__(text.render("en"))
        self.text = text
        self.code = "bad_boq"


@dataclass(frozen=True)
class BoQItem:
    code: str
    name: str
    unit: str
    quantity: Decimal
    unit_price_fen: int
    total_fen: int


@dataclass(frozen=True)
class BoQ:
    items: tuple[BoQItem, ...]
    total_fen: int

    def item(self, code: str) -> BoQItem | None:
        return next((i for i in self.items if i.code == code), None)


@dataclass(frozen=True)
class Finding:
    bid_id: int
    kind: str
    item: str  # the item code, or "" for the whole bill
    detail: Text

    def as_json(self) -> dict[str, Any]:
        return {"bid_id": self.bid_id, "kind": self.kind, "item": self.item, **self.detail.as_dict()}


def _bad(zh: str, en: str, **params: Any) -> BoQError:
    return BoQError(
        Text(zh="工程量清单格式有误：" + zh, en="The bill of quantities is not valid: " + en, params=params)
    )


def _fen(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad("%(where)s 须为整数（分）。", "%(where)s must be an integer (fen).", where=where)
    return value


def parse_boq(data: Any) -> BoQ:
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise _bad("format 须为 %(f)s。", "“format” must be %(f)s.", f=FORMAT)
    raw = data.get("items")
    if not isinstance(raw, list) or not raw:
        raise _bad("items 须为非空列表。", "“items” must be a non-empty list.")
    items: list[BoQItem] = []
    seen: set[str] = set()
    for n, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            raise _bad("items[%(n)s] 须为对象。", "items[%(n)s] must be an object.", n=n)
        code = entry.get("code")
        if not isinstance(code, str) or not code or code in seen:
            raise _bad("items[%(n)s] 的编码缺失或重复。", "items[%(n)s]: code missing or repeated.", n=n)
        seen.add(code)
        quantity_raw = entry.get("quantity")
        if isinstance(quantity_raw, (bool, float)):
            raise _bad(
                "%(code)s 的工程量须为小数字符串。", "%(code)s: quantity must be a decimal string.", code=code
            )
        try:
            quantity = Decimal(str(quantity_raw))
        except (InvalidOperation, ValueError):
            raise _bad(
                "%(code)s 的工程量不是数字。", "%(code)s: quantity is not a number.", code=code
            ) from None
        if not quantity.is_finite():
            raise _bad("%(code)s 的工程量不是数字。", "%(code)s: quantity is not a number.", code=code)
        items.append(
            BoQItem(
                code=code,
                name=str(entry.get("name", "")),
                unit=str(entry.get("unit", "")),
                quantity=quantity,
                unit_price_fen=_fen(entry.get("unit_price_fen"), f"{code}.unit_price_fen"),
                total_fen=_fen(entry.get("total_fen"), f"{code}.total_fen"),
            )
        )
    return BoQ(tuple(items), _fen(data.get("total_fen"), "total_fen"))


def _t(zh: str, en: str, **params: Any) -> Text:
    return Text(zh=zh, en=en, params=params)


def line_total(item: BoQItem) -> int:
    return int((item.quantity * item.unit_price_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def clear(
    bills: Mapping[int, BoQ],
    prices: Mapping[int, int | None],
    control: BoQ | None = None,
    *,
    deviation_percent: Decimal = Decimal(20),
) -> tuple[Finding, ...]:
    """The findings for each bid's bill (``bills``: bid id -> BoQ), in bid and item order."""
    findings: list[Finding] = []
    arithmetic_keys: dict[tuple[str, Decimal, int, int], list[int]] = {}
    quantity_keys: dict[tuple[str, Decimal], list[int]] = {}
    for bid_id in sorted(bills):
        bill = bills[bid_id]
        for item in bill.items:
            expected = line_total(item)
            if expected != item.total_fen:
                findings.append(
                    Finding(
                        bid_id,
                        "arithmetic",
                        item.code,
                        _t(
                            "%(code)s：工程量 %(q)s × 单价 %(p)s 分 = %(e)s 分，清单合价为 %(t)s 分。",
                            "%(code)s: quantity %(q)s x unit price %(p)s fen = %(e)s fen; the bill says %(t)s fen.",
                            code=item.code,
                            q=item.quantity,
                            p=item.unit_price_fen,
                            e=expected,
                            t=item.total_fen,
                        ),
                    )
                )
                arithmetic_keys.setdefault(
                    (item.code, item.quantity, item.unit_price_fen, item.total_fen), []
                ).append(bid_id)
            if control is not None:
                reference = control.item(item.code)
                if reference is None:
                    findings.append(
                        Finding(
                            bid_id,
                            "extra_item",
                            item.code,
                            _t(
                                "%(code)s 不在控制价清单中。",
                                "%(code)s is not in the control bill.",
                                code=item.code,
                            ),
                        )
                    )
                    continue
                if item.quantity != reference.quantity:
                    findings.append(
                        Finding(
                            bid_id,
                            "quantity_changed",
                            item.code,
                            _t(
                                "%(code)s：工程量 %(q)s 与招标清单 %(r)s 不一致。",
                                "%(code)s: quantity %(q)s differs from the tendered %(r)s.",
                                code=item.code,
                                q=item.quantity,
                                r=reference.quantity,
                            ),
                        )
                    )
                    quantity_keys.setdefault((item.code, item.quantity), []).append(bid_id)
                if reference.unit_price_fen > 0:
                    deviation = (
                        Decimal(item.unit_price_fen - reference.unit_price_fen)
                        / Decimal(reference.unit_price_fen)
                        * 100
                    )
                    if abs(deviation) > deviation_percent:
                        findings.append(
                            Finding(
                                bid_id,
                                "unit_price_deviation",
                                item.code,
                                _t(
                                    "%(code)s：单价 %(p)s 分偏离控制价单价 %(r)s 分 %(d)s%%（阈值 %(th)s%%）。",
                                    "%(code)s: unit price %(p)s fen deviates %(d)s%% from the control's %(r)s fen"
                                    " (threshold %(th)s%%).",
                                    code=item.code,
                                    p=item.unit_price_fen,
                                    r=reference.unit_price_fen,
                                    d=deviation.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
                                    th=deviation_percent,
                                ),
                            )
                        )
        if control is not None:
            for reference in control.items:
                if bill.item(reference.code) is None:
                    findings.append(
                        Finding(
                            bid_id,
                            "missing_item",
                            reference.code,
                            _t("缺少清单项 %(code)s。", "Item %(code)s is missing.", code=reference.code),
                        )
                    )
        items_sum = sum(i.total_fen for i in bill.items)
        if items_sum != bill.total_fen:
            findings.append(
                Finding(
                    bid_id,
                    "sum",
                    "",
                    _t(
                        "各项合价之和 %(s)s 分与清单总价 %(t)s 分不符。",
                        "The items add up to %(s)s fen; the bill's total is %(t)s fen.",
                        s=items_sum,
                        t=bill.total_fen,
                    ),
                )
            )
        price = prices.get(bid_id)
        if price is not None and price != bill.total_fen:
            findings.append(
                Finding(
                    bid_id,
                    "price_mismatch",
                    "",
                    _t(
                        "清单总价 %(t)s 分与开标报价 %(p)s 分不符。",
                        "The bill's total %(t)s fen differs from the opening price %(p)s fen.",
                        t=bill.total_fen,
                        p=price,
                    ),
                )
            )
    shared: list[tuple[str, list[int], Text]] = []
    for (code, _quantity, _unit_price, total), bid_ids in arithmetic_keys.items():
        if len(bid_ids) > 1:
            shared.append(
                (
                    code,
                    bid_ids,
                    _t(
                        "%(code)s：%(n)s 家投标人有相同的计算错误（合价 %(t)s 分）。",
                        "%(code)s: %(n)s bidders share the same arithmetic error (total %(t)s fen).",
                        code=code,
                        n=len(bid_ids),
                        t=total,
                    ),
                )
            )
    for (code, quantity), bid_ids in quantity_keys.items():
        if len(bid_ids) > 1:
            shared.append(
                (
                    code,
                    bid_ids,
                    _t(
                        "%(code)s：%(n)s 家投标人的工程量同样改为 %(q)s。",
                        "%(code)s: %(n)s bidders changed the quantity to the same %(q)s.",
                        code=code,
                        n=len(bid_ids),
                        q=quantity,
                    ),
                )
            )
    for code, bid_ids, detail in shared:
        findings.extend(Finding(bid_id, "identical_error", code, detail) for bid_id in bid_ids)
    return tuple(findings)


def summary(findings: Sequence[Finding]) -> dict[int, dict[str, int]]:
    """bid id -> finding kind -> count."""
    out: dict[int, dict[str, int]] = {}
    for f in findings:
        out.setdefault(f.bid_id, {}).setdefault(f.kind, 0)
        out[f.bid_id][f.kind] += 1
    return out
