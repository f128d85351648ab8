"""The remote opening hall: the law's outcomes as executable cases.

Real database, real certificates from a test CA in the trust store, real packages and envelopes,
uploads through the real bids API; the domain clock is a FixedClock (no sleeping).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import zipfile
from datetime import timedelta

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import Client

from yingshang.files import facade as files
from yingshang.identity.facade import principal_for_user
from yingshang.kernel.errors import Conflict, PermissionDenied
from yingshang.ledger.models import LedgerEvent, OutboxEntry
from yingshang.pki import Vendor
from yingshang.trading.bids.tests.builders import PKI_NOW, trust
from yingshang.trading.opening import facade, services, states
from yingshang.trading.opening.models import OpeningBid, OpeningEvent, OpeningSession
from yingshang.trading.opening.tests.builders import API, KEY_API, Hall
from yingshang.trading.projects import facade as projects
from yingshang.trading.projects.tests.factories import START, Cast, at, published_tender

pytestmark = [pytest.mark.django_db(transaction=False)]


@pytest.fixture
def hall(settings, tmp_path):
    settings.YINGSHANG = {**settings.YINGSHANG, "BID_CHUNK_BYTES": 64 * 1024}
    settings.KEYS_DIR = tmp_path / "keys"
    vendor = Vendor.create("金城CA", now=PKI_NOW, region="金城市")
    with at(START) as fixed:
        trust(vendor)
        cast = Cast.make()
        tender = published_tender(cast)
        yield Hall(cast, tender, tender.lots.get().pk, vendor, fixed, tmp_path)


def _opened(hall: Hall, bidders: int = 3, **kw) -> OpeningSession:
    for _ in range(bidders):
        hall.add_bidder(**kw)
    hall.to_deadline()
    services.open_due_sessions(hall.fixed.now())
    return OpeningSession.objects.get(tender_id=hall.tender.pk, lot_id=hall.lot_id)


def _decrypting(hall: Hall, bidders: int = 3) -> OpeningSession:
    session = _opened(hall, bidders)
    services.start_decryption(principal=hall.cast.agency, session_id=session.pk)
    return OpeningSession.objects.get(pk=session.pk)


def _release(hall: Hall, who: int, key: str | None = None, bid_id: int | None = None):
    entrant = hall.entrants[who]
    return entrant.client().post(
        f"{KEY_API}/{bid_id or entrant.bid_id}/content-key",
        {"content_key": key or entrant.key_b64()},
        content_type="application/json",
    )


def _opened_staged() -> list[str]:
    """Staged files of decryptions (each is stored or discarded before its release returns)."""
    from yingshang.files import staging

    return sorted(path.name for path in staging.staging_dir().glob("opened-*"))


def _everything_visible(hall: Hall, session: OpeningSession) -> list[str]:
    """What each kind of reader can get from the API: session views and events, as JSON text."""
    readers = {
        "guest": Client(),
        "host": hall.signed_client("agency"),
        "supervisor": hall.signed_client("supervisor"),
        "staff": hall.signed_client("staff"),
        **{f"bidder{i}": e.client() for i, e in enumerate(hall.entrants)},
    }
    seen = []
    for name, client in readers.items():
        view = client.get(f"{API}/sessions/{session.pk}")
        assert view.status_code == 200, (name, view.content)
        events = client.get(f"{API}/sessions/{session.pk}/events")
        assert events.status_code == 200, (name, events.content)
        listing = client.get(f"{API}/tenders/{hall.tender.pk}/sessions")
        seen.append(name + ":" + view.content.decode() + events.content.decode() + listing.content.decode())
    return seen


def _prices(hall: Hall) -> list[str]:
    return [str(e.price_fen) for e in hall.entrants]


# --- the full opening -----------------------------------------------------------------------------


def test_a_full_opening_from_deadline_to_the_published_record(hall):
    session = _opened(hall)
    assert session.status == states.SIGNING_IN
    assert session.opened_at == hall.tender.bid_deadline  # T8: the opening is the deadline
    assert OpeningBid.objects.filter(session=session).count() == 3
    # Bidders' identities are public from the opening: the bids context's entries follow.
    assert LedgerEvent.objects.filter(event="trading.tender.opened", subject_id=str(hall.tender.pk)).exists()

    host = hall.signed_client("agency")
    assert host.post(f"{API}/sessions/{session.pk}/sign-in").json()["your_role"] == "host"
    assert hall.signed_client("supervisor").post(f"{API}/sessions/{session.pk}/sign-in").status_code == 200
    for entrant in hall.entrants:
        assert entrant.client().post(f"{API}/sessions/{session.pk}/sign-in").json()["your_role"] == "bidder"
    stranger = principal_for_user(hall.cast.other_tenderer_user)
    with pytest.raises(PermissionDenied):
        services.sign_in(principal=stranger, session_id=session.pk)

    price = host.post(
        f"{API}/sessions/{session.pk}/control-price",
        {"amount_fen": 10_000_000_00},
        content_type="application/json",
    )
    assert price.status_code == 200 and price.json()["control_price_fen"] == 10_000_000_00
    assert host.post(f"{API}/sessions/{session.pk}/decryption").json()["status"] == states.DECRYPTING

    for who in range(3):
        answer = _release(hall, who)
        assert answer.status_code == 200, answer.content
        assert answer.json()["decryption"] == "decrypted"
        # Nothing of any bid's content is visible to anyone while the window is open.
        for seen in _everything_visible(hall, session):
            for price_text in _prices(hall):
                assert price_text not in seen
            assert "项目经理" not in seen
    with pytest.raises(Conflict) as not_yet:
        facade.opening_result(hall.tender.pk, hall.lot_id)
    assert not_yet.value.code == "not_opened"

    # Every key is in: the host may close the window early.
    closed = host.post(f"{API}/sessions/{session.pk}/close-window").json()
    assert closed["status"] == states.DECRYPTED
    assert [r["price_fen"] for r in closed["rows"]] == [e.price_fen for e in hall.entrants]
    assert closed["rows"][0]["price_uppercase"].endswith("分") or closed["rows"][0][
        "price_uppercase"
    ].endswith("整")
    # Guests: who and how it ended, not the figures until each row is confirmed.
    guest_view = Client().get(f"{API}/sessions/{session.pk}").json()
    assert all("price_fen" not in row for row in guest_view["rows"])
    assert all(row["decryption"] == "decrypted" for row in guest_view["rows"])

    assert host.post(f"{API}/sessions/{session.pk}/confirming").status_code == 200
    first = hall.entrants[0]
    assert first.client().post(f"{API}/sessions/{session.pk}/confirm").status_code == 200
    guest_view = Client().get(f"{API}/sessions/{session.pk}").json()
    assert guest_view["rows"][0]["price_fen"] == first.price_fen
    assert "price_fen" not in guest_view["rows"][1]

    # An objection on the spot, answered on the spot (T6); finishing waits for the answer.
    second = hall.entrants[1]
    raised = second.client().post(
        f"{API}/sessions/{session.pk}/objections",
        {"text": "我方工期应为181天，请核对。"},
        content_type="application/json",
    )
    assert raised.status_code == 200
    objection_id = raised.json()["objections"][0]["objection_id"]
    refused = host.post(f"{API}/sessions/{session.pk}/finish")
    assert refused.status_code == 409 and refused.json()["code"] == "objections_unanswered"
    answered = host.post(
        f"{API}/objections/{objection_id}/answer",
        {"text": "经核对，开标一览表载明工期181天，记录无误。"},
        content_type="application/json",
    )
    assert answered.json()["objections"][0]["answer"].startswith("经核对")
    finished = host.post(f"{API}/sessions/{session.pk}/finish").json()
    assert finished["status"] == states.FINISHED
    record = finished["record"]
    assert [r["price_fen"] for r in record["rows"]] == [e.price_fen for e in hall.entrants]
    assert record["objections"][0]["answer"].startswith("经核对")
    # Everyone sees the whole record now.
    guest_view = Client().get(f"{API}/sessions/{session.pk}").json()
    assert [r["price_fen"] for r in guest_view["rows"]] == [e.price_fen for e in hall.entrants]
    assert OutboxEntry.objects.filter(action="trading.opening.finished").count() == 1
    assert OutboxEntry.objects.filter(action="trading.opening.objection_answered").count() == 1

    # The PDF, signed by the platform with the JSON record: checkable offline with the public key.
    pdf = Client().get(f"{API}/sessions/{session.pk}/record.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    signed = guest_view["record_signature"]
    assert signed["payload"]["pdf_sha256"] == hashlib.sha256(pdf.content).hexdigest()
    # The PDF carries the platform's own signature (PAdES), valid against the published CA.
    from yingshang.kernel.keys import verify_platform_pdf

    check = verify_platform_pdf(pdf.content)
    assert check.ok, check.problems
    assert "电子签章" in (check.signer_subject or "")
    assert signed["payload"]["record_sha256"] == hashlib.sha256(rfc8785.dumps(record)).hexdigest()
    public = Client().get(f"{KEY_API}/public-key").json()
    Ed25519PublicKey.from_public_bytes(base64.b64decode(public["public_key"])).verify(
        base64.b64decode(signed["signature"]),
        b"yingshang-opening-record/1\n" + rfc8785.dumps(signed["payload"]),
    )

    result = facade.opening_result(hall.tender.pk, hall.lot_id)
    assert [b.price_fen for b in result.opened] == [e.price_fen for e in hall.entrants]
    assert all(b.package_document_id for b in result.bids)
    # Feature codes: keyed hashes only; the raw values are kept nowhere.
    macs = result.bids[0].feature_codes["mac_addresses"]
    assert isinstance(macs, list) and macs[0].startswith("hmac-sha256:")
    stored = json.dumps([r.manifest for r in OpeningBid.objects.all()], ensure_ascii=False)
    for entrant in hall.entrants:
        assert entrant.mac not in stored
    assert "CPU-SERIAL" not in stored
    # Nor in the stored packages: their manifest.json is the kept one (the bytes as sealed are
    # known by their hash only).
    for index, row in enumerate(OpeningBid.objects.order_by("id")):
        entrant = next(e for e in hall.entrants if e.bid_id == row.bid_id)
        assert row.package_document_id is not None
        with files.open_document(row.package_document_id) as handle:
            package = handle.read()
        assert hashlib.sha256(package).hexdigest() == row.package_sha256
        sealed = (hall.tmp / f"bid-{hall.entrants.index(entrant)}.zip").read_bytes()
        assert (
            row.evidence["sealed_package_sha256"] == hashlib.sha256(sealed).hexdigest() != row.package_sha256
        )
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            contents = {info.filename: archive.read(info) for info in archive.infolist()}
        assert json.loads(contents["manifest.json"]) == row.manifest, index
        assert not any(entrant.mac.encode() in c or b"CPU-SERIAL" in c for c in contents.values())
    # Events increase and the public ones never carried figures before the window closed.
    events = list(OpeningEvent.objects.filter(session=session).order_by("id"))
    closed_at = next(e.pk for e in events if e.kind == "window_closed")
    for event in events:
        if event.pk < closed_at:
            assert not any(p in json.dumps(event.data) for p in _prices(hall))


# --- art. 31: revoked and withdrawn ---------------------------------------------------------------


def test_a_bidder_who_never_releases_its_key_is_revoked_at_the_windows_end(hall):
    session = _decrypting(hall, 3)
    assert _release(hall, 0).status_code == 200
    assert _release(hall, 1).status_code == 200
    # The host cannot close early while a key is outstanding.
    with pytest.raises(Conflict) as outstanding:
        services.close_window(session_id=session.pk, principal=hall.cast.agency)
    assert outstanding.value.code == "keys_outstanding"
    hall.fixed.set(session.decryption_until)
    assert services.open_due_sessions(hall.fixed.now()) == 1
    row = OpeningBid.objects.get(bid_id=hall.entrants[2].bid_id)
    assert (row.decryption, row.cause, row.classification) == ("failed", "bidder", states.REVOKED)
    assert row.reason_code == "no_key"
    assert OutboxEntry.objects.filter(action="trading.opening.row_classified").count() == 1
    # The opening continues for the others.
    result = facade.opening_result(hall.tender.pk, hall.lot_id)
    assert len(result.opened) == 2


def test_a_late_key_is_refused_and_recorded(hall):
    session = _decrypting(hall, 3)
    assert session.decryption_until is not None
    hall.fixed.set(session.decryption_until + timedelta(seconds=1))
    late = _release(hall, 0)
    assert late.status_code == 409 and late.json()["code"] == "late_key"
    assert OutboxEntry.objects.filter(action="trading.opening.key_refused").count() == 1
    # The key matched its commitment, so decrypting began beside the arrival: discarded.
    assert _opened_staged() == []
    services.open_due_sessions(hall.fixed.now())
    again = _release(hall, 0)
    assert again.status_code == 409 and again.json()["code"] == "late_key"
    assert OpeningBid.objects.get(bid_id=hall.entrants[0].bid_id).classification == states.REVOKED


def test_a_wrong_key_is_refused_and_repeated_wrong_keys_revoke_the_bid(hall, settings):
    settings.YINGSHANG = {**settings.YINGSHANG, "OPENING_KEY_ATTEMPTS": 2}
    _decrypting(hall, 3)
    wrong = base64.b64encode(os.urandom(32)).decode()
    first = _release(hall, 0, key=wrong)
    assert first.status_code == 409 and first.json()["code"] == "key_mismatch"
    assert OpeningBid.objects.get(bid_id=hall.entrants[0].bid_id).decryption == states.PENDING
    assert _release(hall, 0, key="not base64!").json()["code"] == "bad_key_encoding"
    row = OpeningBid.objects.get(bid_id=hall.entrants[0].bid_id)
    assert (row.decryption, row.cause) == (states.ROW_FAILED, states.CAUSE_BIDDER)
    assert len(row.evidence["refused_keys"]) == 2
    # Once failed, the right key no longer helps.
    assert _release(hall, 0).json()["code"] == "already_failed"


def test_a_key_for_someone_elses_bid_is_refused(hall):
    _decrypting(hall, 3)
    a, b = hall.entrants[0], hall.entrants[1]
    # A posts its own key to B's bid: not its bid.
    response = _release(hall, 0, bid_id=b.bid_id)
    assert response.status_code == 403 and response.json()["code"] == "not_your_bid"
    # A posts B's key (obtained somehow) to its own bid: not the committed key.
    response = _release(hall, 0, key=b.key_b64())
    assert response.status_code == 409 and response.json()["code"] == "key_mismatch"
    assert OpeningBid.objects.get(bid_id=b.bid_id).decryption == states.PENDING
    assert OpeningBid.objects.get(bid_id=a.bid_id).decryption == states.PENDING
    assert _release(hall, 1).json()["decryption"] == "decrypted"


def test_a_bid_sealed_so_that_it_does_not_open_is_revoked(hall):
    hall.add_bidder(tamper=True)  # signed by its bidder, accepted at upload, but broken inside
    session = _decrypting(hall, 2)
    answer = _release(hall, 0)
    assert answer.status_code == 200 and answer.json()["decryption"] == "failed"
    row = OpeningBid.objects.get(bid_id=hall.entrants[0].bid_id)
    assert (row.cause, row.reason_code) == (states.CAUSE_BIDDER, "tampered")
    for who in (1, 2):
        _release(hall, who)
    services.close_window(session_id=session.pk, principal=hall.cast.agency)
    row.refresh_from_db()
    assert row.classification == states.REVOKED


def _manifest_first(package: bytes) -> bytes:
    """The same members as ``pack`` writes them, but ``manifest.json`` first (another tool)."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(members, key=lambda m: m[0] != "manifest.json"):
            archive.writestr(name, content)
    return out.getvalue()


