"""``yingshang draw <subcommand>``: draws anyone can recompute (docs/draws.md).

- ``verify FILE_OR_URL [--key VERIFIER_KEY ...]``: verify a published draw record offline (a
  file, ``-`` for standard input, or the record's URL, e.g.
  ``https://ggzy.example.cn/api/v1/draws/<id>``): the commitment against the revealed secret,
  the eligible digest, the beacon note's Ed25519 signature by the ledger's key, the commitment
  entry's inclusion in the beacon's tree, the seed and the result. Prints the recomputed result;
  exit 0 verified, 1 ``FAILED: <reason>``. No database is used.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from yingshang.draws.verification import verify_published
from yingshang.kernel.draws import DrawMismatch

#: Largest record the command reads (a 100,000-item list of 200 characters fits).
MAX_RECORD_BYTES = 64 * 1024 * 1024


class RecordError(ValueError):
    pass


def load_record(source: str) -> dict[str, Any]:
    """The record from a file, ``-`` (standard input) or an http(s) URL."""
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_RECORD_BYTES + 1)
        elif source.startswith(("http://", "https://")):
            request = urllib.request.Request(source, headers={"Accept": "application/json"})  # noqa: S310
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (scheme checked)
                raw = response.read(MAX_RECORD_BYTES + 1)
        else:
            with open(source, "rb") as handle:
                raw = handle.read(MAX_RECORD_BYTES + 1)
    except (OSError, urllib.error.URLError) as exc:
        raise RecordError(f"cannot read {source}: {exc}") from None
    if len(raw) > MAX_RECORD_BYTES:
        raise RecordError("the record is larger than 64 MiB")
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RecordError("the record is not valid JSON (truncated?)") from None
    if not isinstance(record, dict):
        raise RecordError("the record is not a JSON object")
    return record


def verify_command(command: BaseCommand, options: argparse.Namespace) -> int:
    try:
        record = load_record(options.source)
        report = verify_published(record, trusted_keys=tuple(options.key or ()))
    except (RecordError, DrawMismatch) as exc:
        command.stdout.write(f"FAILED: {exc}")
        return 1
    command.stdout.write(report.summary())
    if not report.trusted:
        command.stderr.write(
            "warning: no --key given; the beacon was checked against the key in the record itself, "
            "which proves only that the record is self-consistent. Pass the log's published key."
        )
    return 0


class Command(BaseCommand):
    help = "Draws anyone can recompute: verify."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        verify = subparsers.add_parser(
            "verify", help="Verify a published draw record offline and print the recomputed result."
        )
        verify.add_argument("source", metavar="FILE_OR_URL", help="A record file, - for stdin, or its URL.")
        verify.add_argument(
            "--key",
            action="append",
            metavar="VERIFIER_KEY",
            help="The ledger's published verifier key (repeat for every key of its history).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        status = verify_command(self, argparse.Namespace(**options))
        if status:
            sys.exit(status)
