"""The demo accounts that `make run` prints."""

from __future__ import annotations

from typing import Protocol

from yingshang.demo.city import DEMO_PASSWORD, DEMO_TOTP_SECRET, ORGANISATIONS, PEOPLE

SECOND_FACTOR_ROLES = {"centre_staff", "supervisor", "auditor"}


class Writable(Protocol):
    def write(self, text: str) -> object: ...


def print_accounts(out: Writable, *, base_url: str) -> None:
    names = {org.key: org.name for org in ORGANISATIONS}
    out.write(f"\nDemo accounts on {base_url}/  (password for all: {DEMO_PASSWORD})\n")
    width = max(len(p.username) for p in PEOPLE)
    for person in PEOPLE:
        roles = ", ".join(person.roles)
        marker = " *" if SECOND_FACTOR_ROLES & set(person.roles) else ""
        out.write(f"  {person.username:<{width}}  {roles:<16} {names[person.organisation]}{marker}\n")
    out.write(
        f"  * needs a one-time code: add the secret {DEMO_TOTP_SECRET} to an authenticator app,\n"
        "    or print the current code with `.venv/bin/yingshang demo --code USERNAME`.\n\n"
    )