def test_a_package_laid_out_by_another_tool_is_stored_rewritten_without_raw_feature_codes(hall):
    entrant = hall.add_bidder(relay=_manifest_first)
    _decrypting(hall, 2)
    answer = _release(hall, 0)
    assert answer.status_code == 200 and answer.json()["decryption"] == "decrypted", answer.content
    row = OpeningBid.objects.get(bid_id=entrant.bid_id)
    assert row.package_document_id is not None
    with files.open_document(row.package_document_id) as handle:
        package = handle.read()
    assert hashlib.sha256(package).hexdigest() == row.package_sha256
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        names = [info.filename for info in archive.infolist()]
        contents = {name: archive.read(name) for name in names}
    assert names.count("manifest.json") == 1 and names[-1] == "manifest.json"
    assert json.loads(contents["manifest.json"]) == row.manifest
    assert contents["documents/price.pdf"].startswith(b"%PDF-")
    assert not any(entrant.mac.encode() in c or b"CPU-SERIAL" in c for c in contents.values())


def _stored_copy_changed(hall: Hall, change) -> OpeningBid:
    """The first bidder's stored envelope changed on the platform by ``change(path)`` after its
    receipt; then every bidder releases its key and the window closes. The first row, refreshed."""
    session = _decrypting(hall, 3)
    row = OpeningBid.objects.get(bid_id=hall.entrants[0].bid_id)
    with files.open_document(row.document_id) as stored:
        path = stored.name
    change(path)
    answer = _release(hall, 0)
    assert answer.json()["decryption"] == "failed"
    for who in (1, 2):
        _release(hall, who)
    services.close_window(session_id=session.pk, principal=hall.cast.agency)
    row.refresh_from_db()
    return row


