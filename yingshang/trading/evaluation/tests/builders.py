"""Builders for evaluation tests: a finished opening run through the real opening API (bidders
with real certificates, packages carrying a bill of quantities), a committee seated with the
experts' ``testing.seat_committee``. Nothing is mocked."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from yingshang.identity.facade import principal_for_user
from yingshang.identity.models import User
from yingshang.identity.testing import make_user, sign_in
from yingshang.kernel.policy import Principal
from yingshang.trading.experts.testing import seat_committee
from yingshang.trading.opening import facade as opening
from yingshang.trading.opening import tasks as opening_tasks
from yingshang.trading.opening.tests.builders import API, Hall

PRICES = (9_500_000_00, 9_000_000_00, 10_200_000_00)


def boq(
    total_fen: int, *, wrong_quantity: str | None = None, arithmetic_error: bool = False
) -> dict[str, Any]:
    """A two-item bill adding up to ``total_fen``."""
    first_total = 1_000_000_00
    second_quantity = "1000" if wrong_quantity is None else wrong_quantity
    rest = total_fen - first_total
    second_unit = rest // int(second_quantity) if rest % int(second_quantity) == 0 else None
    items = [
        {
            "code": "010101001",
            "name": "平整场地",
            "unit": "m2",
            "quantity": "10000",
            "unit_price_fen": 10_000,
            "total_fen": first_total + (1 if arithmetic_error else 0),
        },
    ]
    if second_unit is not None:
        items.append(
            {
                "code": "040101001",
                "name": "挖一般土方",
                "unit": "m3",
                "quantity": second_quantity,
                "unit_price_fen": second_unit,
                "total_fen": rest,
            }
        )
    return {"format": "yingshang-boq/1", "items": items, "total_fen": total_fen}


def finished_opening(
    hall: Hall, *, prices: Sequence[int] = PRICES, bills: Sequence[dict[str, Any] | None] = ()
) -> None:
    """Bidders at ``prices`` (with ``bills`` as boq.json), the opening run to its end via the API."""
    for index, price in enumerate(prices):
        bill = bills[index] if index < len(bills) else None
        if bill is not None:
            folder = hall.tmp / f"docs-{index}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "boq.json").write_text(json.dumps(bill, ensure_ascii=False))
        hall.add_bidder(price_fen=price)
    hall.to_deadline()
    opening_tasks.open_due(hall.fixed.now())
    status = opening.opening_result  # noqa: F841 - documents the door used below
    host = hall.signed_client("agency")
    session_id = _session_id(hall, host)
    assert host.post(f"{API}/sessions/{session_id}/sign-in").status_code == 200
    for entrant in hall.entrants:
        assert entrant.client().post(f"{API}/sessions/{session_id}/sign-in").status_code == 200
    assert host.post(f"{API}/sessions/{session_id}/decryption").status_code == 200
    for entrant in hall.entrants:
        answer = entrant.client().post(
            f"/api/v1/trading/bids/{entrant.bid_id}/content-key",
            {"content_key": entrant.key_b64()},
            content_type="application/json",
        )
        assert answer.status_code == 200, answer.content
    assert host.post(f"{API}/sessions/{session_id}/close-window").status_code == 200
    assert host.post(f"{API}/sessions/{session_id}/confirming").status_code == 200
    for entrant in hall.entrants:
        assert entrant.client().post(f"{API}/sessions/{session_id}/confirm").status_code == 200
    finished = host.post(f"{API}/sessions/{session_id}/finish")
    assert finished.status_code == 200, finished.content


def _session_id(hall: Hall, client: Client) -> int:
    listing = client.get(f"{API}/tenders/{hall.tender.pk}/sessions").json()
    rows = listing if isinstance(listing, list) else listing.get("sessions", listing.get("items", []))
    return int(rows[0]["session_id"] if "session_id" in rows[0] else rows[0]["id"])


@dataclass
class Room:
    hall: Hall
    experts: list[User] = field(default_factory=list)

    @property
    def tender_id(self) -> int:
        return int(self.hall.tender.pk)

    @property
    def lot_id(self) -> int:
        return self.hall.lot_id

    @property
    def organiser(self) -> Principal:
        return self.hall.cast.agency

    def p(self, index: int) -> Principal:
        return principal_for_user(self.experts[index])

    def client(self, index: int) -> Client:
        client = Client()
        sign_in(client, self.experts[index])
        return client


def seated(hall: Hall, *, count: int = 5) -> Room:
    users = [make_user(roles=["expert"]) for _ in range(count)]
    seat_committee(tender_id=hall.tender.pk, lot_id=hall.lot_id, experts=count, users=users)
    return Room(hall, users)
