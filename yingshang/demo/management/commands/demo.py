"""``yingshang demo``: load the demo city (idempotent), or print a demo user's one-time code."""

from __future__ import annotations

from typing import Any

import pyotp
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yingshang.demo import loader
from yingshang.demo.accounts import SECOND_FACTOR_ROLES
from yingshang.demo.city import DEMO_TOTP_SECRET, PEOPLE
from yingshang.identity import facade as identity


class Command(BaseCommand):
    help = "Load the demo data (running it twice changes nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--code", metavar="USERNAME", help="Print the current one-time code of a demo user."
        )

    def handle(self, *args: Any, code: str | None, **options: Any) -> None:
        if code:
            person = next((p for p in PEOPLE if p.username == code), None)
            drawn = identity.users_with_role("expert").filter(username=code).exists()
            if not drawn and (person is None or not SECOND_FACTOR_ROLES & set(person.roles)):
                raise CommandError(f"{code} is not a demo user with a second factor.")
            self.stdout.write(pyotp.TOTP(DEMO_TOTP_SECRET).now())
            return
        report = loader.load()
        self.stdout.write(f"Demo data present: {report.organisations} organisations, {report.users} users.")
        self.stdout.write(
            f"Sealed bids placed this run: {report.bids} (the demo bidders' certificates and keys: var/demo-pki/)."
        )
        self.stdout.write(
            f"Openings finished this run: {report.openings}; the tender 金城市西固区集中供热管网改造工程 "
            "opens a few minutes after loading (watch it at /trading/opening/)."
        )
        self.stdout.write(
            f"Expert committees drawn this run: {report.committees}; evaluations moved on: "
            f"{report.evaluations}; awards moved on: {report.awards}. "
            "金城市南山路综合管廊工程 is being scored (/trading/evaluation/), "
            "金城市安宁区排洪沟综合治理工程 is in candidate publicity and "
            "金城市北环路立交桥加固工程 is awarded (/trading/award/)."
        )
