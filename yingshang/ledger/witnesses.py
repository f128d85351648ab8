"""Witnesses: supervisory bodies that countersign the log's checkpoints.

A supervisor registers its body's witness key (an Ed25519 key in signed-note verifier-key form,
``<name>+<key id>+<base64>``). The witness then, for each new checkpoint: fetches it
(``GET /api/v1/ledger/checkpoint``), checks it is consistent with the last one it cosigned
(``GET /api/v1/ledger/proofs/consistency``), signs the checkpoint's body with its key (a
signed-note signature line, e.g. ``yingshang ledger witness-sign --key FILE``) and posts the line
(``POST /api/v1/ledger/witnesses/{id}/cosignatures``). The server accepts it only if the
signature verifies under the witness's key and the checkpoint is consistent with (never older
than) the witness's previous cosigned checkpoint.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from yingshang.identity import facade as identity
from yingshang.kernel import clock
from yingshang.kernel.errors import Conflict, InvalidInput, NotFound, RuleViolation
from yingshang.kernel.policy import Principal
from yingshang.ledger import actions, merkle, selectors, services, verifier
from yingshang.ledger.contracts import Actor, Subject, Visibility
from yingshang.ledger.models import Checkpoint, Cosignature, Witness
from yingshang.ledger.permissions import witnesses as witness_policy

__all__ = ["WITNESS_REGISTERED", "add_cosignature", "cosigned_note", "register_witness"]

#: Recorded (public) when a witness key is registered. Cosignatures are not recorded as entries
#: (each would make a new checkpoint to cosign); they are kept in the insert-only Cosignature table.
WITNESS_REGISTERED = "ledger.witness.registered"
actions.register(WITNESS_REGISTERED, "登记见证密钥", "Witness key registered")


def _invalid(field: str, code: str, message: str) -> InvalidInput:
    return InvalidInput(message, details=[{"field": field, "code": code, "message": message}])


def register_witness(*, principal: Principal, verifier_key: str, at: datetime | None = None) -> Witness:
    """Register the witness key of the principal's own supervisory body (a supervisor acting for
    it). Raises ``PermissionDenied``, ``InvalidInput`` (malformed key), ``RuleViolation`` (not a
    supervisory body) or ``Conflict`` (key or key name already registered)."""
    witness_policy.require(principal, "register")
    organisation = identity.get_organisation(principal.organisation_id) if principal.organisation_id else None
    if organisation is None or organisation.kind != identity.OrganisationKind.SUPERVISORY.value:
        raise RuleViolation(_("Only a supervisory body can register a witness key."))
    try:
        parsed = verifier.parse_verifier_key(verifier_key)
    except verifier.NoteError as exc:
        raise _invalid(
            "verifier_key",
            "invalid_key",
            str(_("The witness key is not a valid verifier key: %(reason)s")) % {"reason": exc},
        ) from exc
    with transaction.atomic():
        try:
            with transaction.atomic():
                witness = Witness.objects.create(
                    name=parsed.name,
                    organisation_id=organisation.pk,
                    verifier_key=parsed.vkey,
                    registered_at=at or clock.now(),
                )
        except IntegrityError:
            raise Conflict(_("A witness with this key or key name is already registered.")) from None
        services.record(
            action=WITNESS_REGISTERED,
            actor=Actor.user(principal.user_id or 0, organisation_id=organisation.pk, role="supervisor"),
            subject=Subject("ledger", "witness", str(witness.pk)),
            data={
                "name": witness.name,
                "verifier_key": witness.verifier_key,
                "organisation_uscc": organisation.uscc,
            },
            visibility=Visibility.public(),
        )
    return witness


def cosigned_note(checkpoint: Checkpoint, cosignatures: list[Cosignature] | None = None) -> str:
    """The checkpoint note with the witnesses' signature lines appended (a valid signed note)."""
    lines = [
        c.signature_line
        for c in (cosignatures if cosignatures is not None else selectors.cosignatures_of(checkpoint))
    ]
    return checkpoint.note + "".join(line + "\n" for line in lines)


def _check_consistent(previous: Checkpoint, checkpoint: Checkpoint) -> None:
    if checkpoint.size < previous.size:
        raise RuleViolation(
            _(
                "This checkpoint (size %(size)s) is older than the one the witness last cosigned (size %(last)s)."
            ),
            size=checkpoint.size,
            last=previous.size,
        )
    if previous.size == 0:
        return
    proof = selectors.consistency_proof(previous.size, checkpoint.size)
    try:
        merkle.verify_consistency(
            previous.size,
            checkpoint.size,
            bytes.fromhex(previous.root),
            bytes.fromhex(checkpoint.root),
            proof,
        )
    except merkle.ProofError as exc:
        raise RuleViolation(
            _("The checkpoint is not consistent with the one the witness last cosigned: %(reason)s"),
            reason=str(exc),
        ) from exc


def add_cosignature(
    *,
    principal: Principal,
    witness_id: int,
    signature_line: str,
    checkpoint_size: int | None = None,
    at: datetime | None = None,
) -> Cosignature:
    """Store a witness's cosignature of a checkpoint (the latest one unless ``checkpoint_size``).

    Raises ``NotFound`` (no such active witness or checkpoint), ``PermissionDenied`` (not a
    supervisor of the witness's body), ``InvalidInput`` (the line is malformed or its signature
    does not verify under the witness key), ``RuleViolation`` (older than, or inconsistent with,
    the witness's previous cosigned checkpoint) or ``Conflict`` (already cosigned).
    """
    witness = selectors.witness(witness_id)
    if witness is None or not witness.active:
        raise NotFound(_("There is no such witness."))
    witness_policy.require(principal, "cosign", witness)
    line = (signature_line or "").strip("\n")
    if not line or "\n" in line:
        raise _invalid("signature_line", "invalid", str(_("Send exactly one signature line.")))
    with transaction.atomic():
        checkpoint = (
            selectors.latest_checkpoint()
            if checkpoint_size is None
            else selectors.checkpoint_of_size(checkpoint_size)
        )
        if checkpoint is None:
            raise NotFound(_("There is no checkpoint of that size."))
        key = verifier.parse_verifier_key(witness.verifier_key)
        try:
            note = verifier.verify_note(checkpoint.note + line + "\n", [key])
        except verifier.NoteError as exc:
            raise _invalid(
                "signature_line",
                "bad_signature",
                str(_("The signature line does not verify under the witness key: %(reason)s"))
                % {"reason": exc},
            ) from exc
        if witness.name not in note.verified_by:
            raise _invalid(
                "signature_line", "bad_signature", str(_("The line is not signed by the witness key."))
            )
        previous = selectors.last_cosigned(witness)
        if previous is not None:
            if previous.pk == checkpoint.pk:
                raise Conflict(_("The witness has already cosigned this checkpoint."))
            _check_consistent(previous, checkpoint)
        try:
            with transaction.atomic():
                return Cosignature.objects.create(
                    checkpoint=checkpoint, witness=witness, signature_line=line, signed_at=at or clock.now()
                )
        except IntegrityError:
            raise Conflict(_("The witness has already cosigned this checkpoint.")) from None
