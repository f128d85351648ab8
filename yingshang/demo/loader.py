"""Loads the demo city through the contexts' facades. Idempotent: a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from yingshang.demo.city import DEMO_PASSWORD, DEMO_TOTP_SECRET, DIVISION, ORGANISATIONS, PEOPLE
from yingshang.identity import facade as identity
from yingshang.kernel.identifiers import make_uscc
from yingshang.ledger import facade as ledger
from yingshang.trading.projects import facade as projects


@dataclass(frozen=True)
class LoadReport:
    organisations: int
    users: int
    projects: int = 0


def uscc_of(key: str) -> str:
    org = next(o for o in ORGANISATIONS if o.key == key)
    return make_uscc(org.authority, org.entity_type, DIVISION, org.org_code_body)


def load() -> LoadReport:
    with transaction.atomic():
        organisations = {
            org.key: identity.ensure_organisation(
                kind=org.kind, name=org.name, uscc=uscc_of(org.key), division=DIVISION
            )
            for org in ORGANISATIONS
        }
        users: dict[str, int] = {}
        for person in PEOPLE:
            user = identity.ensure_user(
                username=person.username,
                password=DEMO_PASSWORD,
                display_name=person.display_name,
                phone=person.phone,
                email=f"{person.username}@demo.jincheng.invalid",
                preferred_language=person.language,
            )
            identity.ensure_membership(
                user=user, organisation=organisations[person.organisation], roles=person.roles
            )
            if {role.value for role in identity.SECOND_FACTOR_ROLES} & set(person.roles):
                identity.ensure_totp(user=user, secret=DEMO_TOTP_SECRET)
            users[person.username] = user.pk
        # Trading: projects in every stage (intake, tenders, notices).
        created_projects = projects.ensure_demo_projects(
            organisations={key: org.pk for key, org in organisations.items()}, users=users
        )
    # The services recorded every fact in the ledger's outbox; sequence them now so the ledger
    # page shows a signed checkpoint at once (under `make run` the sequencer loop does this).
    ledger.sequence_once()
    return LoadReport(organisations=len(ORGANISATIONS), users=len(PEOPLE), projects=created_projects)
