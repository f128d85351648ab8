"""Who may read an entry: public, public from an event, parties, oversight; superusers."""

from __future__ import annotations

import pytest

from yingshang.kernel.policy import Principal
from yingshang.ledger import facade, selectors
from yingshang.ledger.contracts import Subject, Visibility
from yingshang.ledger.permissions import Readable, may_read
from yingshang.ledger.tests.reading import sequenced

GUEST = Principal.guest()
PARTY = Principal(user_id=7, organisation_id=70, roles=frozenset({"bidder"}))
PARTY_ORG = Principal(user_id=8, organisation_id=3, roles=frozenset({"bidder"}))
STRANGER = Principal(user_id=9, organisation_id=90, roles=frozenset({"bidder"}))
SUPERVISOR = Principal(user_id=10, organisation_id=100, roles=frozenset({"supervisor"}))
AUDITOR = Principal(user_id=11, organisation_id=100, roles=frozenset({"auditor"}))
CENTRE = Principal(user_id=12, organisation_id=120, roles=frozenset({"centre_staff"}))
ROOT = Principal(user_id=13, organisation_id=None, roles=frozenset(), is_superuser=True)
TENDER = Subject("trading", "tender", "5")


def _readers(visibility: Visibility, *, published: bool = False) -> set[str]:
    readable = Readable(visibility=visibility.as_json(), published=published)
    everyone = {
        "guest": GUEST,
        "party": PARTY,
        "party_org": PARTY_ORG,
        "stranger": STRANGER,
        "supervisor": SUPERVISOR,
        "auditor": AUDITOR,
        "centre": CENTRE,
        "root": ROOT,
    }
    return {name for name, principal in everyone.items() if may_read(principal, readable)}


ALL = {"guest", "party", "party_org", "stranger", "supervisor", "auditor", "centre", "root"}
OVERSIGHT = {"supervisor", "auditor", "centre", "root"}


def test_public_entries_are_read_by_everyone() -> None:
    assert _readers(Visibility.public()) == ALL


def test_parties_are_the_named_users_and_organisations_plus_oversight() -> None:
    assert (
        _readers(Visibility.parties(user_ids=[7], organisation_ids=[3])) == {"party", "party_org"} | OVERSIGHT
    )


def test_oversight_only_and_without_the_centre() -> None:
    assert _readers(Visibility.oversight()) == OVERSIGHT
    assert _readers(Visibility.oversight(centre=False)) == OVERSIGHT - {"centre"}
    assert _readers(Visibility.parties(user_ids=[7], centre=False)) == {"party"} | OVERSIGHT - {"centre"}


def test_public_from_an_event_is_parties_until_it_happens() -> None:
    visibility = Visibility.public_from("opened", TENDER, user_ids=[7])
    assert _readers(visibility) == {"party"} | OVERSIGHT
    assert _readers(visibility, published=True) == ALL


def test_an_unknown_kind_fails_closed() -> None:
    assert {
        p for p in (PARTY, SUPERVISOR) if may_read(p, Readable({"kind": "secret", "user_ids": [7]}))
    } == set()


@pytest.mark.django_db
def test_mark_event_publishes_exactly_the_entries_waiting_for_it() -> None:
    waiting, other_event, other_subject = sequenced(
        Visibility.public_from("opened", TENDER, user_ids=[7]),
        Visibility.public_from("awarded", TENDER),
        Visibility.public_from("opened", Subject("trading", "tender", "6")),
    )
    assert not selectors.may_read(GUEST, waiting)
    assert selectors.may_read(PARTY, waiting)
    facade.mark_event(event="opened", subject=TENDER)
    facade.mark_event(event="opened", subject=TENDER)  # idempotent
    assert selectors.may_read(GUEST, waiting)
    assert not selectors.may_read(GUEST, other_event)
    assert not selectors.may_read(GUEST, other_subject)
    assert selectors.visible_entries(GUEST, [waiting, other_event, other_subject]) == [waiting]


@pytest.mark.django_db
def test_a_subjects_history_is_filtered_for_the_reader() -> None:
    subject = Subject("ledger", "read_test", "history")
    public, party, oversight = sequenced(
        Visibility.public(), Visibility.parties(user_ids=[7]), Visibility.oversight(), subject=subject
    )
    assert selectors.subject_history(GUEST, subject) == [public]
    assert selectors.subject_history(PARTY, subject) == [public, party]
    assert selectors.subject_history(SUPERVISOR, subject) == [public, party, oversight]
    token = Principal(
        user_id=10, organisation_id=100, roles=frozenset({"supervisor"}), scopes=frozenset({"identity:read"})
    )
    assert selectors.subject_history(token, subject) == [public]
