"""The demo's sealed bids: made exactly as a bidder makes them, with the bidder tool's library
(pack the documents with the opening sheet and feature codes, seal to the bidder's own
encryption certificate, sign with its signing certificate) and uploaded chunk by chunk through
the bids context.

- 金城市南山路综合管廊工程 (closed for bids): ``bidder01``, ``bidder02`` and ``bidder03`` submitted
  before the deadline (``bidder02`` replaced its first bid with a corrected one), ``bidder05``
  submitted and withdrew, ``bidder04``'s upload arrived two minutes after the deadline and was
  refused as late. ``bidder02`` and ``bidder03`` share a network card address and a document
  author: a collusion sign for the checks at the opening.
- 金城市黄河风情线景观提升工程 (open): ``bidder01`` and ``bidder02`` have submitted; any other
  bidder can submit with the bidder tool (README).

The sealed envelopes and their content-key files stay under ``var/demo-pki/<username>/bids/``
so the bidders can release their keys at the opening. Idempotent: an upload already made (its
idempotency key known) is not made again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pypdf import PdfWriter

from yingshang.bidder import features
from yingshang.bidder.packing import OpeningSheet, pack
from yingshang.bidder.sealing import seal_package
from yingshang.demo import pki
from yingshang.identity import facade as identity
from yingshang.kernel import clock
from yingshang.kernel.errors import DomainError
from yingshang.trading.bids import facade as bids
from yingshang.trading.projects import facade as projects

CLOSED = "金城市南山路综合管廊工程"
#: Closed earlier: evaluated, its candidates in publicity now.
IN_PUBLICITY = "金城市安宁区排洪沟综合治理工程"
#: Closed long ago: awarded, contract signed, reported to the supervisor.
AWARDED = "金城市北环路立交桥加固工程"
#: Every demo tender whose opening the demo runs to its signed record.
OPENED = (CLOSED, IN_PUBLICITY, AWARDED)
OPEN = "金城市黄河风情线景观提升工程"
#: Its bid deadline (and opening) comes a few minutes after the demo is loaded.
CLOSING_SOON = "金城市西固区集中供热管网改造工程"

#: username -> (price in fen, duration in days, project manager, document author, network card)
SHEETS: dict[str, tuple[int, int, str, str, str]] = {
    "bidder01": (8_936_512_300, 540, "赵建国", "赵建国", "52:54:00:1a:01:01"),
    "bidder02": (9_012_880_000, 520, "钱立新", "王工", "52:54:00:1a:02:02"),
    "bidder03": (9_013_100_000, 525, "孙海涛", "王工", "52:54:00:1a:02:02"),
    "bidder04": (8_870_000_000, 560, "李明辉", "李明辉", "52:54:00:1a:04:04"),
    "bidder05": (9_105_000_000, 500, "周德胜", "周德胜", "52:54:00:1a:05:05"),
}


def tender_named(name: str) -> int | None:
    for tender_id in projects.public_tender_ids(limit=100):
        if projects.tender_summary(tender_id).title == name:
            return tender_id
    return None


def _fake_machine(root: Path, username: str, mac: str) -> features.Sources:
    """The bidder's own computer, as the bidder tool would read it (the demo runs on one server)."""
    (root / "net" / "eth0").mkdir(parents=True)
    (root / "net" / "eth0" / "address").write_text(mac + "\n")
    (root / "cpuinfo").write_text(f"model name\t: Intel(R) Core(TM) i7-12700 ({username})\n")
    (root / "disks").mkdir()
    (root / "disks" / f"ata-DEMO_SSD_{hashlib.sha256(username.encode()).hexdigest()[:12]}").write_text("")
    (root / "machine-id").write_text(hashlib.md5(username.encode(), usedforsecurity=False).hexdigest() + "\n")
    return features.Sources(
        net=root / "net",
        cpuinfo=root / "cpuinfo",
        disks=root / "disks",
        machine_id=root / "machine-id",
        use_getnode=False,
    )


def _proposal(path: Path, *, title: str, author: str) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata(
        {"/Title": title, "/Author": author, "/Creator": "WPS Office", "/Producer": "WPS Office"}
    )
    with path.open("wb") as out:
        writer.write(out)


