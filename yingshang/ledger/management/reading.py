"""The read-side subcommands of ``yingshang ledger`` (added to its ``SUBCOMMANDS`` table).

- ``bundle --subject context:type:id [--index N ...] -o FILE``: write an evidence bundle;
- ``verify-bundle FILE [--key VERIFIER_KEY]``: check a bundle offline (no database needed);
- ``audit``: report every ledgered row changed outside the services (exit 1 if any);
- ``witness-sign --url BASE --key FILE --name NAME [--token-file F] [--state F] [--log-key K ...]``:
  a witness cosigns the platform's latest checkpoint over HTTP (``witness_client.cosign``: fetch,
  verify, check consistency with the last cosigned checkpoint, sign, post); without ``--url``,
  sign the latest checkpoint of the local database and print the signature line.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand

from yingshang.kernel.errors import DomainError
from yingshang.ledger import aggregates, bundles, note, selectors, verifier, witness_client

if TYPE_CHECKING:
    from yingshang.ledger.management.commands.ledger import Subcommand


def _bundle_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--subject", help="context:type:id, e.g. identity:organisation:7")
    parser.add_argument("--index", type=int, action="append", help="An entry index (repeatable).")
    parser.add_argument("-o", "--output", required=True, help="The file to write ('-' for standard output).")


def _bundle(command: BaseCommand, options: argparse.Namespace) -> int:
    if not options.subject and not options.index:
        command.stderr.write("give --subject context:type:id and/or --index N")
        return 2
    try:
        subject = bundles.parse_subject(options.subject) if options.subject else None
        bundle = bundles.build_bundle(subject=subject, indexes=options.index, principal=bundles.OPERATOR)
    except DomainError as error:
        command.stderr.write(f"FAILED: {error}")
        return 1
    text = json.dumps(bundle, ensure_ascii=False, indent=1) + "\n"
    if options.output == "-":
        command.stdout.write(text, ending="")
    else:
        Path(options.output).write_text(text, encoding="utf-8")
        command.stdout.write(f"wrote {len(bundle['entries'])} entries to {options.output}")
    return 0


def _verify_bundle_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="The bundle (JSON).")
    parser.add_argument(
        "--key",
        action="append",
        help="The log's published verifier key (<name>+<id>+<base64>); repeat it for each key after a rotation.",
    )


def _verify_bundle(command: BaseCommand, options: argparse.Namespace) -> int:
    try:
        raw = Path(options.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        command.stderr.write(f"FAILED: cannot read {options.file}: {exc}")
        return 1
    try:
        bundle = json.loads(raw)
    except ValueError as exc:
        command.stderr.write(f"FAILED: the bundle is not valid JSON (truncated?): {exc}")
        return 1
    try:
        report = verifier.verify_bundle(bundle, trusted_key=options.key)
    except verifier.BundleError as exc:
        command.stderr.write(f"FAILED: {exc}")
        return 1
    command.stdout.write(report.summary())
    if not report.trusted:
        command.stdout.write(
            "WARNING: checked only against the key inside the bundle; pass --key with the published key."
        )
    return 0


def _audit(command: BaseCommand, options: argparse.Namespace) -> int:
    findings = 0
    for finding in aggregates.audit():
        findings += 1
        command.stdout.write(finding.describe())
    checked = ", ".join(spec.model._meta.db_table for spec in aggregates.registered_models())
    if findings:
        command.stderr.write(f"FAILED: {findings} row(s) disagree with the ledger ({checked})")
        return 1
    command.stdout.write(f"OK: every row of {checked} matches its ledger entry")
    return 0


def _witness_sign_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key", required=True, help="The witness's Ed25519 private key (PEM, PKCS#8).")
    parser.add_argument("--name", required=True, help="The witness key's name (as in its verifier key).")
    parser.add_argument(
        "--url",
        help="The platform's base URL (https://...): cosign over its API. Without it: local database.",
    )
    parser.add_argument(
        "--token-file",
        help="A file holding the supervisor's API token (scope ledger:write); default: $YINGSHANG_WITNESS_TOKEN.",
    )
    parser.add_argument(
        "--state", help="The witness's state file (last cosigned size and root); default: <key>.state.json."
    )
    parser.add_argument(
        "--log-key",
        action="append",
        default=[],
        help="The log's published verifier key (repeatable); pins it.",
    )
    parser.add_argument("--witness-id", type=int, help="The witness's id (default: looked up by its key).")


def _witness_sign_http(command: BaseCommand, options: argparse.Namespace, signer: note.NoteSigner) -> int:
    if options.token_file:
        try:
            token = Path(options.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            command.stderr.write(f"FAILED: cannot read the token file {options.token_file}: {exc}")
            return 1
    else:
        token = os.environ.get("YINGSHANG_WITNESS_TOKEN", "").strip()
    state = Path(options.state) if options.state else witness_client.default_state_path(Path(options.key))
    try:
        result = witness_client.cosign(
            base_url=options.url,
            signer=signer,
            token=token,
            state_path=state,
            log_keys=options.log_key,
            witness_id=options.witness_id,
        )
    except witness_client.WitnessClientError as exc:
        command.stderr.write(f"FAILED: {exc}")
        return 1
    previous = "none" if result.previous_size is None else str(result.previous_size)
    if not result.posted:
        command.stdout.write(f"checkpoint {result.size} is already cosigned by this witness; nothing to do")
        return 0
    command.stdout.write(
        f"cosigned checkpoint {result.size} (root {result.root.hex()}), consistent with {previous}; "
        f"witness {result.witness_id}"
    )
    command.stdout.write(result.signature_line)
    if result.trusted_on_first_use:
        command.stdout.write(
            "WARNING: the log key or the last cosigned root came from the server (trust on first use); "
            "pass --log-key with the published key"
        )
    return 0


def _witness_sign(command: BaseCommand, options: argparse.Namespace) -> int:
    try:
        private = serialization.load_pem_private_key(Path(options.key).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        command.stderr.write(f"FAILED: cannot load the key {options.key}: {exc}")
        return 1
    if not isinstance(private, Ed25519PrivateKey):
        command.stderr.write("FAILED: the witness key must be an Ed25519 key")
        return 1
    if options.url:
        try:
            signer = note.NoteSigner(options.name, private)
        except ValueError as exc:
            command.stderr.write(f"FAILED: {exc}")
            return 1
        return _witness_sign_http(command, options, signer)
    checkpoint = selectors.latest_checkpoint()
    if checkpoint is None:
        command.stderr.write("FAILED: no checkpoint yet")
        return 1
    body, _signatures = verifier.split_note(checkpoint.note)
    signer = note.NoteSigner(options.name, private)
    command.stdout.write(f"# verifier key: {signer.verifier_key}")
    command.stdout.write(f"# checkpoint size: {checkpoint.size}")
    command.stdout.write(signer.sign(body).rstrip("\n"))
    return 0


def subcommands(subcommand: type[Subcommand]) -> dict[str, Subcommand]:
    return {
        "bundle": subcommand("Write an evidence bundle of a subject's entries.", _bundle, _bundle_arguments),
        "verify-bundle": subcommand(
            "Check an evidence bundle offline (exit 1 with the reason).",
            _verify_bundle,
            _verify_bundle_arguments,
        ),
        "audit": subcommand("Report ledgered rows changed outside the services (exit 1 if any).", _audit),
        "witness-sign": subcommand(
            "Cosign the platform's latest checkpoint over its API (--url), or print the line (local).",
            _witness_sign,
            _witness_sign_arguments,
        ),
    }
