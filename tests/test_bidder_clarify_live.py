"""A bidder answers the evaluation committee's clarification (A-143) with the bidder tool against a
live server: certificate sign-in, the list of questions, a reply signed by its certificate, checked
by the platform; a token without the scope for it is refused. Real certificates, real HTTP."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from yingshang.bidder.cli import main as bidder
from yingshang.identity import services as identity_services
from yingshang.kernel import clock
from yingshang.pki import Vendor
from yingshang.trading.bids.tests.builders import PKI_NOW, trust
from yingshang.trading.evaluation import services
from yingshang.trading.evaluation.models import Clarification
from yingshang.trading.evaluation.tests.builders import finished_opening, seated
from yingshang.trading.opening.tests.builders import Hall
from yingshang.trading.projects.tests.factories import Cast, published_tender

pytestmark = pytest.mark.django_db(transaction=True)

SPEC = {
    "method": "comprehensive",
    "items": [
        {"code": "tech", "zh": "技术方案", "en": "Technical", "max": "40", "kind": "subjective"},
        {"code": "price", "zh": "投标报价", "en": "Price", "max": "60", "kind": "price"},
    ],
    "price": {"benchmark": "lowest"},
}


def test_a_bidder_answers_a_clarification_with_the_tool(
    live_server: Any,
    platform_clock: clock.FixedClock,
    settings: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings.YINGSHANG = {**settings.YINGSHANG, "BID_CHUNK_BYTES": 64 * 1024}
    settings.KEYS_DIR = tmp_path / "keys"
    vendor = Vendor.create("金城CA", now=PKI_NOW, region="金城市")
    trust(vendor)
    cast = Cast.make()
    tender = published_tender(cast)
    hall = Hall(cast, tender, tender.lots.get().pk, vendor, platform_clock, tmp_path)
    finished_opening(hall)
    room = seated(hall)
    evaluation = services.start_evaluation(
        principal=room.organiser, tender_id=room.tender_id, lot_id=room.lot_id, spec=SPEC
    )
    services.declare(principal=room.p(0), evaluation_id=evaluation.pk, confirm=True)
    entrant = hall.entrants[0]
    asked = services.request_clarification(
        principal=room.p(0), evaluation_id=evaluation.pk, bid_id=entrant.bid_id, question="请澄清工期安排。"
    )

    signing = entrant.bidder.signing
    (tmp_path / "signing.pem").write_bytes(signing.pem)
    (tmp_path / "signing-key.pem").write_bytes(signing.private_key_pem())
    (tmp_path / "chain.pem").write_bytes(vendor.intermediate.pem)
    signer = ["--cert", str(tmp_path / "signing.pem"), "--key", str(tmp_path / "signing-key.pem")]
    signer += ["--chain", str(tmp_path / "chain.pem")]
    server = ["--server", live_server.url]
    token = ["--token-file", str(tmp_path / "token.txt")]

    assert bidder(["login", *server, *signer, *token]) == 0
    capsys.readouterr()
    assert bidder(["clarifications", *server, *token]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(q["clarification_id"], q["question"], q["reply"]) for q in listed] == [
        (asked.pk, "请澄清工期安排。", "")
    ]

    # A token of the same bidder without the scope for it is refused, and nothing is stored.
    narrow = identity_services.create_api_token(
        user=entrant.bidder.user,
        name="只读",
        scopes=["projects:read"],
        expires_at=clock.now() + timedelta(days=30),
        organisation=entrant.bidder.organisation,
        at=clock.now(),
    )
    (tmp_path / "narrow.txt").write_text(narrow.plain)
    refused = bidder(
        [
            "clarify",
            str(asked.pk),
            "--text",
            "总工期180天。",
            *signer,
            *server,
            "--token-file",
            str(tmp_path / "narrow.txt"),
        ]
    )
    assert refused != 0
    assert Clarification.objects.get(pk=asked.pk).reply == ""

    reply = "工期安排见技术标第3章，总工期180日历天，关键节点与招标文件一致。"
    assert bidder(["clarify", str(asked.pk), "--text", reply, *signer, *server, *token]) == 0
    answered = Clarification.objects.get(pk=asked.pk)
    assert answered.reply == reply and answered.replied_at is not None
