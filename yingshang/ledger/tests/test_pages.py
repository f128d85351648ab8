"""The public ledger page and the evidence view."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from yingshang.identity.testing import make_user, sign_in
from yingshang.ledger.contracts import Subject, Visibility
from yingshang.ledger.tests.reading import sequenced

pytestmark = pytest.mark.django_db

SUBJECT = Subject("ledger", "read_test", "page")


def test_the_public_page_shows_the_checkpoint_looks_up_entries_and_checks_proofs(client: Client) -> None:
    empty = client.get("/ledger/")
    assert empty.status_code == 200 and "<dl>" not in empty.content.decode()
    public, private = sequenced(Visibility.public(), Visibility.oversight(), subject=SUBJECT)
    page = client.get("/ledger/").content.decode()
    assert public.leaf_hash not in page  # the root is shown, not the leaves
    shown = client.get("/ledger/", {"index": public.index}).content.decode()
    assert public.leaf_hash in shown
    hidden = client.get("/ledger/", {"index": private.index}).content.decode()
    assert private.leaf_hash not in hidden and 'role="alert"' in hidden
    assert 'role="alert"' in client.get("/ledger/", {"index": "abc"}).content.decode()
    checked = client.get("/ledger/", {"leaf_hash": private.leaf_hash.upper()}).content.decode()
    assert 'role="status"' in checked  # inclusion is public even when the entry is not
    assert 'role="alert"' in client.get("/ledger/", {"leaf_hash": "00" * 32}).content.decode()
    assert 'role="alert"' in client.get("/ledger/", {"leaf_hash": "zz"}).content.decode()


def test_the_evidence_view_lists_a_subjects_history_for_overseers(client: Client) -> None:
    entries = sequenced(Visibility.public(), Visibility.oversight(centre=False), subject=SUBJECT)
    supervisor = Client()
    sign_in(supervisor, make_user(roles=["supervisor"], preferred_language="en"))
    page = supervisor.get(
        "/ledger/evidence/", {"subject": "ledger:read_test:page"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert all(e.leaf_hash[:10] in text for e in entries)
    assert "读取测试事实" in text or "read test fact" in text
    download = supervisor.get("/ledger/evidence/bundle/", {"subject": "ledger:read_test:page"})
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert len(json.loads(download.content)["entries"]) == 2
    centre = Client()
    sign_in(centre, make_user(roles=["centre_staff"]))
    bundle = json.loads(centre.get("/ledger/evidence/bundle/", {"subject": "ledger:read_test:page"}).content)
    assert len(bundle["entries"]) == 1  # centre=false hides the second from centre staff
    assert supervisor.get("/ledger/evidence/", {"subject": "bad"}).status_code == 400


def test_the_evidence_view_is_for_overseers_only(client: Client) -> None:
    assert client.get("/ledger/evidence/").status_code == 302
    bidder = Client()
    sign_in(bidder, make_user(roles=["bidder"]))
    assert bidder.get("/ledger/evidence/", {"subject": "a:b:c"}).status_code == 403
    assert bidder.get("/ledger/evidence/bundle/", {"subject": "a:b:c"}).status_code == 403