def test_a_stored_copy_damaged_on_the_platform_counts_as_withdrawn(hall):
    def flip_a_byte(path: str) -> None:
        os.chmod(path, 0o600)
        with open(path, "r+b") as handle:
            handle.seek(-40, os.SEEK_END)
            byte = handle.read(1)
            handle.seek(-40, os.SEEK_END)
            handle.write(bytes([byte[0] ^ 0xFF]))

    row = _stored_copy_changed(hall, flip_a_byte)
    assert (row.cause, row.classification) == (states.CAUSE_PLATFORM, states.WITHDRAWN)
    assert row.evidence["stored_sha256"] != row.envelope_sha256


def test_a_stored_copy_missing_on_the_platform_counts_as_withdrawn(hall):
    row = _stored_copy_changed(hall, os.unlink)  # lost from storage after the receipt was given
    assert (row.cause, row.classification, row.reason_code) == (
        states.CAUSE_PLATFORM,
        states.WITHDRAWN,
        "storage_unreadable",
    )
    assert _opened_staged() == []


# --- T7: fewer than three bids --------------------------------------------------------------------


def test_fewer_than_three_bids_means_no_opening_and_a_re_tender(hall):
    session = _opened(hall, 2)
    assert session.status == states.FAILED_TOO_FEW
    assert session.bids_received == 2
    assert not OpeningBid.objects.exists()
    tender = projects.tender_summary(hall.tender.pk)
    assert tender.status == "failed"
    assert session.new_tender_id is not None
    assert projects.tender_summary(session.new_tender_id).previous_tender_id == hall.tender.pk
    # Bidders are named only to the centre and supervisors: they will bid again.
    assert not LedgerEvent.objects.filter(event="trading.tender.opened").exists()
    uscc = hall.entrants[0].bidder.organisation.uscc
    for client in (Client(), hall.signed_client("agency"), hall.entrants[1].client()):
        body = client.get(f"{API}/sessions/{session.pk}").content.decode()
        assert uscc not in body and "failed_bidders" not in body
    for who in ("supervisor", "staff"):
        view = hall.signed_client(who).get(f"{API}/sessions/{session.pk}").json()
        assert uscc in {b["uscc"] for b in view["failed_bidders"]}
    # The chronograph again: nothing more happens.
    assert services.open_due_sessions(hall.fixed.now() + timedelta(minutes=5)) == 0


