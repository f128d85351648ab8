"""Witnesses: a supervisory body registers its key and cosigns checkpoints; the server checks."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.test import Client

from yingshang.identity.testing import make_user, sign_in
from yingshang.ledger import bundles, note, verifier
from yingshang.ledger.contracts import Subject, Visibility
from yingshang.ledger.models import Checkpoint, Cosignature, OutboxEntry
from yingshang.ledger.tests.reading import sequenced

pytestmark = pytest.mark.django_db

API = "/api/v1/ledger"


def _signer(name: str = "gansu-supervision") -> note.NoteSigner:
    return note.NoteSigner(name, Ed25519PrivateKey.generate())


def _body(checkpoint: Checkpoint) -> str:
    return verifier.split_note(checkpoint.note)[0]


@pytest.fixture
def supervisor_client() -> Client:
    client = Client()
    sign_in(client, make_user(roles=["supervisor"]))
    return client


def _register(client: Client, signer: note.NoteSigner) -> int:
    response = client.post(
        f"{API}/witnesses", {"verifier_key": signer.verifier_key}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _cosign(client: Client, witness_id: int, line: str, size: int | None = None) -> Any:
    payload: dict[str, object] = {"signature_line": line}
    if size is not None:
        payload["checkpoint_size"] = size
    return client.post(f"{API}/witnesses/{witness_id}/cosignatures", payload, content_type="application/json")


def test_a_supervisor_registers_its_witness_key(supervisor_client: Client) -> None:
    signer = _signer()
    witness_id = _register(supervisor_client, signer)
    (recorded,) = [
        json.loads(t) for t in OutboxEntry.objects.values_list("entry", flat=True) if "ledger.witness" in t
    ]
    assert recorded["action"] == "ledger.witness.registered" and recorded["visibility"] == {"kind": "public"}
    assert recorded["subject"] == {"context": "ledger", "type": "witness", "id": str(witness_id)}
    again = supervisor_client.post(
        f"{API}/witnesses", {"verifier_key": signer.verifier_key}, content_type="application/json"
    )
    assert again.status_code == 409
    bad = supervisor_client.post(
        f"{API}/witnesses", {"verifier_key": "nonsense"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "body.verifier_key"
    bidder = Client()
    sign_in(bidder, make_user(roles=["bidder"]))
    assert (
        bidder.post(
            f"{API}/witnesses", {"verifier_key": _signer("x").verifier_key}, content_type="application/json"
        ).status_code
        == 403
    )
    assert bidder.get(f"{API}/witnesses").status_code == 403
    centre = Client()
    sign_in(centre, make_user(roles=["centre_staff"]))
    assert [w["name"] for w in centre.get(f"{API}/witnesses").json()] == ["gansu-supervision"]


def test_a_cosignature_is_verified_and_shown_with_the_checkpoint(supervisor_client: Client) -> None:
    signer = _signer()
    witness_id = _register(supervisor_client, signer)
    sequenced(Visibility.public(), Visibility.public())
    latest = Checkpoint.objects.order_by("-size").first()
    assert latest is not None
    response = _cosign(supervisor_client, witness_id, signer.sign(_body(latest)))
    assert response.status_code == 201, response.content
    shown = Client().get(f"{API}/checkpoint").json()
    assert [w["witness"] for w in shown["witnesses"]] == ["gansu-supervision"]
    # the cosigned note verifies under both keys
    cosigned = verifier.verify_note(
        shown["note"],
        [verifier.parse_verifier_key(signer.verifier_key), verifier.parse_verifier_key(shown_key())],
    )
    assert set(cosigned.verified_by) == {"gansu-supervision", verifier.parse_verifier_key(shown_key()).name}
    assert _cosign(supervisor_client, witness_id, signer.sign(_body(latest))).status_code == 409
    # the page lists the witness
    assert "gansu-supervision" in Client().get("/ledger/").content.decode()


def shown_key() -> str:
    return str(Client().get(f"{API}/public-key").json()["verifier_key"])


def test_a_wrong_signature_or_a_stranger_is_refused(supervisor_client: Client) -> None:
    signer = _signer()
    witness_id = _register(supervisor_client, signer)
    sequenced(Visibility.public())
    latest = Checkpoint.objects.order_by("-size").first()
    assert latest is not None
    forged = _signer("gansu-supervision").sign(_body(latest))  # same name, another key
    assert _cosign(supervisor_client, witness_id, forged).status_code == 400
    other_body = _body(latest).replace(str(latest.size), str(latest.size + 1), 1)
    assert _cosign(supervisor_client, witness_id, signer.sign(other_body)).status_code == 400
    stranger = Client()
    sign_in(stranger, make_user(roles=["supervisor"]))
    assert _cosign(stranger, witness_id, signer.sign(_body(latest))).status_code == 403
    assert _cosign(supervisor_client, witness_id + 99, signer.sign(_body(latest))).status_code == 404
    assert not Cosignature.objects.exists()


def test_a_checkpoint_older_than_the_last_cosigned_is_refused(supervisor_client: Client) -> None:
    signer = _signer()
    witness_id = _register(supervisor_client, signer)
    sequenced(Visibility.public())
    old = Checkpoint.objects.order_by("-size").first()
    sequenced(Visibility.public())
    new = Checkpoint.objects.order_by("-size").first()
    assert old is not None and new is not None and new.size > old.size
    assert _cosign(supervisor_client, witness_id, signer.sign(_body(new))).status_code == 201
    refused = _cosign(supervisor_client, witness_id, signer.sign(_body(old)), size=old.size)
    assert refused.status_code == 422
    assert str(old.size) in refused.json()["detail"]
    sequenced(Visibility.public())
    newest = Checkpoint.objects.order_by("-size").first()
    assert newest is not None
    assert _cosign(supervisor_client, witness_id, signer.sign(_body(newest))).status_code == 201


def test_witness_sign_prints_a_line_the_server_accepts(supervisor_client: Client, tmp_path: Path) -> None:
    private = Ed25519PrivateKey.generate()
    pem = tmp_path / "witness.pem"
    pem.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    witness_id = _register(supervisor_client, note.NoteSigner("gansu-supervision", private))
    subject = Subject("ledger", "read_test", "witnessed")
    sequenced(Visibility.public(), subject=subject)
    out = io.StringIO()
    call_command("ledger", "witness-sign", "--key", str(pem), "--name", "gansu-supervision", stdout=out)
    line = next(row for row in out.getvalue().splitlines() if not row.startswith("#"))
    assert _cosign(supervisor_client, witness_id, line).status_code == 201
    # a bundle carries the cosignature, and the offline verifier checks it
    bundle = bundles.build_bundle(subject=subject, principal=bundles.OPERATOR)
    report = verifier.verify_bundle(bundle, trusted_key=shown_key())
    assert report.witnesses == ("gansu-supervision",)
