"""The evidence ledger's API at /api/v1/ledger.

Public (no sign-in): the latest checkpoint, leaf hashes by range, inclusion and consistency
proofs, the verifier key. Entries by index are served according to their visibility (404 when
the caller may not read them, the same answer as for an index that does not exist). Hashes in
JSON are lower-case hex; the checkpoint note carries its root in base64 as C2SP defines.
Witnesses: supervisors register their body's key and post cosignatures; centre staff,
supervisors and auditors list witnesses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from yingshang.identity.facade import API_AUTH, principal_for
from yingshang.kernel.errors import InvalidInput, NotFound
from yingshang.ledger import keyring, selectors, services, witnesses
from yingshang.ledger.models import Checkpoint, Cosignature, Witness
from yingshang.ledger.permissions import witnesses as witness_policy


def _guest(request: HttpRequest) -> bool:
    """Lets anonymous callers through (a token or session, when sent, is still checked first)."""
    return True


#: Public operations still look at a token or session (to read entries the caller may see).
OPTIONAL_AUTH = [*API_AUTH, _guest]

router = Router(auth=API_AUTH, tags=["ledger"])


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class CosignatureOut(Schema):
    witness_id: int
    witness: str = Field(description="The witness key's name.")
    organisation_id: int
    signature_line: str
    signed_at: datetime


class CheckpointOut(Schema):
    size: int
    root: str = Field(description="Root hash, hex.")
    note: str = Field(description="The signed checkpoint (C2SP signed note) with any witness cosignatures.")
    created_at: datetime
    witnesses: list[CosignatureOut]


class EntryOut(Schema):
    index: int
    leaf_hash: str
    entry: str = Field(description="The canonical entry (RFC 8785 JSON) whose leaf hash is leaf_hash.")


class LeavesOut(Schema):
    start: int
    end: int
    tree_size: int
    leaf_hashes: list[str]


class InclusionOut(Schema):
    index: int
    tree_size: int
    leaf_hash: str
    root: str
    proof: list[str] = Field(description="Audit path (RFC 9162 2.1.3), hex, leaf to root.")


class ConsistencyOut(Schema):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str] = Field(description="Consistency proof (RFC 9162 2.1.4), hex.")


class KeyPeriodOut(Schema):
    verifier_key: str
    first_size: int = Field(description="The smallest tree size this key signs a checkpoint of.")
    last_size: int | None = Field(description="The largest; null for the current key.")


class PublicKeyOut(Schema):
    origin: str
    verifier_key: str = Field(description="Signed-note verifier key: <name>+<key id>+<base64>.")
    keys: list[KeyPeriodOut] = Field(
        description="Every checkpoint key of the log, oldest first (key rotation); the last is verifier_key."
    )
    sm2_verifier_key: str | None = Field(
        description="The SM2 key of the checkpoints' optional second signature (signed-note type 0xff); "
        "null when the operator configured none."
    )


class WitnessIn(StrictSchema):
    verifier_key: str = Field(
        min_length=1, max_length=300, description="Ed25519 verifier key in signed-note form."
    )


class WitnessOut(Schema):
    id: int
    name: str
    organisation_id: int
    verifier_key: str
    active: bool
    registered_at: datetime
    last_cosigned_size: int | None


class CosignatureIn(StrictSchema):
    signature_line: str = Field(
        min_length=1, max_length=1000, description="`— <name> <base64>` over the checkpoint body."
    )
    checkpoint_size: int | None = Field(
        default=None, description="The checkpoint signed; default the latest."
    )


def _bad(field: str, message: Any) -> InvalidInput:
    text = str(message)
    return InvalidInput(text, details=[{"field": f"query.{field}", "code": "out_of_range", "message": text}])


def _cosignature_out(c: Cosignature) -> CosignatureOut:
    return CosignatureOut(
        witness_id=c.witness_id,
        witness=c.witness.name,
        organisation_id=c.witness.organisation_id,
        signature_line=c.signature_line,
        signed_at=c.signed_at,
    )


def _checkpoint_out(checkpoint: Checkpoint) -> CheckpointOut:
    cosignatures = selectors.cosignatures_of(checkpoint)
    return CheckpointOut(
        size=checkpoint.size,
        root=checkpoint.root,
        note=witnesses.cosigned_note(checkpoint, cosignatures),
        created_at=checkpoint.created_at,
        witnesses=[_cosignature_out(c) for c in cosignatures],
    )


def _size() -> int:
    return selectors.tree_size()


def _check_tree_size(tree_size: int, size: int, field: str = "tree_size") -> None:
    if tree_size < 1 or tree_size > size:
        raise _bad(
            field,
            _("The tree size must be between 1 and %(size)s, the latest checkpoint's size.") % {"size": size}
            if size
            else _("The ledger has no signed entries yet."),
        )


@router.get("/checkpoint", response=CheckpointOut, auth=None, summary="The latest signed checkpoint")
def checkpoint(request: HttpRequest) -> CheckpointOut:
    latest = selectors.latest_checkpoint()
    if latest is None:
        raise NotFound(_("The ledger has no checkpoint yet."))
    return _checkpoint_out(latest)


@router.get("/public-key", response=PublicKeyOut, auth=None, summary="The log's verifier key")
def public_key(request: HttpRequest) -> PublicKeyOut:
    current = services.verifier_key()
    try:
        periods = keyring.history(origin=services.origin(), current=current)
    except keyring.KeyHistoryError:
        periods = [keyring.KeyPeriod(verifier_key=current, first_size=0, last_size=None)]
    try:
        sm2 = keyring.sm2_signer(services.origin())
    except keyring.SM2KeyError:
        sm2 = None
    return PublicKeyOut(
        origin=services.origin(),
        verifier_key=current,
        sm2_verifier_key=sm2.verifier_key if sm2 is not None else None,
        keys=[
            KeyPeriodOut(verifier_key=p.verifier_key, first_size=p.first_size, last_size=p.last_size)
            for p in periods
        ],
    )


@router.get(
    "/entries/{int:index}",
    response=EntryOut,
    auth=OPTIONAL_AUTH,
    summary="One entry, if you may read it (404 otherwise)",
)
def entry(request: HttpRequest, index: int) -> EntryOut:
    found = selectors.readable_entry(principal_for(request), index)
    if found is None:
        raise NotFound(_("There is no entry %(index)s that you may read."), index=index)
    return EntryOut(index=found.index, leaf_hash=found.leaf_hash, entry=found.entry)


@router.get("/leaves", response=LeavesOut, auth=None, summary="Leaf hashes by index range [start, end)")
def leaves(request: HttpRequest, start: int, end: int) -> LeavesOut:
    size = _size()
    if start < 0:
        raise _bad("start", _("start must be 0 or more."))
    if end < start:
        raise _bad("end", _("end must not be less than start."))
    if end > size:
        raise _bad("end", _("end must not exceed the tree size %(size)s.") % {"size": size})
    if end - start > selectors.MAX_LEAVES:
        raise _bad("end", _("Ask for at most %(n)s leaves at a time.") % {"n": selectors.MAX_LEAVES})
    return LeavesOut(start=start, end=end, tree_size=size, leaf_hashes=selectors.leaf_hashes(start, end))


@router.get(
    "/proofs/inclusion", response=InclusionOut, auth=None, summary="An inclusion proof, by index or leaf hash"
)
def inclusion(
    request: HttpRequest, tree_size: int | None = None, index: int | None = None, leaf_hash: str | None = None
) -> InclusionOut:
    size = _size()
    tree_size = size if tree_size is None else tree_size
    _check_tree_size(tree_size, size)
    if (index is None) == (leaf_hash is None):
        raise _bad("index", _("Give either index or leaf_hash."))
    if leaf_hash is not None:
        normalised = leaf_hash.strip().lower()
        if len(normalised) != 64 or any(ch not in "0123456789abcdef" for ch in normalised):
            raise _bad("leaf_hash", _("A leaf hash is 64 hexadecimal digits."))
        index = selectors.index_of_leaf(normalised)
        if index is None:
            raise NotFound(_("No entry in the log has this leaf hash."))
    assert index is not None
    if index < 0 or index >= tree_size:
        raise _bad(
            "index",
            _("The entry %(index)s is not in the tree of size %(size)s.")
            % {"index": index, "size": tree_size},
        )
    found = selectors.entry_at(index)
    assert found is not None
    return InclusionOut(
        index=index,
        tree_size=tree_size,
        leaf_hash=found.leaf_hash,
        root=selectors.root_at(tree_size).hex(),
        proof=[h.hex() for h in selectors.inclusion_proof(index, tree_size)],
    )


@router.get(
    "/proofs/consistency", response=ConsistencyOut, auth=None, summary="A consistency proof between two sizes"
)
def consistency(request: HttpRequest, first: int, second: int) -> ConsistencyOut:
    size = _size()
    _check_tree_size(second, size, "second")
    if first < 1 or first > second:
        raise _bad(
            "first", _("first must be between 1 and second (a proof from the empty tree means nothing).")
        )
    return ConsistencyOut(
        first=first,
        second=second,
        first_root=selectors.root_at(first).hex(),
        second_root=selectors.root_at(second).hex(),
        proof=[h.hex() for h in selectors.consistency_proof(first, second)],
    )


def _witness_out(witness: Witness) -> WitnessOut:
    last = selectors.last_cosigned(witness)
    return WitnessOut(
        id=witness.pk,
        name=witness.name,
        organisation_id=witness.organisation_id,
        verifier_key=witness.verifier_key,
        active=witness.active,
        registered_at=witness.registered_at,
        last_cosigned_size=last.size if last is not None else None,
    )


@router.get(
    "/witnesses",
    response=list[WitnessOut],
    summary="Registered witnesses (centre staff, supervisors, auditors)",
)
def list_witnesses(request: HttpRequest) -> list[WitnessOut]:
    witness_policy.require(principal_for(request), "list")
    return [_witness_out(w) for w in selectors.witnesses()]


@router.post("/witnesses", response={201: WitnessOut}, summary="Register my supervisory body's witness key")
def register_witness(request: HttpRequest, payload: WitnessIn) -> Status[WitnessOut]:
    try:
        witness = witnesses.register_witness(
            principal=principal_for(request), verifier_key=payload.verifier_key
        )
    except InvalidInput as error:
        error.details = [{**d, "field": "body." + d.get("field", "")} for d in error.details]
        raise
    return Status(201, _witness_out(witness))


@router.post(
    "/witnesses/{int:witness_id}/cosignatures",
    response={201: CosignatureOut},
    summary="Post a witness's cosignature of a checkpoint",
)
def cosign(request: HttpRequest, witness_id: int, payload: CosignatureIn) -> Status[CosignatureOut]:
    try:
        cosignature = witnesses.add_cosignature(
            principal=principal_for(request),
            witness_id=witness_id,
            signature_line=payload.signature_line,
            checkpoint_size=payload.checkpoint_size,
        )
    except InvalidInput as error:
        error.details = [{**d, "field": "body." + d.get("field", "")} for d in error.details]
        raise
    return Status(201, _cosignature_out(cosignature))