# --- pause and resume, the chronograph, restart ---------------------------------------------------


def test_pause_keeps_the_window_and_refuses_keys_until_resumed(hall):
    session = _decrypting(hall, 3)
    hall.fixed.advance(timedelta(minutes=10))
    services.pause(principal=hall.cast.agency, session_id=session.pk, reason="网络故障")
    refused = _release(hall, 0)
    assert refused.status_code == 409 and refused.json()["code"] == "paused"
    assert _opened_staged() == []  # the decryption begun beside the refused arrival is discarded
    assert OpeningBid.objects.get(bid_id=hall.entrants[0].bid_id).released_at is None
    hall.fixed.advance(timedelta(hours=2))  # past the original window end
    assert services.open_due_sessions(hall.fixed.now()) == 0
    assert OpeningSession.objects.get(pk=session.pk).status == states.DECRYPTING
    resumed = services.resume(principal=hall.cast.agency, session_id=session.pk, reason="网络恢复")
    assert resumed.decryption_until == hall.fixed.now() + timedelta(minutes=session.decryption_minutes - 10)
    assert _release(hall, 0).json()["decryption"] == "decrypted"
    assert _opened_staged() == []  # stored by hard link, then the staged name discarded
    kinds = list(OpeningEvent.objects.filter(session=session, public=True).values_list("kind", flat=True))
    assert "paused" in kinds and "resumed" in kinds
    assert OutboxEntry.objects.filter(action="trading.opening.paused").count() == 1
    # Only the host pauses.
    with pytest.raises(PermissionDenied):
        services.pause(principal=hall.entrants[0].principal, session_id=session.pk, reason="x")


