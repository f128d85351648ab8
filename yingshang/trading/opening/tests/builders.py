"""Builders for opening tests: a published tender, bidders with real certificates from a test CA,
real bid packages (``yingshang.bidder.packing.pack``), real envelopes, uploads through the real
bids API; the domain clock moved to the deadline. Nothing is mocked."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.test import Client

from yingshang import envelope
from yingshang.bidder.features import Sources
from yingshang.bidder.packing import OpeningSheet, pack
from yingshang.identity.testing import sign_in
from yingshang.kernel import clock
from yingshang.pki import Issued, Vendor
from yingshang.trading.bids.tests.builders import Bidder, upload_all
from yingshang.trading.projects.models import Tender
from yingshang.trading.projects.tests.factories import Cast

KEY_API = "/api/v1/trading/bids"
API = "/api/v1/trading/opening"
NAMES = [
    "金城市宏达建设工程有限公司",
    "金城市永安路桥有限公司",
    "金城市华建市政工程有限公司",
    "金城市鼎盛建筑有限公司",
]
#: A tiny but well-formed PDF for the package's documents.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class Entrant:
    bidder: Bidder
    bid_id: int
    content_key: bytes
    data: bytes
    price_fen: int
    mac: str

    @property
    def organisation_id(self) -> int:
        return int(self.bidder.organisation.pk)

    def client(self) -> Client:
        return self.bidder.client()

    def key_b64(self) -> str:
        return base64.b64encode(self.content_key).decode()

    @property
    def principal(self) -> Any:
        from yingshang.identity.facade import principal_for_user

        return principal_for_user(self.bidder.user, organisation_id=self.bidder.organisation.pk)


@dataclass
class Hall:
    cast: Cast
    tender: Tender
    lot_id: int
    vendor: Vendor
    fixed: clock.FixedClock
    tmp: Path
    entrants: list[Entrant] = field(default_factory=list)

    def fake_machine(self, index: int) -> tuple[Sources, str]:
        root = self.tmp / f"machine-{index}"
        mac = f"52:54:00:12:34:{index:02x}"
        (root / "net" / "eth0").mkdir(parents=True, exist_ok=True)
        (root / "net" / "eth0" / "address").write_text(mac + "\n")
        (root / "cpuinfo").write_text(f"model name\t: Test CPU {index}\nSerial\t: CPU-SERIAL-{index}\n")
        (root / "disks").mkdir(exist_ok=True)
        (root / "machine-id").write_text(f"{index:032x}\n")
        return (
            Sources(
                net=root / "net",
                cpuinfo=root / "cpuinfo",
                disks=root / "disks",
                machine_id=root / "machine-id",
                use_getnode=False,
            ),
            mac,
        )

    def package(self, bidder: Bidder, *, price_fen: int, index: int) -> tuple[bytes, str]:
        folder = self.tmp / f"docs-{index}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "price.pdf").write_bytes(PDF)
        sources, mac = self.fake_machine(index)
        out = self.tmp / f"bid-{index}.zip"
        pack(
            [folder],
            out,
            tender=str(self.tender.pk),
            lot=str(self.lot_id),
            bidder=bidder.organisation.uscc,
            sheet=OpeningSheet(
                price_fen=price_fen,
                duration_days=180 + index,
                quality="合格",
                project_manager=f"项目经理{index}",
            ),
            sources=sources,
            overwrite=True,
        )
        return out.read_bytes(), mac

    def custodian(self, organisation: Any) -> Issued:
        """A custodian organisation's encryption certificate (k-of-n backup)."""
        from datetime import timedelta

        from yingshang.trading.bids.tests.builders import PKI_NOW

        return self.vendor.issue_leaf(
            organisation.name,
            organisation.uscc,
            usage="encryption",
            now=PKI_NOW,
            not_after=PKI_NOW + timedelta(days=730),
        )

    def add_bidder(
        self,
        *,
        price_fen: int | None = None,
        tamper: bool = False,
        custodians: Sequence[Issued] = (),
        threshold: int = 0,
        relay: Callable[[bytes], bytes] | None = None,
    ) -> Entrant:
        """A bidder with a sealed, submitted bid; ``relay`` changes the package before sealing
        (another tool's zip layout)."""
        index = len(self.entrants)
        bidder = Bidder.make(self.vendor, name=NAMES[index % len(NAMES)] + ("" if index < 4 else str(index)))
        price = price_fen or 9_000_000_00 + index * 1_234_567
        package, mac = self.package(bidder, price_fen=price, index=index)
        if relay is not None:
            package = relay(package)
        out = io.BytesIO()
        result = envelope.seal(
            io.BytesIO(package),
            out,
            tender=str(self.tender.pk),
            lot=str(self.lot_id),
            bidder=bidder.organisation.uscc,
            signer_key=bidder.signing.private_key,
            signer_chain=bidder.signing.chain,
            recipient_certificate=bidder.encryption.der,
            custodians=[c.der for c in custodians],
            threshold=threshold,
            chunk_size=4096,
        )
        data = out.getvalue()
        if tamper:
            data = tampered_but_signed(data, bidder)
        response = upload_all(bidder.client(), data, tender_id=self.tender.pk, lot_id=self.lot_id)
        assert response.status_code == 201, response.content
        bid_id = response.json()["receipt"]["receipt"]["bid_id"]
        entrant = Entrant(bidder, bid_id, result.content_key, data, price, mac)
        self.entrants.append(entrant)
        return entrant

    def to_deadline(self) -> None:
        assert self.tender.bid_deadline is not None
        self.fixed.set(self.tender.bid_deadline)

    def signed_client(self, who: str) -> Client:
        client = Client()
        sign_in(client, getattr(self.cast, f"{who}_user"))
        return client


def tampered_but_signed(data: bytes, bidder: Bidder) -> bytes:
    """The bidder's own doing: a ciphertext chunk changed after encryption, the header's hash
    recomputed and signed again with the bidder's key. It passes every check at upload (structure,
    signature, hash) but does not open under the committed key at the opening."""
    import dataclasses
    import hashlib

    header = envelope.read_header(io.BytesIO(data))
    body = bytearray(data[header.ciphertext_offset :])
    body[len(body) // 2] ^= 0x01
    changed = dataclasses.replace(header, ciphertext_sha256=hashlib.sha256(bytes(body)).hexdigest())
    signed = changed.with_signature(envelope.sign(bidder.signing.private_key, changed.signed_bytes()))
    return signed.encode() + bytes(body)
