"""``yingshang ledger witness-sign --url``: a witness cosigns over HTTP against a live server
(pytest-django's ``live_server``: a real server thread, real HTTP round-trips, no mocks)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.utils import timezone

from yingshang.identity import services as identity
from yingshang.identity.facade import principal_for_user
from yingshang.identity.testing import make_user
from yingshang.ledger import facade, note, witnesses
from yingshang.ledger.contracts import Visibility
from yingshang.ledger.models import Cosignature
from yingshang.ledger.tests.reading import record_fact

NAME = "gansu-jiwei-witness"


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ledger", "witness-sign", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def witness(tmp_path: Path) -> dict[str, Any]:
    """A supervisor with an API token (scope ledger:write) and its body's registered witness key."""
    supervisor = make_user(roles=["supervisor"])
    private = Ed25519PrivateKey.generate()
    key_file = tmp_path / "witness.pem"
    key_file.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    signer = note.NoteSigner(NAME, private)
    registered = witnesses.register_witness(
        principal=principal_for_user(supervisor), verifier_key=signer.verifier_key
    )
    token = identity.create_api_token(
        user=supervisor,
        name="witness",
        scopes=["ledger:write"],
        expires_at=timezone.now() + timedelta(days=1),
    )
    token_file = tmp_path / "token"
    token_file.write_text(token.plain)
    return {"key": key_file, "token": token_file, "id": registered.pk, "signer": signer}


@pytest.mark.django_db(transaction=True)
def test_a_witness_cosigns_over_http(live_server: Any, witness: dict[str, Any]) -> None:
    record_fact(Visibility.public(), n=1)
    facade.sequence_once()
    log_key = facade.verifier_key()
    args = ["--url", live_server.url, "--key", str(witness["key"]), "--name", NAME]
    args += ["--token-file", str(witness["token"]), "--log-key", log_key]

    status, out, err = _run(*args)
    assert status == 0, err
    first = Cosignature.objects.get(witness_id=witness["id"])
    assert f"cosigned checkpoint {first.checkpoint.size} " in out and "consistent with none" in out
    assert first.signature_line in out
    state = json.loads(Path(str(witness["key"]) + ".state.json").read_text())
    assert state["size"] == first.checkpoint.size and state["root"] == first.checkpoint.root

    status, out, err = _run(*args)  # nothing new: nothing to do
    assert status == 0 and "already cosigned" in out, err

    record_fact(Visibility.public(), n=2)
    record_fact(Visibility.public(), n=3)
    facade.sequence_once()
    status, out, err = _run(*args)
    assert status == 0, err
    latest = Cosignature.objects.filter(witness_id=witness["id"]).order_by("-checkpoint__size").first()
    assert latest is not None and latest.checkpoint.size > first.checkpoint.size
    assert f"consistent with {first.checkpoint.size}" in out
    assert "WARNING" not in out


@pytest.mark.django_db(transaction=True)
def test_a_forked_log_and_a_wrong_key_are_refused(live_server: Any, witness: dict[str, Any]) -> None:
    record_fact(Visibility.public(), n=1)
    facade.sequence_once()
    args = ["--url", live_server.url, "--key", str(witness["key"]), "--name", NAME]
    args += ["--token-file", str(witness["token"])]
    status, out, err = _run(*args)
    assert status == 0, err
    assert "trust on first use" in out  # no --log-key: the server's key was taken on its word

    other = note.NoteSigner(facade.origin(), Ed25519PrivateKey.generate())
    status, _out, err = _run(*args, "--log-key", other.verifier_key)
    assert status == 1 and "does not verify with the log's key" in err

    state_file = Path(str(witness["key"]) + ".state.json")
    state = json.loads(state_file.read_text())
    state["root"] = "00" * 32  # the witness remembers another root for that size: a fork
    state_file.write_text(json.dumps(state))
    record_fact(Visibility.public(), n=2)
    facade.sequence_once()
    status, _out, err = _run(*args)
    assert status == 1 and "is not consistent with the cosigned checkpoint" in err
    assert Cosignature.objects.filter(witness_id=witness["id"]).count() == 1

    status, _out, err = _run("--url", live_server.url, "--key", str(witness["key"]), "--name", NAME)
    assert status == 1 and "API token is needed" in err
