"""The ledger's read API: checkpoint, leaves, proofs, public key, entries by visibility."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client

from yingshang.identity.testing import make_user, sign_in
from yingshang.ledger import facade, merkle, verifier
from yingshang.ledger.contracts import Visibility
from yingshang.ledger.models import LogEntry
from yingshang.ledger.tests.reading import sequenced

pytestmark = pytest.mark.django_db

API = "/api/v1/ledger"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def _tree_size(client: Client) -> int:
    return int(client.get(f"{API}/checkpoint").json()["size"])


def test_before_the_first_checkpoint_the_checkpoint_is_a_404_problem(client: Client) -> None:
    _problem(client.get(f"{API}/checkpoint"), 404)


def test_the_checkpoint_is_signed_by_the_published_key(client: Client) -> None:
    sequenced(Visibility.public(), Visibility.oversight())
    body = client.get(f"{API}/checkpoint").json()
    key = client.get(f"{API}/public-key").json()
    assert key["verifier_key"] == facade.verifier_key()
    note = verifier.verify_note(body["note"], [verifier.parse_verifier_key(key["verifier_key"])])
    parsed = verifier.parse_checkpoint(note.body)
    assert parsed.size == body["size"] == LogEntry.objects.count()
    assert parsed.root.hex() == body["root"]
    assert body["witnesses"] == []


def test_leaves_by_range_and_their_bounds(client: Client) -> None:
    sequenced(*[Visibility.public()] * 4)
    size = _tree_size(client)
    body = client.get(f"{API}/leaves", {"start": 1, "end": size}).json()
    assert body["leaf_hashes"] == [
        e.leaf_hash for e in LogEntry.objects.filter(index__gte=1).order_by("index")
    ]
    assert (
        merkle.root(
            [
                bytes.fromhex(h)
                for h in client.get(f"{API}/leaves", {"start": 0, "end": size}).json()["leaf_hashes"]
            ]
        ).hex()
        == client.get(f"{API}/checkpoint").json()["root"]
    )
    assert (
        _problem(client.get(f"{API}/leaves", {"start": 3, "end": 2}), 400)["errors"][0]["field"]
        == "query.end"
    )
    _problem(client.get(f"{API}/leaves", {"start": 0, "end": size + 1}), 400)
    _problem(client.get(f"{API}/leaves", {"start": -1, "end": 1}), 400)
    _problem(client.get(f"{API}/leaves", {"start": "x", "end": "1"}), 422)


def test_inclusion_proofs_by_index_and_by_leaf_hash_verify(client: Client) -> None:
    entries = sequenced(*[Visibility.oversight()] * 5)
    checkpoint = client.get(f"{API}/checkpoint").json()
    size, root = checkpoint["size"], bytes.fromhex(checkpoint["root"])
    for target in entries:
        by_index = client.get(f"{API}/proofs/inclusion", {"index": target.index, "tree_size": size}).json()
        by_hash = client.get(
            f"{API}/proofs/inclusion", {"leaf_hash": target.leaf_hash, "tree_size": size}
        ).json()
        assert by_index == by_hash
        verifier.verify_inclusion(
            bytes.fromhex(target.leaf_hash),
            target.index,
            size,
            [bytes.fromhex(h) for h in by_index["proof"]],
            root,
        )
    # a smaller tree that already held the first entry
    first = entries[0]
    small = client.get(f"{API}/proofs/inclusion", {"index": first.index, "tree_size": first.index + 1}).json()
    verifier.verify_inclusion(
        bytes.fromhex(first.leaf_hash),
        first.index,
        first.index + 1,
        [bytes.fromhex(h) for h in small["proof"]],
        bytes.fromhex(small["root"]),
    )


def test_inclusion_bad_parameters_are_clear_4xx(client: Client) -> None:
    entries = sequenced(Visibility.public())
    size = _tree_size(client)
    _problem(client.get(f"{API}/proofs/inclusion", {"leaf_hash": "ab" * 32, "tree_size": str(size)}), 404)
    _problem(client.get(f"{API}/proofs/inclusion", {"leaf_hash": "xyz", "tree_size": str(size)}), 400)
    _problem(client.get(f"{API}/proofs/inclusion", {"index": size, "tree_size": size}), 400)
    _problem(client.get(f"{API}/proofs/inclusion", {"index": 0, "tree_size": size + 1}), 400)
    _problem(client.get(f"{API}/proofs/inclusion", {"index": 0, "tree_size": 0}), 400)
    _problem(client.get(f"{API}/proofs/inclusion", {"tree_size": size}), 400)
    both: dict[str, Any] = {"index": 0, "leaf_hash": entries[0].leaf_hash, "tree_size": size}
    _problem(client.get(f"{API}/proofs/inclusion", both), 400)


def test_consistency_proofs_verify_and_refuse_bad_sizes(client: Client) -> None:
    sequenced(Visibility.public(), Visibility.public())
    first = _tree_size(client)
    sequenced(*[Visibility.public()] * 3)
    second = _tree_size(client)
    body = client.get(f"{API}/proofs/consistency", {"first": first, "second": second}).json()
    verifier.verify_consistency(
        first,
        second,
        bytes.fromhex(body["first_root"]),
        bytes.fromhex(body["second_root"]),
        [bytes.fromhex(h) for h in body["proof"]],
    )
    _problem(client.get(f"{API}/proofs/consistency", {"first": 0, "second": second}), 400)
    _problem(client.get(f"{API}/proofs/consistency", {"first": second, "second": first}), 400)
    _problem(client.get(f"{API}/proofs/consistency", {"first": 1, "second": second + 1}), 400)


def test_entries_are_served_by_visibility(client: Client) -> None:
    bidder = make_user(roles=["bidder"])
    public, private = sequenced(Visibility.public(), Visibility.parties(user_ids=[bidder.pk]))
    body = client.get(f"{API}/entries/{public.index}").json()
    assert verifier.leaf_hash(body["entry"].encode()).hex() == public.leaf_hash == body["leaf_hash"]
    hidden = _problem(client.get(f"{API}/entries/{private.index}"), 404)
    missing = _problem(client.get(f"{API}/entries/{private.index + 1000}"), 404)
    assert hidden.keys() == missing.keys()
    sign_in(client, bidder)
    assert client.get(f"{API}/entries/{private.index}").json()["entry"] == private.entry
    other = Client()
    sign_in(other, make_user(roles=["bidder"]))
    _problem(other.get(f"{API}/entries/{private.index}"), 404)
    supervisor = Client()
    sign_in(supervisor, make_user(roles=["supervisor"]))
    assert supervisor.get(f"{API}/entries/{private.index}").status_code == 200


def test_a_token_needs_ledger_read_for_entries_that_are_not_public(client: Client) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from yingshang.identity import services

    supervisor = make_user(roles=["supervisor"])
    public, oversight = sequenced(Visibility.public(), Visibility.oversight())
    expires = timezone.now() + timedelta(days=1)
    narrow = services.create_api_token(
        user=supervisor, name="n", scopes=["identity:read"], expires_at=expires
    )
    wide = services.create_api_token(user=supervisor, name="w", scopes=["ledger:read"], expires_at=expires)
    assert (
        client.get(
            f"{API}/entries/{oversight.index}", HTTP_AUTHORIZATION=f"Bearer {narrow.plain}"
        ).status_code
        == 404
    )
    assert (
        client.get(f"{API}/entries/{public.index}", HTTP_AUTHORIZATION=f"Bearer {narrow.plain}").status_code
        == 200
    )
    assert (
        client.get(f"{API}/entries/{oversight.index}", HTTP_AUTHORIZATION=f"Bearer {wide.plain}").status_code
        == 200
    )
    _problem(client.get(f"{API}/entries/{public.index}", HTTP_AUTHORIZATION="Bearer ys_bad_token"), 401)


def test_bundle_proofs_are_base64_of_the_api_hex(client: Client) -> None:
    """The API gives hex, bundles base64: the same hashes."""
    from yingshang.ledger import bundles
    from yingshang.ledger.contracts import Subject

    subject = Subject("ledger", "read_test", "b64")
    (target,) = sequenced(Visibility.public(), subject=subject)
    bundle = bundles.build_bundle(subject=subject, principal=bundles.OPERATOR)
    size = _tree_size(client)
    api = client.get(f"{API}/proofs/inclusion", {"index": target.index, "tree_size": size}).json()
    assert [base64.b64decode(h).hex() for h in bundle["entries"][0]["proof"]] == api["proof"]
