"""The draws context end to end: prepare -> sequencer -> perform -> the published record verifies.

Real database, real ledger sequencer, real Ed25519 signatures; the record is checked with the
pure verifier exactly as an outsider would (``verification.verify_published``) and through the
``yingshang draw verify`` command and the public API.
"""

from __future__ import annotations

import copy
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from yingshang.draws import facade
from yingshang.draws.models import Draw
from yingshang.draws.verification import verify_published
from yingshang.kernel import clock, draws
from yingshang.kernel.draws import DrawMismatch
from yingshang.kernel.errors import Conflict, InvalidInput, NotFound
from yingshang.ledger import facade as ledger
from yingshang.ledger import verifier
from yingshang.ledger.contracts import Actor, Subject, Visibility
from yingshang.ledger.models import LogEntry

pytestmark = pytest.mark.django_db

STAFF = Actor.user(11, organisation_id=2, role="centre_staff")
SUPERVISOR = Actor.user(12, organisation_id=3, role="supervisor")
TENDER = Subject("trading", "tender", "88")
COEFFICIENTS = ["0.95", "0.96", "0.97", "0.98", "0.99"]
EXPERTS = [f"E{i:03d}" for i in range(1, 21)]


@pytest.fixture(autouse=True)
def fixed_clock() -> Any:
    with clock.use(clock.FixedClock(datetime(2026, 11, 30, 2, 0, tzinfo=UTC))):
        yield


def prepare(eligible: list[str] = COEFFICIENTS, k: int = 1, **parameters: Any) -> facade.DrawSummary:
    return facade.prepare_draw(
        actor=STAFF,
        purpose="coefficient_draw",
        subject=TENDER,
        eligible=eligible,
        k=k,
        parameters={"lot": "1", **parameters},
        visibility=Visibility.public(),
    )


def record_of(summary: facade.DrawSummary) -> dict[str, Any]:
    # through JSON, as a downloaded record would be
    return json.loads(json.dumps(facade.public_record(summary.public_id).as_json()))


def test_prepare_sequence_perform_verify() -> None:
    summary = prepare(EXPERTS, k=5, purpose_note="评标专家抽取")
    assert summary.status == "prepared" and summary.result is None
    assert summary.eligible_digest == draws.eligible_digest(EXPERTS)
    # the commitment is in the ledger, with the digest and parameters, not the secret
    ledger.sequence_once()
    entry = LogEntry.objects.get(leaf_hash=summary.commitment_entry_hash)
    data = json.loads(entry.entry)["data"]
    assert data["commitment"] == summary.commitment
    assert data["eligible_digest"] == summary.eligible_digest
    assert data["parameters"] == {
        "k": 5,
        "lot": "1",
        "purpose_note": "评标专家抽取",
        "subject": "trading:tender:88",
    }
    secret = bytes(Draw.objects.get(public_id=summary.public_id).secret)
    assert secret.hex() not in entry.entry

    performed = facade.perform_draw(draw_id=summary.public_id)
    assert performed is not None and performed.status == "performed"
    assert performed.result is not None and len(performed.result) == 5
    assert set(performed.result) <= set(EXPERTS)

    record = record_of(summary)
    report = verify_published(record, trusted_keys=[ledger.verifier_key()])
    assert report.trusted and report.draw.result == performed.result
    assert record["secret"] == secret.hex()
    beacon = ledger.beacon_for(summary.commitment_entry_hash)
    assert beacon is not None
    assert (record["beacon"]["size"], record["beacon"]["root"]) == (beacon.size, beacon.root.hex())
    # the reveal is in the ledger too
    ledger.sequence_once()
    reveal = LogEntry.objects.get(action="draws.draw.performed")
    assert json.loads(reveal.entry)["data"]["result"] == list(performed.result)
    assert json.loads(reveal.entry)["data"]["secret"] == secret.hex()
    # idempotent: performing again changes nothing and records nothing
    again = facade.perform_draw(draw_id=summary.public_id)
    assert again == performed
    assert LogEntry.objects.filter(action="draws.draw.performed").count() == 1


def test_perform_before_the_beacon_returns_none() -> None:
    summary = prepare()
    assert facade.perform_draw(draw_id=summary.public_id) is None  # still in the outbox
    assert ledger.beacon_for(summary.commitment_entry_hash) is None
    assert facade.perform_due_draws() == 0
    ledger.sequence_once()
    assert facade.perform_due_draws() == 1
    assert facade.draw_summary(summary.public_id).status == "performed"
    assert facade.perform_due_draws() == 0


