"""The demo accounts that `make run` prints."""

from __future__ import annotations

from typing import Protocol

from django.db import DatabaseError

from yingshang.demo.city import DEMO_PASSWORD, DEMO_TOTP_SECRET, ORGANISATIONS, PEOPLE
from yingshang.identity.facade import SECOND_FACTOR_ROLES as _ROLES

SECOND_FACTOR_ROLES = {role.value for role in _ROLES}


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
        "    or print the current code with `.venv/bin/yingshang demo --code USERNAME`.\n"
    )
    # The operator's console only: the platform itself keeps the committee's names secret.
    try:
        from yingshang.demo.bids import CLOSED
        from yingshang.demo.evaluation import committee_usernames

        members = committee_usernames(CLOSED)
    except DatabaseError:  # not migrated yet
        members = []
    if len(members) > 1:
        others = ", ".join(members[2:])
        out.write(
            f"  The committee scoring {CLOSED} (drawn by lot; the jc.../ts.../by... expert accounts\n"
            f"  have the same password and one-time code): chair {members[0]}; {members[1]} (an abnormal\n"
            f"  mark to explain); {others}\n"
        )
    out.write("\n")