def test_the_chronograph_is_idempotent_and_resumes_from_the_database(hall):
    for _ in range(3):
        hall.add_bidder()
    hall.fixed.set(hall.tender.bid_deadline - timedelta(seconds=1))
    assert services.open_due_sessions(hall.fixed.now()) == 0
    assert not OpeningSession.objects.exists()
    hall.to_deadline()
    assert services.open_due_sessions(hall.fixed.now()) == 1
    assert services.open_due_sessions(hall.fixed.now()) == 0
    session = OpeningSession.objects.get()
    services.start_decryption(principal=hall.cast.staff, session_id=session.pk)
    # A key that arrived but whose decryption never finished (a crash): the platform's cause.
    row = OpeningBid.objects.get(bid_id=hall.entrants[0].bid_id)
    row.released_at = hall.fixed.now()
    row.save(update_fields=["released_at"])
    hall.fixed.set(OpeningSession.objects.get().decryption_until)
    assert services.open_due_sessions(hall.fixed.now()) == 1
    assert services.open_due_sessions(hall.fixed.now()) == 0
    row.refresh_from_db()
    assert (row.cause, row.classification) == (states.CAUSE_PLATFORM, states.WITHDRAWN)
    assert OpeningEvent.objects.filter(session=session, kind="window_closed").count() == 1