def _sealed(
    keys: pki.BidderKeys, *, tender_id: int, lot_id: int, uscc: str, label: str, price_fen: int
) -> bytes:
    username = keys.username
    _, duration, manager, author, mac = SHEETS[username]
    folder = keys.folder / "bids"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    envelope_path = folder / f"tender-{tender_id}-lot-{lot_id}-{label}.sealed"
    if not envelope_path.exists():
        with tempfile.TemporaryDirectory() as work:
            root = Path(work)
            documents = root / "documents"
            documents.mkdir()
            _proposal(documents / "技术标.pdf", title="技术标", author=author)
            _proposal(documents / "商务标.pdf", title="商务标", author=author)
            package = root / "bid.zip"
            pack(
                [documents],
                package,
                tender=str(tender_id),
                lot=str(lot_id),
                bidder=uscc,
                sheet=OpeningSheet(
                    price_fen=price_fen, duration_days=duration, quality="合格", project_manager=manager
                ),
                sources=_fake_machine(root / "machine", username, mac),
            )
            seal_package(
                package,
                envelope_path,
                signer_key=keys.signing.private_key,
                signer_chain=keys.signing.chain,
                encryption_certificate=keys.encryption.der,
            )
    return envelope_path.read_bytes()


def _submit(
    keys: pki.BidderKeys,
    *,
    user_id: int,
    organisation_id: int,
    tender_id: int,
    lot_id: int,
    label: str,
    at: dt.datetime,
    deadline: dt.datetime | None = None,
    price_fen: int | None = None,
) -> int | None:
    """Seal and upload one bid on the clock ``at``; the bid's id (None when refused)."""
    key = f"demo-{keys.username}-{tender_id}-{lot_id}-{label}"
    if bids.has_upload(organisation_id=organisation_id, idempotency_key=key):
        return bids.bid_of_upload(organisation_id=organisation_id, idempotency_key=key)
    organisation = identity.get_organisation(organisation_id)
    assert organisation is not None
    data = _sealed(
        keys,
        tender_id=tender_id,
        lot_id=lot_id,
        uscc=organisation.uscc,
        label=label,
        price_fen=price_fen or SHEETS[keys.username][0],
    )
    principal = identity.principal_for_user(identity.get_user(user_id), organisation_id=organisation_id)
    # The upload starts at ``at`` (or five minutes before it when ``at`` is after the deadline:
    # a last chunk that arrives late is refused, and the refusal is on record).
    started = min(at, deadline - dt.timedelta(minutes=5)) if deadline is not None else at
    with clock.use(clock.FixedClock(started)):
        try:
            receipt = bids.submit_envelope(
                principal=principal,
                tender_id=tender_id,
                lot_id=lot_id,
                data=data,
                idempotency_key=key,
                last_chunk_at=lambda: clock.use(clock.FixedClock(at)),
            )
        except DomainError:
            return None
    return int(receipt["receipt"]["bid_id"])


