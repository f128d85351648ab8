"""The bids context's evidence: ledger action codes, ledgered aggregates, subjects, visibility.

Who bid is secret until the opening (电子招标投标办法 art. 28 ff.; before the opening no one but
the platform knows which enterprises intend to bid): every entry about a bid is readable by the
bidder's organisation and by oversight now, and by everyone once the tender's opening has
happened (``trading.tender.opened``, marked by the opening hall).
"""

from __future__ import annotations

from typing import Any

from yingshang.kernel.policy import Principal
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Subject, Visibility

SUBMITTED = "trading.bid.submitted"
REPLACED = "trading.bid.replaced"
WITHDRAWN = "trading.bid.withdrawn"
REFUSED = "trading.bid.refused"
LIMIT_SET = "trading.bid.limit_set"

OPENED_EVENT = "trading.tender.opened"

ACTIONS: dict[str, tuple[str, str]] = {
    SUBMITTED: ("递交密封投标文件", "Sealed bid submitted"),
    REPLACED: ("投标文件被新递交的文件替换", "Bid replaced by a newer submission"),
    WITHDRAWN: ("撤回投标文件", "Bid withdrawn"),
    REFUSED: ("拒收投标文件", "Bid upload refused"),
    LIMIT_SET: ("设置投标文件大小上限", "Sealed bid size limit set"),
}


def bid_subject(bid: Any) -> Subject:
    return Subject("trading", "bid", str(bid.pk))


def upload_subject(upload: Any) -> Subject:
    return Subject("trading", "bid_upload", str(upload.public_id))


def limit_subject(limit: Any) -> Subject:
    return Subject("trading", "bid_limit", str(limit.pk))


def tender_subject(tender_id: int) -> Subject:
    return Subject("trading", "tender", str(tender_id))


def secret_until_opening(*, tender_id: int, organisation_id: int) -> Visibility:
    return Visibility.public_from(
        OPENED_EVENT, tender_subject(tender_id), organisation_ids=(organisation_id,), centre=False
    )


def actor_of(principal: Principal) -> Actor:
    if principal.user_id is None:
        return Actor.system("bids")
    roles = ",".join(sorted(principal.roles)) or None
    return Actor.user(principal.user_id, organisation_id=principal.organisation_id, role=roles)


def register() -> None:
    from yingshang.trading.bids.models import Bid, BidLimit

    for code, (zh, en) in ACTIONS.items():
        ledger.register_action(code, zh, en)
    ledger.ledgered(
        Bid,
        fields=(
            "tender_id",
            "lot_id",
            "organisation_id",
            "envelope_sha256",
            "ciphertext_sha256",
            "key_commitment",
            "size",
            "status",
        ),
        subject=bid_subject,
    )
    ledger.ledgered(BidLimit, fields=("tender_id", "max_bytes"), subject=limit_subject)
