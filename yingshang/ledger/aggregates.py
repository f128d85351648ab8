"""Tamper detection for ledgered aggregates.

A context declares each aggregate whose changes must be provable::

    ledgered(Organisation, fields=("kind", "name", "uscc", "division", "is_active"),
             subject=lambda org: Subject("identity", "organisation", str(org.pk)))

and records every change through :func:`record_change` in the same transaction as the write.
The entry's data then holds ``{"digest": <hex SHA-256 of the fields' canonical JSON>,
"fields": {...}}`` and the row keeps the entry's leaf hash in ``ledger_entry_hash`` (a
``CharField(max_length=64, blank=True)`` every ledgered model adds).

:func:`audit` recomputes the digest of every current row and compares it with the entry its
``ledger_entry_hash`` names (in the log, or still in the outbox): a row edited behind the
services' back, or inserted without them, is reported with its table, primary key, the fields
that differ and the entry it disagrees with. It also reads each aggregate's history in the
ledger: a subject whose last change entry says it exists (a ``record_change`` entry, not one of
the aggregate's declared ``deletions`` actions) but whose row is gone was deleted behind the
services' back, and is reported with the entry it disagrees with. ``yingshang ledger audit``
prints the findings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785
from django.core.exceptions import ValidationError
from django.db import models

from yingshang.ledger.contracts import JSON, Actor, EntryPromise, Subject, Visibility
from yingshang.ledger.entry import to_json_value
from yingshang.ledger.merkle import leaf_hash
from yingshang.ledger.models import LogEntry, OutboxEntry
from yingshang.ledger.services import record

__all__ = [
    "Finding",
    "Ledgered",
    "audit",
    "digest_of",
    "fields_of",
    "ledgered",
    "record_change",
    "registered_models",
    "subject_kind",
]

HASH_FIELD = "ledger_entry_hash"


@dataclass(frozen=True)
class Ledgered:
    model: type[models.Model]
    fields: tuple[str, ...]
    subject: Callable[[Any], Subject]
    deletions: tuple[str, ...] = ()


_registry: dict[type[models.Model], Ledgered] = {}


def ledgered(
    model: type[models.Model],
    fields: Sequence[str],
    subject: Callable[[Any], Subject],
    deletions: Sequence[str] = (),
) -> None:
    """Declare ``model`` a ledgered aggregate: ``fields`` (attribute names; ``user_id`` for a
    foreign key) are digested on each change; ``subject(instance)`` names it in the ledger
    (``Subject(context, type, str(instance.pk))``, so that the audit can find deleted rows);
    ``deletions`` are the action codes the services record when they delete a row (for a
    membership: ``identity.role.revoked``), recorded with the row's subject.
    The model must have a ``ledger_entry_hash`` field. Declaring it again replaces the entry."""
    names = {f.attname for f in model._meta.concrete_fields}
    if HASH_FIELD not in names:
        raise TypeError(f"{model.__name__} needs a {HASH_FIELD} CharField(max_length=64) to be ledgered")
    unknown = [name for name in fields if name not in names]
    if unknown or not fields:
        raise TypeError(f"{model.__name__}: unknown or no ledgered fields {unknown}")
    _registry[model] = Ledgered(
        model=model, fields=tuple(fields), subject=subject, deletions=tuple(deletions)
    )


def registered_models() -> list[Ledgered]:
    return sorted(_registry.values(), key=lambda spec: spec.model._meta.db_table)


def _spec(model: type[models.Model]) -> Ledgered:
    try:
        return _registry[model]
    except KeyError:
        raise TypeError(f"{model.__name__} is not declared with ledger.facade.ledgered()") from None


def fields_of(instance: models.Model) -> dict[str, JSON]:
    """The declared fields of ``instance`` as JSON values."""
    return {name: to_json_value(getattr(instance, name)) for name in _spec(type(instance)).fields}


def digest_of(fields: Mapping[str, JSON]) -> str:
    """Hex SHA-256 of the fields' canonical JSON (RFC 8785)."""
    return hashlib.sha256(rfc8785.dumps(dict(fields))).hexdigest()


