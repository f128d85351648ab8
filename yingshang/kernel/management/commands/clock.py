"""``yingshang clock show|set|reset``: look at or change the domain clock's sandbox.

    yingshang clock show
    yingshang clock set --factor 60 [--at 2026-12-01T09:00] --reason "rehearse tender 42"
    yingshang clock reset --reason "rehearsal over"

``--at`` without a time zone is read as Asia/Shanghai time.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yingshang.kernel import clock, sandbox
from yingshang.kernel.errors import DomainError


def _shanghai(value: datetime | None) -> str:
    return clock.to_shanghai(value).isoformat(sep=" ", timespec="seconds") if value else "-"


def _parse_at(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--at {text!r} is not an ISO 8601 date and time (e.g. 2026-12-01T09:00)") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.SHANGHAI)
    return value


class Command(BaseCommand):
    help = "Show, set or reset the domain clock's sandbox (accelerated time for rehearsals)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="show|set|reset")
        actions.add_parser("show", help="Show the domain and wall time and the sandbox settings.")
        set_parser = actions.add_parser("set", help="Run domain time FACTOR times as fast as real time.")
        set_parser.add_argument(
            "--factor", required=True, help="e.g. 60: one real minute is one domain hour."
        )
        set_parser.add_argument("--at", help="Jump the domain time forward to this ISO time first.")
        set_parser.add_argument(
            "--reason", default="set from the command line", help="Why (kept with the row)."
        )
        reset_parser = actions.add_parser("reset", help="Return to real time.")
        reset_parser.add_argument("--reason", default="reset from the command line", help="Why.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        who = f"command line ({getpass.getuser()})"
        try:
            if action == "set":
                at = _parse_at(options["at"]) if options.get("at") else None
                state = sandbox.set_sandbox(
                    factor=options["factor"], domain_now=at, reason=options["reason"], updated_by=who
                )
            elif action == "reset":
                state = sandbox.reset_sandbox(reason=options["reason"], updated_by=who)
            else:
                state = sandbox.sandbox_state()
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self._show(state)

    def _show(self, state: sandbox.SandboxState) -> None:
        if state.enabled:
            mode = f"sandbox, {state.factor.normalize():f} times real time"
        else:
            mode = "real time (domain time = wall time)"
        lines = [
            f"Domain clock: {mode}",
            f"Domain time:  {_shanghai(state.domain)} (Asia/Shanghai)",
            f"Wall time:    {_shanghai(state.wall)} (Asia/Shanghai)",
        ]
        if state.enabled:
            lines.append(
                f"Anchor:       domain {_shanghai(state.anchor_domain)} at wall {_shanghai(state.anchor_wall)}"
            )
        if state.updated_at:
            lines.append(
                f"Last change:  {_shanghai(state.updated_at)} by {state.updated_by or '?'}: {state.reason}"
            )
        if not sandbox.sandbox_allowed():
            lines.append("The sandbox is not allowed here (production without YINGSHANG_ALLOW_SANDBOX=1).")
        self.stdout.write("\n".join(lines))
