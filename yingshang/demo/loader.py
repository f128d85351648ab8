"""Loads the demo city through the contexts' facades. Idempotent: a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from yingshang.demo.bids import DemoBids
from yingshang.demo.city import DEMO_PASSWORD, DEMO_TOTP_SECRET, DIVISION, ORGANISATIONS, PEOPLE
from yingshang.demo.evaluation import ensure_stages
from yingshang.demo.opening import ensure_openings
from yingshang.identity import facade as identity
from yingshang.kernel.identifiers import make_uscc
from yingshang.ledger import facade as ledger
from yingshang.trading.documents import facade as documents
from yingshang.trading.projects import facade as projects


@dataclass(frozen=True)
class LoadReport:
    organisations: int
    users: int
    projects: int = 0
    documents: int = 0
    bids: int = 0
    openings: int = 0
    committees: int = 0
    evaluations: int = 0
    awards: int = 0


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
        # Trading: projects in every stage (intake, tenders, notices), and each published tender's
        # documents with bidders' downloads (receipts) and a question answered in a clarification,
        # made right after the notice, on the clock it was published with.
        with_documents: list[int] = []
        # Sealed bids: the demo CAs in the trust store and certificates for every bidder (under
        # var/demo-pki/) now; bids as each tender is published (the closed tender's in every
        # state, the open tender's two), on the clock of their moments.
        sealed_bids = DemoBids(
            organisations={key: org.pk for key, org in organisations.items()},
            users=users,
            people={p.username: p.organisation for p in PEOPLE if "bidder" in p.roles},
        )

        def publish_documents(tender_id: int, until: datetime) -> None:
            if documents.ensure_demo_documents(tender_id, until=until):
                with_documents.append(tender_id)
            sealed_bids.on_published(tender_id, until)

        created_projects = projects.ensure_demo_projects(
            organisations={key: org.pk for key, org in organisations.items()},
            users=users,
            on_published=publish_documents,
        )
        sealed_bids.note_open_tender()
        # Openings: the closed tender's, finished with its signed record; the tender closing a
        # few minutes from now opens live under the chronograph.
        openings = ensure_openings(
            users=users,
            organisations={key: org.pk for key, org in organisations.items()},
            people={p.username: p.organisation for p in PEOPLE if "bidder" in p.roles},
        )
        # Public tenders still without documents (a demo database loaded before the documents
        # context existed) get what their timeline still allows. Idempotent.
        documented = len(with_documents) + documents.load_documents_demo()
    # Committees drawn for the opened tenders, their evaluations and awards (issue 7), each
    # service in its own transaction: a sequencer running beside the loader sees the draws'
    # commitments and may sign their beacons (the loader signs them itself otherwise).
    stages = ensure_stages(
        users=users,
        organisations={key: org.pk for key, org in organisations.items()},
        people={p.username: p.organisation for p in PEOPLE if "bidder" in p.roles},
    )
    # The services recorded every fact in the ledger's outbox; sequence them now so the ledger
    # page shows a signed checkpoint at once (under `make run` the sequencer loop does this).
    ledger.sequence_once()
    return LoadReport(
        organisations=len(ORGANISATIONS),
        users=len(PEOPLE),
        projects=created_projects,
        documents=documented,
        bids=sealed_bids.made,
        openings=openings,
        committees=stages.committees,
        evaluations=stages.evaluations,
        awards=stages.awards,
    )