def test_guests_see_only_public_events(hall):
    session = _decrypting(hall, 3)
    for who in range(3):
        _release(hall, who)
    services.close_window(session_id=session.pk, principal=hall.cast.agency)
    guest = Client().get(f"{API}/sessions/{session.pk}/events").json()
    assert guest and all(e["public"] for e in guest)
    assert "sheet" not in {e["kind"] for e in guest}
    bidder = hall.entrants[0].client().get(f"{API}/sessions/{session.pk}/events").json()
    assert "sheet" in {e["kind"] for e in bidder}
    after = guest[1]["id"]
    assert [e["id"] for e in Client().get(f"{API}/sessions/{session.pk}/events?after={after}").json()] == [
        e["id"] for e in guest[2:]
    ]


# --- the bidder tool against the real server ------------------------------------------------------


def test_the_bidder_tool_releases_the_key_with_its_bids_scoped_token(hall):
    import httpx

    from yingshang.bidder.client import BidderClient
    from yingshang.bidder.errors import ServerRefused
    from yingshang.identity import services as identity_services
    from yingshang.kernel import clock

    _decrypting(hall, 3)
    entrant = hall.entrants[0]
    token = identity_services.create_api_token(
        user=entrant.bidder.user,
        name="yingshang-bidder",
        scopes=["bids:write"],
        expires_at=clock.wall_now() + timedelta(days=1),
        organisation=entrant.bidder.organisation,
    )

    class DjangoTransport(httpx.BaseTransport):
        """httpx over Django's test client (which keeps the test's database connection)."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            answer = Client().generic(
                request.method,
                request.url.raw_path.decode(),
                data=request.read(),
                content_type=request.headers.get("content-type", ""),
                HTTP_AUTHORIZATION=request.headers.get("authorization", ""),
            )
            return httpx.Response(answer.status_code, headers=dict(answer.items()), content=answer.content)

    client = BidderClient("http://testserver", token.plain, transport=DjangoTransport())
    with pytest.raises(ServerRefused) as refused:
        client.release_content_key(str(entrant.bid_id), os.urandom(32))
    assert refused.value.code == "key_mismatch"
    answer = client.release_content_key(str(entrant.bid_id), entrant.content_key)
    assert answer["decryption"] == "decrypted"
    assert OpeningBid.objects.get(bid_id=entrant.bid_id).released_by_id == entrant.bidder.user.pk


# --- custodian backup (k of n) --------------------------------------------------------------------


def test_custodians_decrypt_a_bid_whose_bidder_lost_its_key_each_step_recorded(hall):
    from yingshang import envelope
    from yingshang.identity.facade import get_organisation

    centre = get_organisation(hall.cast.staff.organisation_id)
    supervisor_org = hall.cast.supervisor_org
    # Shares 1 (the centre), 2 and 3 (the supervisor) of three, any two open the bid.
    custodians = [hall.custodian(centre), hall.custodian(supervisor_org), hall.custodian(supervisor_org)]
    hall.add_bidder(custodians=custodians, threshold=2)
    session = _decrypting(hall, 2)
    entrant = hall.entrants[0]
    header = envelope.read_header(__import__("io").BytesIO(entrant.data))

    def share_of(i: int) -> dict:
        found = envelope.unwrap_share(header, custodians[i].private_key)
        return {"index": found.index, "share": base64.b64encode(found.value).decode()}

    url = f"{API}/bids/{entrant.bid_id}/custodian-share"
    # A bidder is no custodian.
    denied = hall.entrants[1].client().post(url, share_of(0), content_type="application/json")
    assert denied.status_code == 403, denied.content
    staff, supervisor = hall.signed_client("staff"), hall.signed_client("supervisor")
    # Share 2 is in the supervisor's custody: the centre's staff may not submit it.
    other = staff.post(url, share_of(1), content_type="application/json")
    assert other.status_code == 403 and other.json()["code"] == "not_this_custodian"
    assert "金城市住房和城乡建设局" in other.json()["detail"]
    bad = {"index": share_of(1)["index"], "share": base64.b64encode(os.urandom(32)).decode()}
    first = staff.post(url, share_of(0), content_type="application/json")
    assert first.status_code == 200 and first.json()["decryption"] == "pending"
    assert staff.post(url, share_of(0), content_type="application/json").json()["code"] == "share_twice"
    # A wrong share does not open it; the third custodian's right one does.
    assert supervisor.post(url, bad, content_type="application/json").json()["decryption"] == "pending"
    done = supervisor.post(url, share_of(2), content_type="application/json")
    assert done.status_code == 200 and done.json()["decryption"] == "decrypted"
    row = OpeningBid.objects.get(bid_id=entrant.bid_id)
    assert row.evidence["backup"]["indexes"] == [1, 2, 3]
    assert not row.shares.exclude(value="").exists()  # no share value kept
    assert OutboxEntry.objects.filter(action="trading.opening.share_released").count() == 3
    assert OutboxEntry.objects.filter(action="trading.opening.backup_recovered").count() == 1
    # Its bidder cannot release again; the figures are hidden until the window closes.
    assert _release(hall, 0).json()["code"] == "already_decrypted"
    assert str(entrant.price_fen) not in Client().get(f"{API}/sessions/{session.pk}").content.decode()
    for who in (1, 2):
        _release(hall, who)
    services.close_window(session_id=session.pk, principal=hall.cast.agency)
    assert facade.opening_result(hall.tender.pk, hall.lot_id).bids[0].price_fen == entrant.price_fen


# --- the live stream's plug --------------------------------------------------------------------------


def test_each_step_wakes_the_stream_on_commit_and_the_stream_filters_by_audience(
    hall, django_capture_on_commit_callbacks
):
    from yingshang.trading.opening import views

    session = _decrypting(hall, 3)
    heard: list[tuple[str, int]] = []
    services.listeners.append(lambda channel, last: heard.append((channel, last)))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.sign_in(principal=hall.cast.agency, session_id=session.pk)
    finally:
        services.listeners.clear()
    last = OpeningEvent.objects.filter(session=session).latest("id").pk
    assert heard == [(f"opening:{session.pk}", last)]
    for who in range(3):
        _release(hall, who)
    services.close_window(session_id=session.pk, principal=hall.cast.agency)
    public = views.fetcher(session.pk, public_only=True)
    assert public is views.fetcher(session.pk, public_only=True)  # one function: shared reads
    guest_events = public(0)
    assert guest_events and "sheet" not in {e.event for e in guest_events}
    assert "sheet" in {e.event for e in views.fetcher(session.pk, public_only=False)(0)}
    ids = [e.id for e in guest_events]
    assert ids == sorted(ids) and [e.id for e in public(ids[2])] == ids[3:]
    response = Client().get(f"/trading/opening/{session.pk}/stream")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    response.close()


def test_a_key_whose_decryption_was_cut_short_by_a_crash_may_come_again(hall):
    session = _decrypting(hall, 3)
    row = OpeningBid.objects.get(bid_id=hall.entrants[0].bid_id)
    arrived = hall.fixed.now()
    row.released_at = arrived  # committed, then the process died before decrypting
    row.save(update_fields=["released_at"])
    hall.fixed.advance(timedelta(minutes=3))
    assert _release(hall, 0).json()["decryption"] == "decrypted"
    row.refresh_from_db()
    assert row.released_at == arrived
    assert OpeningSession.objects.get(pk=session.pk).status == states.DECRYPTING


# --- the coefficient draw (浮动系数抽取) ----------------------------------------------------------------


def test_the_coefficient_is_drawn_from_a_committed_seed_that_anyone_can_recompute(hall):
    from yingshang.draws import facade as draws
    from yingshang.ledger import facade as ledger

    session = _opened(hall)
    host = hall.signed_client("agency")
    values = ["0.95", "0.96", "0.97", "0.98", "0.99"]
    bad = host.post(
        f"{API}/sessions/{session.pk}/coefficient-draw",
        {"values": ["0.95", "3"]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "bad_coefficients"
    committed = host.post(
        f"{API}/sessions/{session.pk}/coefficient-draw", {"values": values}, content_type="application/json"
    ).json()
    assert committed["coefficient_values"] == values and committed["coefficient"] == ""
    again = host.post(
        f"{API}/sessions/{session.pk}/coefficient-draw", {"values": values}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["code"] == "coefficient_late"
    # Bidders cannot contribute; the supervisor can, until the beacon (a signed checkpoint) exists.
    refused = (
        hall.entrants[0]
        .client()
        .post(
            f"{API}/sessions/{session.pk}/coefficient-draw/contribution",
            {"value": "x"},
            content_type="application/json",
        )
    )
    assert refused.status_code == 403
    supervisor = hall.signed_client("supervisor")
    given = supervisor.post(
        f"{API}/sessions/{session.pk}/coefficient-draw/contribution",
        {"value": "监督员随机数 8317"},
        content_type="application/json",
    )
    assert given.status_code == 200, given.content
    # Before any checkpoint covers the commitment, nothing can be drawn.
    assert Client().post(f"{API}/sessions/{session.pk}/coefficient-draw/result").json()["coefficient"] == ""
    ledger.sequence_once()
    late = supervisor.post(
        f"{API}/sessions/{session.pk}/coefficient-draw/contribution",
        {"value": "late"},
        content_type="application/json",
    )
    assert late.status_code == 409 and late.json()["code"] == "beacon_fixed"
    services.open_due_sessions(hall.fixed.now())  # the chronograph's tick makes the draw
    drawn = Client().get(f"{API}/sessions/{session.pk}").json()
    assert drawn["coefficient"] in values
    # The published record recomputes to the same coefficient, with the supervisor's value in the seed.
    record = Client().get(f"/api/v1/draws/{drawn['coefficient_draw']}").json()
    checked = draws.verify_published(record, trusted_keys=[ledger.verifier_key()])
    assert checked.trusted and list(checked.draw.result) == [drawn["coefficient"]]
    assert len(record["contributions"]) == 1
    events = [e["kind"] for e in Client().get(f"{API}/sessions/{session.pk}/events").json()]
    assert "coefficient_committed" in events and "coefficient_drawn" in events
    # The draw cannot be made once decryption has started.
    services.start_decryption(principal=hall.cast.agency, session_id=session.pk)
    assert (
        services.opening_record(OpeningSession.objects.get(pk=session.pk))["coefficient"]
        == drawn["coefficient"]
    )


@pytest.mark.django_db(transaction=True)
def test_keys_released_at_the_same_moment_are_all_decrypted_and_counted(hall):
    """Arrivals share the session's lock and decryptions run beside them: three bidders releasing
    at once each get their bid decrypted, once, and the hall's last count says so."""
    import contextvars
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    session = _decrypting(hall, 3)
    together = threading.Barrier(3)

    def release(entrant):
        try:
            together.wait(timeout=30)
            return services.release_key(
                principal=entrant.principal, bid_id=entrant.bid_id, content_key=entrant.key_b64()
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=3) as pool:
        # Each thread runs in a copy of this context: the domain clock the hall fixed.
        futures = [pool.submit(contextvars.copy_context().run, release, e) for e in hall.entrants]
        rows = [future.result(timeout=120) for future in futures]
    assert [row.decryption for row in rows] == ["decrypted"] * 3
    for action in ("trading.opening.key_released", "trading.opening.bid_decrypted"):
        assert OutboxEntry.objects.filter(action=action).count() == 3
    progress = OpeningEvent.objects.filter(session=session, kind="decryption_progress").order_by("pk")
    last = progress.last()
    assert last is not None and last.data == {"bids": 3, "decrypted": 3, "failed": 0, "pending": 0}
    assert sorted(event.data["decrypted"] for event in progress) == [1, 2, 3]
    assert _opened_staged() == []


def test_a_decryption_waits_while_every_slot_of_the_process_is_taken(hall):
    """``OPENING_DECRYPTIONS_AT_ONCE`` (default 1) bounds the bids a process decrypts at once: while
    the one slot is taken (as by another bid's decryption), a matched key's decryption waits and
    writes nothing; once the slot is free it runs to its end."""
    _decrypting(hall, 3)
    entrant = hall.entrants[0]
    row = OpeningBid.objects.get(bid_id=entrant.bid_id)
    slots = services._stream_slots()
    assert slots.acquire(blocking=False)  # the only slot: nothing else is decrypting
    try:
        decryption = services._Decryption(row, entrant.content_key)
        thread = decryption._thread
        assert thread is not None
        thread.join(timeout=0.5)  # long enough for a 64 KiB bid to be decrypted, were it not waiting
        assert thread.is_alive()
        assert _opened_staged() == []
    finally:
        slots.release()
    outcome = decryption.finish(entrant.principal)
    assert outcome.ok and outcome.figures is not None
    assert outcome.figures["price_fen"] == entrant.price_fen
    assert _opened_staged() == []
