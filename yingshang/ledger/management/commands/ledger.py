"""``yingshang ledger <subcommand>``: the evidence ledger's operations.

Subcommands are entries of :data:`SUBCOMMANDS` (name -> :class:`Subcommand`): each declares its
help, its arguments and a handler returning the exit status. Add one by adding an entry.

- ``sequence [--loop] [--interval S] [--batch-size N]``: move committed outbox entries into the
  log and sign checkpoints (one pass, or a loop that beats the ops heartbeat "sequencer");
- ``checkpoint``: print the latest signed checkpoint note;
- ``public-key``: print the platform's verifier key (signed-note form);
- ``verify``: recompute the whole log and check every node, checkpoint and consistency proof.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from yingshang.ledger import facade, logcheck, verifier
from yingshang.ledger.models import Checkpoint


@dataclass(frozen=True)
class Subcommand:
    help: str
    handle: Callable[[BaseCommand, argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None


def _sequence_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--loop", action="store_true", help="Keep sequencing until stopped (SIGTERM/Ctrl-C).")
    parser.add_argument(
        "--interval",
        type=float,
        default=settings.LEDGER_SEQUENCER_INTERVAL_SECONDS,
        help="Seconds between passes of the loop.",
    )
    parser.add_argument(
        "--batch-size", type=int, default=5000, help="Entries per transaction and checkpoint."
    )


def _sequence(command: BaseCommand, options: argparse.Namespace) -> int:
    from yingshang.ops import services as ops

    if options.batch_size < 1:
        command.stderr.write("--batch-size must be at least 1")
        return 2

    def progress(moved: int, checkpoint: Checkpoint) -> None:
        command.stdout.write(f"sequenced {moved}: tree size {checkpoint.size}")
        command.stdout.flush()

    if not options.loop:
        result = facade.sequence_once(batch_size=options.batch_size, progress=progress)
        if result.already_running:
            command.stdout.write("another sequencer is already running; nothing done")
        else:
            command.stdout.write(f"sequenced {result.sequenced} entries; tree size {result.size}")
        return 0
    stop = threading.Event()

    def shutdown(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    started = timezone.now()
    warned = False
    try:
        while True:
            ops.beat(kind="sequencer", started_at=started)
            result = facade.sequence_once(batch_size=options.batch_size, progress=progress)
            if result.already_running and not warned:
                command.stdout.write("another sequencer is running; waiting for it to stop")
                warned = True
            if stop.wait(options.interval):
                break
            close_old_connections()
    finally:
        ops.forget(kind="sequencer")
    return 0


def _checkpoint(command: BaseCommand, options: argparse.Namespace) -> int:
    note = facade.latest_checkpoint_note()
    if note is None:
        command.stderr.write("no checkpoint yet: run `yingshang ledger sequence` first")
        return 1
    command.stdout.write(note, ending="")
    return 0


def _public_key(command: BaseCommand, options: argparse.Namespace) -> int:
    command.stdout.write(facade.verifier_key())
    return 0


def _verify(command: BaseCommand, options: argparse.Namespace) -> int:
    from yingshang.ledger import keyring

    try:
        history = keyring.history(origin=facade.origin(), current=facade.verifier_key())
        sm2 = keyring.sm2_signer(facade.origin())
        extra = [verifier.parse_sm2_verifier_key(sm2.verifier_key)] if sm2 is not None else []
        report = logcheck.verify_log(
            vkey=facade.verifier_key(), origin=facade.origin(), history=history, extra=extra
        )
    except (logcheck.LogCheckError, keyring.KeyHistoryError, keyring.SM2KeyError) as error:
        command.stderr.write(f"FAILED: {error}")
        return 1
    command.stdout.write(report.summary())
    return 0


SUBCOMMANDS: dict[str, Subcommand] = {
    "sequence": Subcommand(
        "Move committed outbox entries into the log and sign checkpoints.", _sequence, _sequence_arguments
    ),
    "checkpoint": Subcommand("Print the latest signed checkpoint note.", _checkpoint),
    "public-key": Subcommand("Print the platform's verifier key (signed-note form).", _public_key),
    "verify": Subcommand(
        "Recompute the whole log; check every node, checkpoint and consistency proof.", _verify
    ),
}

# The read side's subcommands: bundle, verify-bundle, audit, witness-sign.
from yingshang.ledger.management.reading import subcommands as _reading_subcommands  # noqa: E402

SUBCOMMANDS.update(_reading_subcommands(Subcommand))
# Key rotation: rotate-key, keys.
from yingshang.ledger.management.rotation import subcommands as _key_subcommands  # noqa: E402

SUBCOMMANDS.update(_key_subcommands(Subcommand))


class Command(BaseCommand):
    help = "The evidence ledger: " + ", ".join(SUBCOMMANDS) + "."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        for name, subcommand in SUBCOMMANDS.items():
            sub = subparsers.add_parser(name, help=subcommand.help, description=subcommand.help)
            subcommand.arguments(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = SUBCOMMANDS[options["subcommand"]]
        status = subcommand.handle(self, argparse.Namespace(**options))
        if status:
            sys.exit(status)
