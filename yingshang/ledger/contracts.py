"""What callers hand to and get from the evidence ledger. Pure: no Django.

``record(*, action, actor, subject, data, visibility) -> EntryPromise`` (in ``facade``) takes
these; docs/ledger.md documents every field and the entry format built from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

#: JSON values a caller may put in ``data``: plus Decimal (-> string), datetime/date (-> RFC 3339
#: / ISO date), bytes (-> base64), tuples (-> arrays). Anything else is refused.
JSON = Any


@dataclass(frozen=True)
class Actor:
    """Who did it: a user acting for an organisation in a role, the platform itself, or a guest."""

    kind: Literal["user", "system", "guest"]
    user_id: int | None = None
    organisation_id: int | None = None
    role: str | None = None
    name: str | None = None  # for system actors: "chronograph", "sequencer", "demo", ...

    @classmethod
    def user(cls, user_id: int, *, organisation_id: int | None = None, role: str | None = None) -> Actor:
        return cls("user", user_id=user_id, organisation_id=organisation_id, role=role)

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls("system", name=name)

    @classmethod
    def guest(cls) -> Actor:
        return cls("guest")

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for key in ("user_id", "organisation_id", "role", "name"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class Subject:
    """What it was done to: (context, type, id), e.g. ("trading", "bid", "1234")."""

    context: str
    type: str
    id: str

    def as_json(self) -> dict[str, str]:
        return {"context": self.context, "type": self.type, "id": str(self.id)}


@dataclass(frozen=True)
class Visibility:
    """Who may read the entry itself (everyone may see its leaf hash and proofs).

    - ``public``: everyone, now.
    - ``public_from``: everyone once ``event`` has happened for ``subject`` (e.g. the opening of
      a tender); before that, the parties and oversight only.
    - ``parties``: the users and organisations named, plus oversight (supervisors, auditors,
      centre staff where ``centre`` is true).
    - ``oversight``: supervisors and auditors (and centre staff where ``centre`` is true).
    """

    kind: Literal["public", "public_from", "parties", "oversight"]
    user_ids: tuple[int, ...] = ()
    organisation_ids: tuple[int, ...] = ()
    event: str | None = None
    event_subject: Subject | None = None
    centre: bool = True

    @classmethod
    def public(cls) -> Visibility:
        return cls("public")

    @classmethod
    def public_from(
        cls,
        event: str,
        subject: Subject,
        *,
        user_ids: Iterable[int] = (),
        organisation_ids: Iterable[int] = (),
        centre: bool = True,
    ) -> Visibility:
        return cls(
            "public_from",
            user_ids=tuple(user_ids),
            organisation_ids=tuple(organisation_ids),
            event=event,
            event_subject=subject,
            centre=centre,
        )

    @classmethod
    def parties(
        cls, *, user_ids: Iterable[int] = (), organisation_ids: Iterable[int] = (), centre: bool = True
    ) -> Visibility:
        return cls(
            "parties", user_ids=tuple(user_ids), organisation_ids=tuple(organisation_ids), centre=centre
        )

    @classmethod
    def oversight(cls, *, centre: bool = True) -> Visibility:
        return cls("oversight", centre=centre)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.user_ids:
            out["user_ids"] = sorted(self.user_ids)
        if self.organisation_ids:
            out["organisation_ids"] = sorted(self.organisation_ids)
        if self.event is not None:
            out["event"] = self.event
        if self.event_subject is not None:
            out["event_subject"] = self.event_subject.as_json()
        if not self.centre:
            out["centre"] = False
        return out


@dataclass(frozen=True)
class EntryPromise:
    """Returned by ``record()`` at once: the log's signed promise to include the entry.

    ``signature`` is the platform's Ed25519 signature over the promise text (docs/ledger.md),
    so a bid receipt can carry it before the sequencer has run.
    """

    entry_hash: str  # hex SHA-256 leaf hash (RFC 9162: SHA-256(0x00 || entry))
    time: datetime  # the entry's time (UTC)
    origin: str  # the log's origin line
    key_id: str  # the signing key's id
    signature: str  # base64
    outbox_id: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Beacon:
    """The first signed checkpoint whose tree includes a given entry (``facade.beacon_for``).

    Its root hash could not be known before that entry was recorded (the entry carries a random
    salt and the root depends on it), so draws use it as the value fixed only after their
    commitment (docs/draws.md). ``proof`` is the entry's RFC 9162 inclusion proof in that tree.
    """

    size: int  # the checkpoint's tree size
    root: bytes  # its root hash (32 bytes)
    note: str  # the signed checkpoint note, exactly as signed (without witness cosignatures)
    entry_index: int  # the entry's leaf index (< size)
    proof: tuple[bytes, ...]  # inclusion proof of the entry at entry_index in the tree of `size`
    verifier_key: str  # the signed-note verifier key that signed the checkpoint
    created_at: datetime  # when the checkpoint was signed