def test_beacon_is_the_first_checkpoint_covering_the_entry() -> None:
    first = prepare()
    ledger.sequence_once()
    second = prepare()
    ledger.sequence_once()
    b1 = ledger.beacon_for(first.commitment_entry_hash)
    b2 = ledger.beacon_for(second.commitment_entry_hash)
    assert b1 is not None and b2 is not None
    assert b1.entry_index < b1.size <= b2.entry_index < b2.size
    body = verifier.parse_checkpoint(
        verifier.verify_note(b1.note, [verifier.parse_verifier_key(b1.verifier_key)]).body
    )
    assert (body.size, body.root) == (b1.size, b1.root)
    verifier.verify_inclusion(
        bytes.fromhex(first.commitment_entry_hash), b1.entry_index, b1.size, b1.proof, b1.root
    )
    assert ledger.beacon_for("00" * 32) is None


def test_contributions_feed_the_seed_and_are_refused_after_the_beacon() -> None:
    summary = prepare(EXPERTS, k=3)
    facade.contribute(draw_id=summary.public_id, actor=SUPERVISOR, value="监督员 7f3a")
    facade.contribute(draw_id=summary.public_id, actor=SUPERVISOR, value="second")
    ledger.sequence_once()
    with pytest.raises(Conflict) as refused:
        facade.contribute(draw_id=summary.public_id, actor=SUPERVISOR, value="too late")
    assert refused.value.code == "beacon_fixed"
    performed = facade.perform_draw(draw_id=summary.public_id)
    assert performed is not None and performed.contributions == 2
    record = record_of(summary)
    assert [c["value"] for c in record["contributions"]] == ["监督员 7f3a", "second"]
    assert record["late_contributions"] == []
    verified = verify_published(record, trusted_keys=[ledger.verifier_key()]).draw
    assert verified.contributions == ("监督员 7f3a", "second")
    # the seed really uses them: without them the draw would be recomputed differently
    beacon = bytes.fromhex(record["beacon"]["root"])
    secret = bytes.fromhex(record["secret"])
    with_them = draws.seed(secret=secret, beacon=beacon, contributions=["监督员 7f3a".encode(), b"second"])
    assert verified.seed == with_them.hex()
    assert with_them != draws.seed(secret=secret, beacon=beacon)
    with pytest.raises(Conflict):
        facade.contribute(draw_id=summary.public_id, actor=SUPERVISOR, value="after the draw")


def test_a_contribution_sequenced_after_the_beacon_is_not_used() -> None:
    """The beacon covers the commitment but not a contribution recorded later (PostgreSQL: a
    contribution committing while the sequencer signs). Such a value is shown, never used."""
    summary = prepare()
    ledger.sequence_once()  # beacon fixed
    draw = Draw.objects.get(public_id=summary.public_id)
    draw.contributions = [{"value": "late", "entry_hash": "ee" * 32, "actor": SUPERVISOR.as_json()}]
    draw.save()
    facade.perform_draw(draw_id=summary.public_id)
    record = record_of(summary)
    assert record["contributions"] == []
    assert record["late_contributions"] == [{"value": "late", "entry_hash": "ee" * 32, "index": None}]
    verify_published(record, trusted_keys=[ledger.verifier_key()])


def test_tampered_records_are_detected() -> None:
    summary = prepare(EXPERTS, k=3)
    facade.contribute(draw_id=summary.public_id, actor=SUPERVISOR, value="abc")
    ledger.sequence_once()
    facade.perform_draw(draw_id=summary.public_id)
    record = record_of(summary)
    key = ledger.verifier_key()
    verify_published(record, trusted_keys=[key])
    other = next(x for x in EXPERTS if x not in record["result"])

    def tampered(change: Any) -> dict[str, Any]:
        copied = copy.deepcopy(record)
        change(copied)
        return copied

    cases = {
        "result differs": tampered(lambda r: r["result"].__setitem__(0, other)),
        "commitment differs": tampered(lambda r: r.__setitem__("secret", "11" * 32)),
        "eligible digest differs": tampered(lambda r: r["eligible"].reverse()),
        "result differs ": tampered(lambda r: r["contributions"][0].__setitem__("value", "abd")),
        "beacon note": tampered(
            lambda r: r["beacon"].__setitem__("note", r["beacon"]["note"].replace("\n\n", "\n\nx"))
        ),
        "result differs  ": tampered(lambda r: r["beacon"].__setitem__("root", "22" * 32)),
        "not in the beacon's tree": tampered(lambda r: r["commitment_entry"].__setitem__("hash", "33" * 32)),
    }
    # a root change that still recomputes (the attacker redraws with the fake root) is caught by the note
    forged = copy.deepcopy(record)
    fake_root = bytes.fromhex("44" * 32)
    fake_seed = draws.seed(secret=bytes.fromhex(forged["secret"]), beacon=fake_root, contributions=[b"abc"])
    forged["beacon"]["root"] = fake_root.hex()
    forged["result"] = draws.sample(fake_seed, forged["eligible"], 3)
    cases["differs from the signed checkpoint "] = forged
    for reason, bad in cases.items():
        with pytest.raises(DrawMismatch, match=reason.strip()):
            verify_published(bad, trusted_keys=[key])
    # a record signed by some other key is refused when the published key is given
    with pytest.raises(DrawMismatch, match="key mismatch"):
        verify_published(record, trusted_keys=["example.org/log+01020304+AQ" + "A" * 42])


