"""Key subcommands of ``yingshang ledger`` (added to its ``SUBCOMMANDS`` table).

- ``rotate-key``: replace the checkpoint key by a new one; the old one stays in the key history
  (docs/keys.md, "Rotation");
- ``keys``: print the key history, one ``<first tree size> <last tree size or -> <verifier key>``
  line per key, oldest first;
- ``sm2-key [--create PATH]``: make an SM2 key file for the optional second checkpoint signature
  (then set ``YINGSHANG_LEDGER_SM2_KEY=PATH``), or print the configured SM2 verifier key.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.management.base import BaseCommand

from yingshang.ledger import keyring, note, selectors, services
from yingshang.ledger.locks import sequencer_lock

if TYPE_CHECKING:
    from yingshang.ledger.management.commands.ledger import Subcommand

#: How often, and how long apart, rotate-key tries to take the sequencer lock.
LOCK_ATTEMPTS = 100
LOCK_WAIT_SECONDS = 0.1


def _rotate_key(command: BaseCommand, options: argparse.Namespace) -> int:
    origin = services.origin()
    for _attempt in range(LOCK_ATTEMPTS):
        with sequencer_lock() as acquired:
            if not acquired:
                time.sleep(LOCK_WAIT_SECONDS)  # a sequencer pass is running: it ends soon
                continue
            latest = selectors.latest_checkpoint()
            try:
                rotation = keyring.rotate(origin=origin, latest_size=latest.size if latest else -1)
            except keyring.KeyHistoryError as error:
                command.stderr.write(f"FAILED: {error}")
                return 1
            break
    else:
        command.stderr.write("FAILED: a sequencer pass kept running; try again")
        return 1
    command.stdout.write(
        f"retired: {rotation.retired.describe()}; its private key is kept in {rotation.retired_key_file}"
    )
    command.stdout.write(f"current: {rotation.current.describe()}")
    command.stdout.write(f"publish the new verifier key: {rotation.current.verifier_key}")
    command.stdout.write(f"key history: {keyring.history_path()}")
    command.stdout.write("restart the other processes that sign with the platform key (web server, workers)")
    return 0


def _keys(command: BaseCommand, options: argparse.Namespace) -> int:
    try:
        periods = keyring.history(origin=services.origin(), current=services.verifier_key())
    except keyring.KeyHistoryError as error:
        command.stderr.write(f"FAILED: {error}")
        return 1
    for period in periods:
        last = "-" if period.last_size is None else str(period.last_size)
        command.stdout.write(f"{period.first_size} {last} {period.verifier_key}")
    return 0


def _sm2_key_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--create", metavar="PATH", help="Write a new SM2 private key file (0600) at PATH.")


def _sm2_key(command: BaseCommand, options: argparse.Namespace) -> int:
    origin = services.origin()
    try:
        if options.create:
            path = Path(options.create)
            if path.exists():
                command.stderr.write(f"FAILED: {path} exists; refusing to overwrite a key")
                return 1
            signer = note.SM2NoteSigner(origin, keyring.write_sm2_key(path))
            command.stdout.write(f"wrote {path}; set YINGSHANG_LEDGER_SM2_KEY={path} and restart")
        else:
            configured = keyring.sm2_signer(origin)
            if configured is None:
                command.stdout.write("no SM2 key configured (YINGSHANG_LEDGER_SM2_KEY is empty)")
                return 0
            signer = configured
    except (keyring.SM2KeyError, ValueError) as error:
        command.stderr.write(f"FAILED: {error}")
        return 1
    command.stdout.write(signer.verifier_key)
    return 0


def subcommands(subcommand: type[Subcommand]) -> dict[str, Subcommand]:
    return {
        "rotate-key": subcommand(
            "Replace the checkpoint key by a new one (the old one stays in the key history).", _rotate_key
        ),
        "keys": subcommand("Print the checkpoint key history (first size, last size, verifier key).", _keys),
        "sm2-key": subcommand(
            "Create an SM2 key for a second checkpoint signature, or print the configured one's verifier key.",
            _sm2_key,
            _sm2_key_arguments,
        ),
    }
