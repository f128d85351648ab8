"""The bidder tool against a live server: certificate sign-in, pack, seal, resumable submit, an
offline receipt check, status and withdrawal: the commands a bidder runs, end to end.

pytest-django's ``live_server`` (a real server thread, real HTTP), real certificates from a
test CA in the trust store, the real envelope code. Nothing is mocked.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from yingshang.bidder.cli import main as bidder
from yingshang.identity import certificate_services
from yingshang.identity.testing import make_organisation, make_user
from yingshang.kernel import clock
from yingshang.kernel.keys import platform_signing_key
from yingshang.pki import Vendor
from yingshang.trading.bids.models import Bid
from yingshang.trading.projects.testing import tender_open_now


def open_tender() -> tuple[int, int]:
    """A tender published now (real time), deadline 60 days ahead."""
    tender = tender_open_now()
    return tender.pk, tender.lots.get().pk


@pytest.mark.django_db(transaction=True)
def test_a_bidder_signs_in_seals_submits_and_verifies_with_the_tool(
    live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = clock.now()
    vendor = Vendor.create("联调CA", now=now - timedelta(days=1), rule="ou", algorithm="RSA-2048")
    for authority in vendor.authorities:
        certificate_services.ensure_authority(
            certificate=authority.der, vendor=vendor.name, uscc_rule=str(vendor.rule)
        )
    organisation = make_organisation("enterprise", name="金城市联调建设有限公司")
    make_user(roles=["bidder"], organisation=organisation)
    signing = vendor.issue_leaf(
        organisation.name, organisation.uscc, usage="signing", now=now, algorithm="RSA-2048"
    )
    encryption = vendor.issue_leaf(
        organisation.name, organisation.uscc, usage="encryption", now=now, algorithm="RSA-2048"
    )
    files = {
        "signing.pem": signing.pem,
        "signing-key.pem": signing.private_key_pem(),
        "chain.pem": vendor.intermediate.pem,
        "encryption.pem": encryption.pem,
        "platform.pub.pem": platform_signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "商务标.txt").write_text("报价说明\n" * 20000)
    tender_id, lot_id = open_tender()
    p = lambda name: str(tmp_path / name)  # noqa: E731
    server = ["--server", live_server.url]

    assert (
        bidder(
            [
                "login",
                *server,
                "--cert",
                p("signing.pem"),
                "--key",
                p("signing-key.pem"),
                "--chain",
                p("chain.pem"),
                "--token-file",
                p("token.txt"),
            ]
        )
        == 0
    )
    assert (
        bidder(
            [
                "pack",
                str(documents),
                "--tender",
                str(tender_id),
                "--lot",
                str(lot_id),
                "--bidder",
                organisation.uscc,
                "--price-fen",
                "123456789",
                "--duration-days",
                "180",
                "--quality",
                "合格",
                "--project-manager",
                "张三",
                "-o",
                p("bid.zip"),
            ]
        )
        == 0
    )
    assert (
        bidder(
            [
                "seal",
                p("bid.zip"),
                "--cert",
                p("signing.pem"),
                "--key",
                p("signing-key.pem"),
                "--chain",
                p("chain.pem"),
                "--enc-cert",
                p("encryption.pem"),
                "-o",
                p("bid.sealed"),
            ]
        )
        == 0
    )
    assert (
        bidder(
            [
                "submit",
                p("bid.sealed"),
                *server,
                "--token-file",
                p("token.txt"),
                "--public-key",
                p("platform.pub.pem"),
            ]
        )
        == 0
    )
    assert (
        bidder(
            [
                "receipt",
                "verify",
                p("bid.sealed.receipt.json"),
                "--public-key",
                p("platform.pub.pem"),
                "--envelope",
                p("bid.sealed"),
            ]
        )
        == 0
    )
    bid = Bid.objects.get()
    receipt = json.loads((tmp_path / "bid.sealed.receipt.json").read_text())
    assert receipt["receipt"]["bid_id"] == bid.pk
    assert bid.envelope_sha256 == receipt["receipt"]["envelope_sha256"]
    assert bid.bidder_uscc == organisation.uscc and bid.certificate_fingerprint == signing.fingerprint
    # Submitting the same envelope again returns the same receipt: nothing new.
    assert (
        bidder(
            ["submit", p("bid.sealed"), *server, "--token-file", p("token.txt"), "--receipt", p("again.json")]
        )
        == 0
    )
    assert json.loads((tmp_path / "again.json").read_text())["receipt"] == receipt["receipt"]
    assert Bid.objects.count() == 1
    capsys.readouterr()
    assert bidder(["status", *server, "--token-file", p("token.txt"), "--tender", str(tender_id)]) == 0
    assert str(bid.pk) in capsys.readouterr().out
    assert bidder(["withdraw", *server, "--token-file", p("token.txt"), "--bid", str(bid.pk)]) == 0
    bid.refresh_from_db()
    assert bid.status == "withdrawn"
    # A tampered receipt fails the offline check.
    receipt["receipt"]["size"] += 1
    (tmp_path / "bad.json").write_text(json.dumps(receipt))
    assert bidder(["receipt", "verify", p("bad.json"), "--public-key", p("platform.pub.pem")]) != 0
