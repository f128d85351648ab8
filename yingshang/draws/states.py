"""The states of a draw. Pure: no Django.

``prepared`` (committed in the ledger, secret kept) -> ``performed`` (result drawn, secret
revealed). There is no way back and no other state.
"""

from __future__ import annotations

PREPARED = "prepared"
PERFORMED = "performed"

CHOICES = [(PREPARED, "prepared"), (PERFORMED, "performed")]

TRANSITIONS: dict[str, frozenset[str]] = {PREPARED: frozenset({PERFORMED}), PERFORMED: frozenset()}


def can_move(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())
