"""Tamper detection: rows changed behind the services' back are found by ``ledger audit``."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from yingshang.identity.models import Membership, Organisation
from yingshang.identity.testing import make_organisation, make_user
from yingshang.ledger import aggregates, facade
from yingshang.ledger.models import LogEntry, OutboxEntry
from yingshang.ledger.tests.reading import run_ledger

pytestmark = pytest.mark.django_db


def test_services_keep_rows_and_ledger_in_step() -> None:
    organisation = make_organisation(name="甘肃示范建设有限公司")
    user = make_user(roles=["bidder"], organisation=organisation)
    membership = Membership.objects.get(user=user)
    assert organisation.ledger_entry_hash and membership.ledger_entry_hash
    entry = json.loads(OutboxEntry.objects.get(leaf_hash=organisation.ledger_entry_hash).entry)
    assert entry["action"] == "identity.organisation.registered"
    assert entry["data"]["fields"]["name"] == "甘肃示范建设有限公司"
    assert entry["data"]["digest"] == aggregates.digest_of(aggregates.fields_of(organisation))
    assert run_ledger("audit")[0] == 0
    facade.sequence_once()  # the entries moved to the log: still found
    assert LogEntry.objects.filter(leaf_hash=organisation.ledger_entry_hash).exists()
    status, out, _err = run_ledger("audit")
    assert status == 0 and "identity_organisation" in out


def test_a_raw_sql_update_is_reported_with_table_key_field_and_entry() -> None:
    organisation = make_organisation(name="原名称")
    facade.sequence_once()
    index = LogEntry.objects.get(leaf_hash=organisation.ledger_entry_hash).index
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE identity_organisation SET name = %s WHERE id = %s", ["改过的名称", organisation.pk]
        )
    status, out, err = run_ledger("audit")
    assert status == 1
    assert f"identity_organisation pk={organisation.pk}: field(s) name differ from entry {index}" in out
    assert organisation.ledger_entry_hash in out
    assert "1 row(s)" in err
    (finding,) = list(aggregates.audit())
    assert finding.fields == ("name",) and finding.entry_index == index


def test_a_changed_role_and_a_row_inserted_without_the_services_are_reported() -> None:
    user = make_user(roles=["bidder"])
    membership = Membership.objects.get(user=user)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE identity_membership SET role = 'tenderer' WHERE id = %s", [membership.pk])
    Organisation.objects.create(
        kind="enterprise", name="影子公司", uscc="91620100MA00000009", division="620100"
    )
    findings = {(f.table, f.problem, f.fields) for f in aggregates.audit()}
    assert ("identity_membership", "changed", ("role",)) in findings
    assert ("identity_organisation", "no_entry", ()) in findings


def test_a_row_naming_an_entry_that_does_not_exist_is_reported() -> None:
    organisation = make_organisation()
    Organisation.objects.filter(pk=organisation.pk).update(ledger_entry_hash="0" * 64)
    (finding,) = list(aggregates.audit())
    assert finding.problem == "unknown_entry" and "not in the ledger" in finding.describe()


def test_a_legitimate_update_records_a_new_digest() -> None:
    from yingshang.identity import services

    organisation = make_organisation(name="旧名")
    first = organisation.ledger_entry_hash
    updated = services.ensure_organisation(kind="enterprise", name="新名", uscc=organisation.uscc)
    assert updated.ledger_entry_hash != first
    assert list(aggregates.audit()) == []


def test_identity_facts_are_recorded_without_secrets() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from yingshang.identity import services
    from yingshang.identity.testing import totp_secret_of

    user = make_user(roles=["supervisor"])  # a second factor: a TOTP device
    created = services.create_api_token(
        user=user, name="t", scopes=["identity:read"], expires_at=timezone.now() + timedelta(days=1)
    )
    services.revoke_api_token(user=user, token_id=created.token.pk)
    entries = [json.loads(text) for text in OutboxEntry.objects.values_list("entry", flat=True)]
    actions = [e["action"] for e in entries]
    for code in (
        "identity.organisation.registered",
        "identity.user.created",
        "identity.role.granted",
        "identity.totp.confirmed",
        "identity.token.created",
        "identity.token.revoked",
    ):
        assert code in actions
    everything = "\n".join(OutboxEntry.objects.values_list("entry", flat=True))
    secret = created.plain.split("_", 2)[2]  # ys_<prefix>_<secret>; the secret may hold "_"
    assert secret not in everything and totp_secret_of(user) not in everything
    assert user.password not in everything
    token_entry = next(e for e in entries if e["action"] == "identity.token.created")
    assert token_entry["visibility"] == {"kind": "parties", "user_ids": [user.pk]}
    assert token_entry["actor"] == {"kind": "user", "user_id": user.pk}


def test_rows_deleted_behind_the_services_back_are_reported() -> None:
    organisation = make_organisation(name="将被删除的公司")
    user = make_user(roles=["bidder"], organisation=organisation)
    membership = Membership.objects.get(user=user)
    facade.sequence_once()
    membership_entry = LogEntry.objects.get(leaf_hash=membership.ledger_entry_hash)
    assert list(aggregates.audit()) == []
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM identity_membership WHERE id = %s", [membership.pk])
    (finding,) = list(aggregates.audit())
    assert (finding.table, finding.pk, finding.problem) == (
        "identity_membership",
        str(membership.pk),
        "deleted",
    )
    assert (finding.entry_hash, finding.entry_index) == (membership.ledger_entry_hash, membership_entry.index)
    status, out, err = run_ledger("audit")
    assert status == 1 and "1 row(s)" in err
    assert (
        f"identity_membership pk={membership.pk}: row deleted outside the services "
        f"(entry {membership_entry.index} {membership.ledger_entry_hash}" in out
    )


def test_a_deleted_organisation_still_in_the_outbox_is_reported() -> None:
    organisation = make_organisation(name="未排序即被删除")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM identity_organisation WHERE id = %s", [organisation.pk])
    (finding,) = list(aggregates.audit())
    assert (finding.table, finding.pk, finding.problem) == (
        "identity_organisation",
        str(organisation.pk),
        "deleted",
    )
    assert finding.entry_hash == organisation.ledger_entry_hash and finding.entry_index is None
    assert "outbox entry" in finding.describe()


def test_a_deletion_through_the_services_is_not_reported() -> None:
    from yingshang.identity import services

    organisation = make_organisation()
    user = make_user(roles=["bidder"], organisation=organisation)
    facade.sequence_once()
    services.revoke_role(actor=None, user=user, organisation=organisation, role="bidder")
    assert not Membership.objects.filter(user=user).exists()
    assert list(aggregates.audit()) == []
    facade.sequence_once()
    assert list(aggregates.audit()) == []
    assert run_ledger("audit")[0] == 0


def test_every_ledgered_aggregate_names_its_subject_by_primary_key() -> None:
    """Else its deleted rows could not be found from the ledger."""
    for spec in aggregates.registered_models():
        assert aggregates.subject_kind(spec) is not None, spec.model
