"""Builders for bid tests: a bidder with real certificates from a trusted test CA, a sealed
envelope made with the real envelope code, and uploads through the real API.

Nothing is mocked: the CA hierarchy is built with ``yingshang.pki`` and imported into the trust
store through identity's services; envelopes are sealed with ``yingshang.envelope``.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.test import Client

from yingshang import envelope
from yingshang.identity.models import Organisation, User
from yingshang.identity.testing import make_organisation, make_user, sign_in
from yingshang.kernel.statutory import SHANGHAI
from yingshang.pki import Issued, KeyAlgorithm, Vendor
from yingshang.trading.projects.tests.factories import START, Cast, at, published_tender

API = "/api/v1/trading/bids"
#: When the test CAs are made: a year before the tenders' START (2025-03-03), so certificates are valid.
PKI_NOW = datetime(2025, 1, 2, 9, 0, tzinfo=SHANGHAI)
#: The chunk size the submission tests run with (several chunks to a small sealed bid).
CHUNK = 64 * 1024


@contextmanager
def bidding_world(settings: Any) -> Iterator[dict[str, Any]]:
    """What the submission tests start from, at the tenders' START with chunks of ``CHUNK``: a
    trusted test CA, a published tender open for bids and one bidder with its certificates."""
    settings.YINGSHANG = {**settings.YINGSHANG, "BID_CHUNK_BYTES": CHUNK}
    vendor = Vendor.create("金城CA", now=PKI_NOW, region="金城市")
    with at(START) as fixed:
        trust(vendor)
        cast = Cast.make()
        tender = published_tender(cast)
        yield {
            "vendor": vendor,
            "cast": cast,
            "tender": tender,
            "lot_id": tender.lots.get().pk,
            "bidder": Bidder.make(vendor),
            "clock": fixed,
        }


def trust(vendor: Vendor) -> None:
    """Import the vendor's root and intermediate into the trust store (as centre staff would)."""
    from yingshang.identity import certificate_services

    for authority in vendor.authorities:
        certificate_services.ensure_authority(
            certificate=authority.der, vendor=vendor.name, region=vendor.region, uscc_rule=str(vendor.rule)
        )


@dataclass
class Bidder:
    organisation: Organisation
    user: User
    vendor: Vendor
    signing: Issued
    encryption: Issued

    @classmethod
    def make(
        cls,
        vendor: Vendor,
        *,
        name: str = "金城市宏达建设工程有限公司",
        algorithm: KeyAlgorithm = "ECDSA-P256",
    ) -> Bidder:
        organisation = make_organisation("enterprise", name=name)
        user = make_user(roles=["bidder"], organisation=organisation)
        signing = vendor.issue_leaf(
            organisation.name,
            organisation.uscc,
            usage="signing",
            now=PKI_NOW,
            algorithm=algorithm,
            not_after=PKI_NOW + timedelta(days=730),
        )
        encryption = vendor.issue_leaf(
            organisation.name,
            organisation.uscc,
            usage="encryption",
            now=PKI_NOW,
            algorithm=algorithm,
            not_after=PKI_NOW + timedelta(days=730),
        )
        return cls(organisation, user, vendor, signing, encryption)

    def client(self) -> Client:
        client = Client()
        sign_in(client, self.user, organisation=self.organisation)
        return client

    def seal(
        self,
        *,
        tender_id: int,
        lot_id: int,
        content: bytes = b"",
        signing: Issued | None = None,
        bidder: str | None = None,
        chunk_size: int = 64 * 1024,
    ) -> tuple[bytes, envelope.SealResult]:
        package = content or (b"PK-demo bid package: price 12345678 fen\n" * 4000)
        out = io.BytesIO()
        signer = signing or self.signing
        result = envelope.seal(
            io.BytesIO(package),
            out,
            tender=str(tender_id),
            lot=str(lot_id),
            bidder=bidder or self.organisation.uscc,
            signer_key=signer.private_key,
            signer_chain=signer.chain,
            recipient_certificate=self.encryption.der,
            chunk_size=chunk_size,
        )
        return out.getvalue(), result


def start(client: Client, data: bytes, *, tender_id: int, lot_id: int, key: str | None = None, **extra: Any):
    body = {
        "tender_id": tender_id,
        "lot_id": lot_id,
        "idempotency_key": key or f"test-{uuid.uuid4().hex}",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    body.update(extra)
    return client.post(f"{API}/uploads", body, content_type="application/json")


def put(client: Client, upload_id: str, offset: int, chunk: bytes):
    return client.put(
        f"{API}/uploads/{upload_id}/chunks/{offset}", data=chunk, content_type="application/octet-stream"
    )


def upload_all(client: Client, data: bytes, *, tender_id: int, lot_id: int, key: str | None = None):
    """Start and send every chunk; returns the last response."""
    started = start(client, data, tender_id=tender_id, lot_id=lot_id, key=key)
    assert started.status_code in (200, 201), started.content
    state = started.json()
    offset = state["received"]
    response = started
    while offset < len(data):
        chunk = data[offset : offset + state["chunk_size"]]
        response = put(client, state["upload_id"], offset, chunk)
        if response.status_code not in (200, 201):
            return response
        offset = response.json()["received"]
    return response
