"""Evidence bundles: one JSON file proving a subject's entries are in the log.

Format ``yingshang-evidence-bundle/1`` (checked offline by ``verifier.verify_bundle``, by
``yingshang ledger verify-bundle FILE`` and by the standalone ``verifier.py``)::

    {"format": "yingshang-evidence-bundle/1", "origin": ..., "verifier_key": ...,
     "checkpoint": <signed note, with the witnesses' cosignature lines>,
     "cosignatures": [<witness verifier keys>],
     "subject": {"context", "type", "id"} | null,
     "entries": [{"index": n, "entry": <canonical JSON text>, "proof": [<base64 hash>, ...]}]}

Only entries the principal may read go in; every proof is against the latest checkpoint, and
``verifier_key`` is the key that signed that checkpoint (after a key rotation, possibly an older
key of the history: ``keyring``).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from yingshang.kernel.errors import InvalidInput, NotFound
from yingshang.kernel.policy import Principal
from yingshang.ledger import keyring, selectors, services, verifier
from yingshang.ledger.contracts import Subject
from yingshang.ledger.models import Checkpoint
from yingshang.ledger.verifier import BUNDLE_FORMAT
from yingshang.ledger.witnesses import cosigned_note

__all__ = ["OPERATOR", "build_bundle", "checkpoint_key", "checkpoint_sm2_key", "parse_subject"]

#: The operator at the command line: reads everything (like a superuser).
OPERATOR = Principal(user_id=None, organisation_id=None, roles=frozenset(), is_superuser=True)


def parse_subject(text: str) -> Subject:
    """``context:type:id`` -> Subject. Raises ``InvalidInput``."""
    parts = (text or "").strip().split(":", 2)
    if len(parts) != 3 or not all(parts):
        message = str(_("Name the subject as context:type:id, e.g. identity:organisation:7."))
        raise InvalidInput(
            message, details=[{"field": "subject", "code": "invalid_subject", "message": message}]
        )
    return Subject(*parts)


def checkpoint_key(checkpoint: Checkpoint) -> str:
    """The verifier key that signed ``checkpoint``: the key of the history whose id it records
    (the current key when there is no history or it does not name that id)."""
    current = services.verifier_key()
    try:
        periods = keyring.history(origin=services.origin(), current=current)
    except keyring.KeyHistoryError:
        return current
    by_id = [p for p in periods if p.key_id == checkpoint.key_id]
    if by_id:
        return by_id[-1].verifier_key
    period = keyring.key_for_size(periods, checkpoint.size)
    return period.verifier_key if period is not None else current


def checkpoint_sm2_key(checkpoint: Checkpoint) -> str | None:
    """The configured SM2 verifier key if ``checkpoint`` carries its signature, else None."""
    try:
        signer = keyring.sm2_signer(services.origin())
    except keyring.SM2KeyError:
        return None
    if signer is None:
        return None
    _body, signatures = verifier.split_note(checkpoint.note)
    if any((s.name, s.key_id) == (signer.name, signer.key_id) for s in signatures):
        return signer.verifier_key
    return None


def build_bundle(
    *, subject: Subject | None, indexes: Sequence[int] | None = None, principal: Principal
) -> dict[str, Any]:
    """The bundle of ``subject``'s entries (or of ``indexes``) that ``principal`` may read, with
    inclusion proofs against the latest checkpoint. Entries sequenced after that checkpoint are
    left out (the next bundle will have them). Raises ``NotFound`` before the first checkpoint."""
    if subject is None and indexes is None:
        raise InvalidInput(_("Name a subject or the entries' indexes."))
    checkpoint = selectors.latest_checkpoint()
    if checkpoint is None or checkpoint.size == 0:
        raise NotFound(_("The ledger has no signed checkpoint with entries yet."))
    size = checkpoint.size
    candidates = selectors.subject_entries(subject) if subject is not None else []
    if indexes is not None:
        wanted = set(indexes)
        if subject is not None:
            candidates = [e for e in candidates if e.index in wanted]
        else:
            candidates = selectors.entries_at(wanted)
    candidates = [e for e in candidates if e.index < size]
    cosignatures = selectors.cosignatures_of(checkpoint)
    sm2_key = checkpoint_sm2_key(checkpoint)
    return {
        **({"sm2_verifier_key": sm2_key} if sm2_key else {}),
        "format": BUNDLE_FORMAT,
        "origin": services.origin(),
        "verifier_key": checkpoint_key(checkpoint),
        "checkpoint": cosigned_note(checkpoint, cosignatures),
        "cosignatures": [c.witness.verifier_key for c in cosignatures],
        "subject": subject.as_json() if subject is not None else None,
        "entries": [
            {
                "index": entry.index,
                "entry": entry.entry,
                "proof": [
                    base64.b64encode(h).decode("ascii") for h in selectors.inclusion_proof(entry.index, size)
                ],
            }
            for entry in selectors.visible_entries(principal, candidates)
        ],
    }
