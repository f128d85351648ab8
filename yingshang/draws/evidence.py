"""The draws context's evidence: ledger action codes and the visibility of its entries.

Each draw leaves three kinds of ledger entries, all about the caller's subject (a tender, an
evaluation, ...), with the visibility the caller chose when preparing the draw:

- ``draws.draw.committed``: the commitment, eligible digest and count, parameters (before the draw);
- ``draws.draw.contributed``: a participant's contribution (before the beacon);
- ``draws.draw.performed``: the revealed secret, the beacon, the contributions used, the result.
"""

from __future__ import annotations

from typing import Any

from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Subject, Visibility

COMMITTED = "draws.draw.committed"
CONTRIBUTED = "draws.draw.contributed"
PERFORMED = "draws.draw.performed"

ACTIONS: dict[str, tuple[str, str]] = {
    COMMITTED: ("随机抽取承诺（抽取前公布承诺值）", "Draw committed (commitment published before the draw)"),
    CONTRIBUTED: ("提交随机贡献值", "Draw contribution given"),
    PERFORMED: ("执行随机抽取并公开秘密值", "Draw performed and its secret revealed"),
}


def register() -> None:
    for code, (zh, en) in ACTIONS.items():
        ledger.register_action(code, zh, en)


def visibility_from_json(data: dict[str, Any]) -> Visibility:
    """Rebuild the ``Visibility`` stored with a draw (``Visibility.as_json()``)."""
    event_subject = data.get("event_subject")
    return Visibility(
        kind=data["kind"],
        user_ids=tuple(data.get("user_ids", ())),
        organisation_ids=tuple(data.get("organisation_ids", ())),
        event=data.get("event"),
        event_subject=Subject(**event_subject) if event_subject else None,
        centre=bool(data.get("centre", True)),
    )
