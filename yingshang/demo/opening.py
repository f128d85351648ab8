"""The demo's openings: the closed tender's (南山路) run to its signed record on the clock of its
deadline, with the demo bidders' own content keys (from var/demo-pki/<user>/bids/); the tender
closing a few minutes after loading (西固区供热) is left to the chronograph, so a newcomer can
watch it open live and play host and bidders (docs/demo.md)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from yingshang.bidder.sealing import read_key_file
from yingshang.demo import pki
from yingshang.demo.bids import CLOSED, OPENED, tender_named
from yingshang.trading.opening import facade as opening

OBJECTION = (
    "bidder03",
    "我方开标一览表工期为525日历天，记录表显示无误，但质量承诺应为“合格”，请主持人核对。",
    "经核对解密后的投标文件，贵方质量承诺为“合格”，开标记录表载明一致，记录无误。",
)


def _keys(username: str) -> list[bytes]:
    folder = pki.root_dir() / username / "bids"
    return (
        [read_key_file(Path(path)) for path in sorted(folder.glob("*.sealed.key"))] if folder.exists() else []
    )


def ensure_openings(
    *, users: Mapping[str, int], organisations: Mapping[str, int], people: Mapping[str, str]
) -> int:
    """Finish the closed demo tenders' openings (idempotent); how many openings were run."""
    bidders = {
        organisations[org_key]: (users[username], _keys(username))
        for username, org_key in sorted(people.items())
    }
    done = 0
    for title in OPENED:
        tender_id = tender_named(title)
        if tender_id is None:
            continue
        done += opening.ensure_demo_opening(
            tender_id=tender_id,
            host_user_id=users["agency"],
            supervisor_user_id=users["supervisor"],
            bidders=bidders,
            objection=(
                (organisations[people[OBJECTION[0]]], OBJECTION[1], OBJECTION[2]) if title == CLOSED else None
            ),
        )
    return done