class DemoBids:
    """The demo bidders' certificates (made at once) and their bids, placed as each tender is
    published on the projects demo's rehearsed clock (:meth:`on_published`), so every bid
    arrives while its tender is open."""

    def __init__(
        self, *, organisations: Mapping[str, int], users: Mapping[str, int], people: Mapping[str, str]
    ):
        self.organisations, self.users, self.people = organisations, users, people
        vendors = pki.ensure_trust_store()
        now = clock.now()
        self.keys: dict[str, pki.BidderKeys] = {}
        for n, (username, org_key) in enumerate(sorted(people.items())):
            organisation = identity.get_organisation(organisations[org_key])
            assert organisation is not None
            self.keys[username] = pki.bidder_keys(
                username,
                organisation.name,
                organisation.uscc,
                vendors[n % len(vendors)],
                algorithm=pki.VENDORS[n % len(pki.VENDORS)][4],
                now=now - dt.timedelta(days=120),
            )
        self.made = 0

    def _submit(
        self, username: str, tender_id: int, lot_id: int, label: str, at: dt.datetime, **kw: int
    ) -> int | None:
        bid_id = _submit(
            self.keys[username],
            deadline=projects.tender_summary(tender_id).bid_deadline,
            user_id=self.users[username],
            organisation_id=self.organisations[self.people[username]],
            tender_id=tender_id,
            lot_id=lot_id,
            label=label,
            at=at,
            **kw,
        )
        self.made += bid_id is not None
        return bid_id

    def on_published(self, tender_id: int, until: dt.datetime) -> None:
        """Right after a tender's publication (on its clock): its demo bids, each only if its
        moment is not after ``until`` (the real present)."""
        tender = projects.tender_summary(tender_id)
        if tender.bid_deadline is None or not tender.lot_ids or tender.published_at is None:
            return
        lot, deadline, published = tender.lot_ids[0], tender.bid_deadline, tender.published_at
        if tender.title == CLOSED:
            plan: list[tuple[str, str, dt.datetime, dict[str, int]]] = [
                ("bidder05", "v1", deadline - dt.timedelta(days=3), {}),
                ("bidder01", "v1", deadline - dt.timedelta(days=2, hours=3), {}),
                ("bidder02", "v1", deadline - dt.timedelta(days=1, hours=5), {"price_fen": 9_080_000_000}),
                ("bidder02", "v2", deadline - dt.timedelta(hours=20), {}),
                ("bidder03", "v1", deadline - dt.timedelta(hours=2, minutes=17), {}),
                ("bidder04", "v1", deadline + dt.timedelta(minutes=2), {}),
            ]
        elif tender.title == CLOSING_SOON:
            plan = [
                ("bidder01", "v1", published + dt.timedelta(days=3, hours=2), {"price_fen": 4_712_300_000}),
                ("bidder02", "v1", published + dt.timedelta(days=8, hours=5), {"price_fen": 4_698_000_000}),
                ("bidder03", "v1", published + dt.timedelta(days=15, hours=1), {"price_fen": 4_735_560_000}),
                ("bidder04", "v1", published + dt.timedelta(days=21, hours=4), {"price_fen": 4_689_900_000}),
            ]
        elif tender.title == IN_PUBLICITY:
            plan = [
                ("bidder01", "v1", published + dt.timedelta(days=12, hours=3), {"price_fen": 5_536_870_000}),
                ("bidder02", "v1", published + dt.timedelta(days=20, hours=1), {"price_fen": 5_612_400_000}),
                ("bidder03", "v1", published + dt.timedelta(days=26, hours=6), {"price_fen": 5_498_300_000}),
                ("bidder05", "v1", published + dt.timedelta(days=33, hours=2), {"price_fen": 5_701_150_000}),
            ]
        elif tender.title == AWARDED:
            plan = [
                ("bidder01", "v1", published + dt.timedelta(days=9, hours=4), {"price_fen": 6_088_240_000}),
                ("bidder03", "v1", published + dt.timedelta(days=17, hours=2), {"price_fen": 6_143_000_000}),
                ("bidder04", "v1", published + dt.timedelta(days=24, hours=7), {"price_fen": 6_010_560_000}),
                ("bidder05", "v1", published + dt.timedelta(days=30, hours=3), {"price_fen": 6_197_800_000}),
            ]
        elif tender.title == OPEN:
            plan = [
                ("bidder01", "v1", published + dt.timedelta(days=1, hours=2), {}),
                ("bidder02", "v1", published + dt.timedelta(days=2, hours=6), {}),
            ]
        else:
            return
        for username, label, at, kw in sorted(plan, key=lambda step: step[2]):
            if at > until:
                continue
            bid_id = self._submit(username, tender_id, lot, label, at, **kw)
            if username == "bidder05" and bid_id is not None and bids.bid_status(bid_id) == "submitted":
                withdrawn_at = deadline - dt.timedelta(days=1)
                if withdrawn_at <= until:
                    self._withdraw(username, bid_id, withdrawn_at)

    def note_open_tender(self) -> None:
        """Write the ids of the open demo tender (``var/demo-pki/open-tender.txt``) and of the one
        closing a few minutes after loading (``closing-soon-tender.txt``): README uses them."""
        for title, name in ((OPEN, "open-tender.txt"), (CLOSING_SOON, "closing-soon-tender.txt")):
            tender_id = tender_named(title)
            if tender_id is None:
                continue
            lots = projects.tender_summary(tender_id).lot_ids
            pki.root_dir().mkdir(parents=True, exist_ok=True)
            (pki.root_dir() / name).write_text(f"TENDER_ID={tender_id}\nLOT_ID={lots[0]}\n")

    def _withdraw(self, username: str, bid_id: int, at: dt.datetime) -> None:
        principal = identity.principal_for_user(
            identity.get_user(self.users[username]), organisation_id=self.organisations[self.people[username]]
        )
        with clock.use(clock.FixedClock(at)):
            bids.withdraw_bid(principal=principal, bid_id=bid_id, reason="报价测算有误，放弃本次投标")