def record_change(
    *,
    instance: models.Model,
    action: str,
    actor: Actor,
    visibility: Visibility,
    data: Mapping[str, JSON] | None = None,
) -> EntryPromise:
    """Record a change of a ledgered aggregate (after it is saved, in the same transaction):
    the entry's data is ``data`` plus the digest and values of the declared fields; the row's
    ``ledger_entry_hash`` is set to the entry's leaf hash."""
    spec = _spec(type(instance))
    fields = fields_of(instance)
    payload: dict[str, JSON] = {**(data or {}), "digest": digest_of(fields), "fields": fields}
    promise = record(
        action=action, actor=actor, subject=spec.subject(instance), data=payload, visibility=visibility
    )
    type(instance)._default_manager.filter(pk=instance.pk).update(**{HASH_FIELD: promise.entry_hash})
    setattr(instance, HASH_FIELD, promise.entry_hash)
    return promise


# --- audit -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A row that does not match its last ledger entry."""

    table: str
    pk: str
    fields: tuple[str, ...]  # the fields whose value differs (empty when the entry is missing)
    entry_hash: str  # the entry the row names ("" if none)
    entry_index: int | None  # its leaf index, None while still in the outbox or missing
    problem: str  # "changed", "no_entry", "unknown_entry", "deleted"

    def describe(self) -> str:
        where = f"{self.table} pk={self.pk}"
        if self.problem == "deleted":
            entry = f"entry {self.entry_index}" if self.entry_index is not None else "outbox entry"
            return (
                f"{where}: row deleted outside the services ({entry} {self.entry_hash} "
                "is its last change and records no deletion)"
            )
        if self.problem == "no_entry":
            return f"{where}: no ledger entry (row written outside the services)"
        if self.problem == "unknown_entry":
            return f"{where}: names ledger entry {self.entry_hash}, which is not in the ledger"
        entry = f"entry {self.entry_index}" if self.entry_index is not None else "outbox entry"
        return f"{where}: field(s) {', '.join(self.fields)} differ from {entry} {self.entry_hash}"


def _entry_data(entry_hash: str) -> tuple[Mapping[str, Any] | None, int | None]:
    row = LogEntry.objects.filter(leaf_hash=entry_hash).values_list("entry", "index").first()
    text: str | None
    index: int | None
    if row is not None:
        text, index = row
    else:
        text = OutboxEntry.objects.filter(leaf_hash=entry_hash).values_list("entry", flat=True).first()
        index = None
    if text is None:
        return None, None
    data = json.loads(text).get("data")
    return (data if isinstance(data, Mapping) else {}), index


def _audit_model(spec: Ledgered, batch_size: int) -> Iterator[Finding]:
    table = spec.model._meta.db_table
    for instance in spec.model._default_manager.order_by("pk").iterator(chunk_size=batch_size):
        entry_hash = getattr(instance, HASH_FIELD) or ""
        pk = str(instance.pk)
        if not entry_hash:
            yield Finding(table, pk, (), "", None, "no_entry")
            continue
        data, index = _entry_data(entry_hash)
        if data is None:
            yield Finding(table, pk, (), entry_hash, None, "unknown_entry")
            continue
        current = fields_of(instance)
        if digest_of(current) == data.get("digest"):
            continue
        fields = data.get("fields")
        recorded: Mapping[str, Any] = fields if isinstance(fields, Mapping) else {}
        differing = tuple(name for name in spec.fields if recorded.get(name) != current[name])
        # A digest mismatch with equal field values means the recorded fields were themselves
        # altered: report every declared field.
        yield Finding(table, pk, differing or spec.fields, entry_hash, index, "changed")


