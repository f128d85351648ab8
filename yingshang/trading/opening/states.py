"""States of an opening session (开标) and of each bid's row. Pure: no Django.

Session::

    scheduled --(bid deadline, chronograph; >= 3 bids)--> signing_in
    scheduled --(bid deadline; fewer than 3 bids received, T7)--> failed_too_few   (re-tender)
    signing_in --(host starts the decryption window)--> decrypting
    decrypting --(window end: chronograph, or the host once every key is in)--> decrypted
    decrypted --(host puts the opening record to the bidders)--> confirming
    confirming --(host finishes)--> finished

``paused`` is a flag beside the status (with a reason and the time): while paused nothing moves,
the chronograph included, and the decryption window's remaining time is kept.

Row (one per submitted bid): decryption ``pending -> decrypted | failed``; a failed (or never
released) row is classified at the window's close (电子招标投标办法 art. 31): caused by the bidder:
``revoked`` (撤销); otherwise ``withdrawn`` (撤回).
"""

from __future__ import annotations

SCHEDULED = "scheduled"
SIGNING_IN = "signing_in"
DECRYPTING = "decrypting"
DECRYPTED = "decrypted"
CONFIRMING = "confirming"
FINISHED = "finished"
FAILED_TOO_FEW = "failed_too_few"

SESSION_STATUSES: tuple[str, ...] = (
    SCHEDULED,
    SIGNING_IN,
    DECRYPTING,
    DECRYPTED,
    CONFIRMING,
    FINISHED,
    FAILED_TOO_FEW,
)
FINAL: frozenset[str] = frozenset({FINISHED, FAILED_TOO_FEW})
#: Statuses in which the bids' content (the opening sheet) may be shown to the hall.
SHEET_VISIBLE: frozenset[str] = frozenset({DECRYPTED, CONFIRMING, FINISHED})

TRANSITIONS: dict[str, frozenset[str]] = {
    SCHEDULED: frozenset({SIGNING_IN, FAILED_TOO_FEW}),
    SIGNING_IN: frozenset({DECRYPTING}),
    DECRYPTING: frozenset({DECRYPTED}),
    DECRYPTED: frozenset({CONFIRMING}),
    CONFIRMING: frozenset({FINISHED}),
    FINISHED: frozenset(),
    FAILED_TOO_FEW: frozenset(),
}

# Row decryption
PENDING = "pending"
ROW_DECRYPTED = "decrypted"
ROW_FAILED = "failed"
DECRYPTION_STATUSES: tuple[str, ...] = (PENDING, ROW_DECRYPTED, ROW_FAILED)

# Failure cause and classification (art. 31)
CAUSE_BIDDER = "bidder"
CAUSE_PLATFORM = "platform"
REVOKED = "revoked"  # 撤销: caused by the bidder (deposit consequence, T16)
WITHDRAWN = "withdrawn"  # 撤回: any other cause

# Confirmation of a row by its bidder
UNCONFIRMED = "unconfirmed"
CONFIRMED = "confirmed"
OBJECTED = "objected"

#: The least number of bids for an opening (T7: 法 28, 条例 44).
MIN_BIDS = 3


def may_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def classification_of(cause: str) -> str:
    """Art. 31: a failure caused by the bidder counts as revoked; any other as withdrawn."""
    return REVOKED if cause == CAUSE_BIDDER else WITHDRAWN


#: Envelope error codes that are the sealed file's own doing when the stored bytes are exactly
#: those the receipt names (the bidder sealed it so): the bidder's cause.
BIDDER_ENVELOPE_ERRORS: frozenset[str] = frozenset(
    {
        "bad_signature",
        "tampered",
        "chunk_order",
        "truncated",
        "trailing_data",
        "hash_mismatch",
        "malformed_header",
        "commitment_mismatch",
        "algorithm_mismatch",
        "unsupported_algorithm",
        "bad_certificate",
        "weak_key",
    }
)