def test_the_public_record_hides_the_secret_until_the_draw() -> None:
    summary = prepare(EXPERTS, k=2)
    client = Client()
    before = client.get(f"/api/v1/draws/{summary.public_id}")
    assert before.status_code == 200
    body = before.json()
    secret = bytes(Draw.objects.get(public_id=summary.public_id).secret).hex()
    assert secret not in before.content.decode()
    assert "eligible" not in body and "secret" not in body and "result" not in body
    assert body["commitment"] == summary.commitment
    assert body["eligible_digest"] == summary.eligible_digest
    assert body["parameters"]["k"] == 2
    ledger.sequence_once()
    facade.perform_draw(draw_id=summary.public_id)
    after = client.get(f"/api/v1/draws/{summary.public_id}").json()
    assert after["secret"] == secret
    assert verify_published(after, trusted_keys=[ledger.verifier_key()]).draw.result == tuple(after["result"])
    assert client.get("/api/v1/draws/not-a-uuid").status_code == 404
    assert client.get("/api/v1/draws/4b1c7c3e-0000-4000-8000-000000000001").status_code == 404


def run_draw(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("draw", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_verify_command(tmp_path: Path) -> None:
    summary = prepare()
    ledger.sequence_once()
    performed = facade.perform_draw(draw_id=summary.public_id)
    assert performed is not None and performed.result is not None
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(record_of(summary)), encoding="utf-8")
    status, out, err = run_draw("verify", str(path), "--key", ledger.verifier_key())
    assert status == 0, out
    assert f"result: {performed.result[0]}" in out and "WARNING" not in out
    status, out, err = run_draw("verify", str(path))
    assert status == 0 and "not trusted" in out and "warning" in err
    bad = record_of(summary)
    bad["result"] = ["0.90"]
    path.write_text(json.dumps(bad), encoding="utf-8")
    status, out, _ = run_draw("verify", str(path), "--key", ledger.verifier_key())
    assert status == 1 and out.startswith("FAILED: result differs")
    path.write_text("{", encoding="utf-8")
    assert run_draw("verify", str(path))[0:2] == (1, "FAILED: the record is not valid JSON (truncated?)\n")


def test_invalid_requests_are_refused() -> None:
    with pytest.raises(InvalidInput):
        prepare(["a", "a"])
    with pytest.raises(InvalidInput):
        prepare(["a", "b"], k=3)
    with pytest.raises(InvalidInput):
        prepare([])
    with pytest.raises(InvalidInput):
        prepare(rate=0.5)
    with pytest.raises(InvalidInput):
        prepare(k_override=1, subject="x")
    with pytest.raises(InvalidInput):
        facade.prepare_draw(
            actor=STAFF,
            purpose="Bad Purpose",
            subject=TENDER,
            eligible=["a"],
            k=1,
            parameters={},
            visibility=Visibility.public(),
        )
    summary = prepare()
    with pytest.raises(InvalidInput):
        facade.contribute(draw_id=summary.public_id, actor=SUPERVISOR, value="")
    with pytest.raises(NotFound):
        facade.contribute(draw_id="nope", actor=SUPERVISOR, value="x")
    with pytest.raises(NotFound):
        facade.perform_draw(draw_id="4b1c7c3e-0000-4000-8000-000000000001")
    assert not Draw.objects.exclude(public_id=summary.public_id).exists()


@pytest.mark.django_db(transaction=True)
def test_verify_command_reads_the_record_from_its_url(live_server: Any) -> None:
    summary = prepare(EXPERTS, k=2)
    ledger.sequence_once()
    performed = facade.perform_draw(draw_id=summary.public_id)
    assert performed is not None and performed.result is not None
    url = f"{live_server.url}/api/v1/draws/{summary.public_id}"
    status, out, _ = run_draw("verify", url, "--key", ledger.verifier_key())
    assert status == 0, out
    assert f"result: {', '.join(performed.result)}" in out
    status, out, _ = run_draw("verify", f"{live_server.url}/api/v1/draws/{'0' * 8}-0000-4000-8000-{'0' * 12}")
    assert status == 1 and out.startswith("FAILED: cannot read")