def subject_kind(spec: Ledgered) -> tuple[str, str] | None:
    """``(context, type)`` of the aggregate's subjects if its subject id is the row's primary key
    (``Subject(context, type, str(pk))``, the convention of every context), else ``None`` (its
    deleted rows cannot be found from the ledger)."""
    try:
        probes = [spec.subject(spec.model(pk=pk)) for pk in (1, 2)]
    except Exception:
        return None
    if [p.id for p in probes] != ["1", "2"] or {(p.context, p.type) for p in probes} != {
        (probes[0].context, probes[0].type)
    }:
        return None
    return probes[0].context, probes[0].type


def _state(spec: Ledgered, action: str, text: str) -> bool | None:
    """What an entry of the aggregate's subject says: ``True`` the row exists (a change entry),
    ``False`` it was deleted (a declared deletion action), ``None`` neither (another fact)."""
    if action in spec.deletions:
        return False
    data = json.loads(text).get("data")
    if isinstance(data, Mapping) and "digest" in data and "fields" in data:
        return True
    return None


def _last_states(
    spec: Ledgered, kind: tuple[str, str], batch_size: int
) -> Iterator[tuple[str, str, int | None]]:
    """``(subject id, entry hash, entry index)`` of every subject of the aggregate whose last
    change entry (in the log, then the outbox) says the row exists."""
    pending: dict[str, tuple[bool, str, int | None]] = {}
    for text in (
        OutboxEntry.objects.order_by("id").values_list("entry", flat=True).iterator(chunk_size=batch_size)
    ):
        parsed = json.loads(text)
        subject = parsed.get("subject") or {}
        if (subject.get("context"), subject.get("type")) != kind:
            continue
        state = _state(spec, str(parsed.get("action")), text)
        if state is not None:
            pending[str(subject.get("id"))] = (state, leaf_hash(text.encode()).hex(), None)
    rows = (
        LogEntry.objects.filter(subject_context=kind[0], subject_type=kind[1])
        .order_by("subject_id", "index")
        .values_list("subject_id", "index", "leaf_hash", "action", "entry")
        .iterator(chunk_size=batch_size)
    )
    current: str | None = None
    last: tuple[bool, str, int | None] | None = None
    for subject_id, index, entry_hash, action, text in rows:
        if subject_id != current:
            if current is not None and current not in pending and last is not None and last[0]:
                yield current, last[1], last[2]
            current, last = subject_id, None
        state = _state(spec, action, text)
        if state is not None:
            last = (state, entry_hash, index)
    if current is not None and current not in pending and last is not None and last[0]:
        yield current, last[1], last[2]
    for waiting_id, (exists, waiting_hash, _no_index) in pending.items():
        if exists:
            yield waiting_id, waiting_hash, None


def _audit_deletions(spec: Ledgered, batch_size: int) -> Iterator[Finding]:
    kind = subject_kind(spec)
    if kind is None:
        return
    table = spec.model._meta.db_table
    pk_field = spec.model._meta.pk
    assert pk_field is not None

    def missing(batch: list[tuple[str, str, int | None]]) -> Iterator[Finding]:
        keys = {}
        for subject_id, entry_hash, index in batch:
            try:
                keys[pk_field.to_python(subject_id)] = (subject_id, entry_hash, index)
            except (ValidationError, TypeError, ValueError):  # not a primary key of this table
                continue
        present = set(spec.model._default_manager.filter(pk__in=list(keys)).values_list("pk", flat=True))
        for key, (subject_id, entry_hash, index) in keys.items():
            if key not in present:
                yield Finding(table, subject_id, (), entry_hash, index, "deleted")

    batch: list[tuple[str, str, int | None]] = []
    for item in _last_states(spec, kind, batch_size):
        batch.append(item)
        if len(batch) >= batch_size:
            yield from missing(batch)
            batch = []
    if batch:
        yield from missing(batch)


def audit(*, batch_size: int = 2000) -> Iterator[Finding]:
    """Every row of every ledgered model that disagrees with its ledger entry, and every row
    whose ledger history says it exists but which is gone (``problem == "deleted"``)."""
    for spec in registered_models():
        yield from _audit_model(spec, batch_size)
        yield from _audit_deletions(spec, batch_size)
