"""The documents services on a real database with a fixed clock and real tenders (projects
services): drafting, publishing, versions, downloads with receipts, questions, amendments (T4)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from yingshang.files import facade as files
from yingshang.kernel import clock
from yingshang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from yingshang.ledger.models import OutboxEntry
from yingshang.notifications import facade as notifications
from yingshang.trading.documents import evidence, facade, services
from yingshang.trading.documents.models import (
    DocumentVersion,
    DownloadReceipt,
    Question,
    TemplateVersion,
    TenderDocument,
)
from yingshang.trading.documents.tests.helpers import FILLED, OPEN, World, draft, published
from yingshang.trading.projects import facade as projects
from yingshang.trading.projects.tests.factories import bj

pytestmark = pytest.mark.django_db


def entries(action: str) -> list[dict]:
    return [json.loads(row.entry) for row in OutboxEntry.objects.filter(action=action).order_by("id")]


# --- drafting and publishing --------------------------------------------------------------------------


def test_documents_are_created_from_a_template_and_prefilled(world: World) -> None:
    document = services.create_documents(
        principal=world.tenderer, tender_id=world.tender_id, template_code="works-construction"
    )
    tender = projects.tender_summary(world.tender_id)
    assert document.values["project_name"] == tender.title
    assert document.values["bid_deadline"] == "2025-03-25"
    assert document.values["documents_from"] == "2025-03-03"
    assert TemplateVersion.objects.get(code="works-construction").content_sha256
    with pytest.raises(Conflict):
        services.create_documents(
            principal=world.agency, tender_id=world.tender_id, template_code="works-construction"
        )


@pytest.mark.parametrize("who", ["bidder", "staff", "auditor", "supervisor", "other_tenderer"])
def test_only_the_tenderer_and_agency_create_documents(world: World, who: str) -> None:
    with pytest.raises((PermissionDenied, NotFound)):
        services.create_documents(
            principal=world.cast.p(who), tender_id=world.tender_id, template_code="works-construction"
        )
    assert not TenderDocument.objects.exists()


def test_unknown_template_and_unknown_tender(world: World) -> None:
    with pytest.raises(InvalidInput):
        services.create_documents(principal=world.agency, tender_id=world.tender_id, template_code="nope")
    with pytest.raises(NotFound):
        services.create_documents(principal=world.agency, tender_id=10**9, template_code="works-construction")


def test_a_draft_lists_every_bad_field_and_a_stale_revision_is_refused(world: World) -> None:
    document = draft(world)
    with pytest.raises(InvalidInput) as error:
        services.save_draft(
            principal=world.agency,
            document_id=document.pk,
            values={"ceiling_price": "lots", "bid_deadline": "tomorrow", "evaluation_method": "lottery"},
        )
    assert {d["field"] for d in error.value.details} == {"ceiling_price", "bid_deadline", "evaluation_method"}
    old_revision = document.revision
    services.save_draft(
        principal=world.tenderer,
        document_id=document.pk,
        values={**document.values, "construction_period": "280日历天"},
    )
    with pytest.raises(Conflict) as stale:
        services.save_draft(
            principal=world.agency,
            document_id=document.pk,
            values={**document.values, "quality_standard": "优良"},
            revision=old_revision,
        )
    assert {d["field"] for d in stale.value.details} >= {"construction_period", "quality_standard"}


def test_publishing_needs_every_required_field(world: World) -> None:
    document = services.create_documents(
        principal=world.agency, tender_id=world.tender_id, template_code="works-construction"
    )
    with pytest.raises(InvalidInput) as error:
        services.publish(principal=world.agency, document_id=document.pk)
    assert {d["field"] for d in error.value.details} >= {"tenderer_name", "ceiling_price", "contact_phone"}
    assert not document.versions.exists()


def test_publication_is_version_1_stored_and_ledgered(world: World) -> None:
    version = published(world)
    assert (version.number, version.kind) == (1, "original")
    ref = files.document(version.file_id)
    assert ref.media_type == "application/pdf" and ref.sha256 == version.sha256
    entry = entries(evidence.PUBLISHED)[-1]
    assert entry["visibility"] == {"kind": "public"}
    assert entry["data"]["fields"]["sha256"] == version.sha256
    assert version.ledger_entry_hash == OutboxEntry.objects.filter(action=evidence.PUBLISHED).get().leaf_hash
    assert facade.current_version(world.tender_id).number == 1  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        services.publish(principal=world.agency, document_id=version.document_id)


def test_a_used_template_version_is_immutable(world: World) -> None:
    draft(world)
    TemplateVersion.objects.filter(code="works-construction").update(content_sha256="0" * 64)
    document = TenderDocument.objects.get()
    with pytest.raises(Conflict) as error:
        services.publish(principal=world.agency, document_id=document.pk)
    assert error.value.code == "template_changed"


# --- downloads and receipts -------------------------------------------------------------------------------


def _verify_receipt(receipt: DownloadReceipt) -> dict:
    document = services.receipt_document(receipt)
    signature = services.sign_receipt(document)
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(signature["public_key"]))
    key.verify(base64.b64decode(signature["signature"]), services.RECEIPT_CONTEXT + rfc8785.dumps(document))
    assert services.commitment_of(document) == receipt.commitment
    return document


def test_a_bidder_downloads_without_preconditions_and_gets_a_signed_receipt(
    world: World, fixed: clock.FixedClock
) -> None:
    version = published(world)
    fixed.set(OPEN)
    bidder = world.p(world.bidder)
    receipt = services.download(principal=bidder, tender_id=world.tender_id)
    document = _verify_receipt(receipt)
    assert _verify_receipt(DownloadReceipt.objects.get(pk=receipt.pk)) == document  # survives the database
    assert document["document_sha256"] == version.sha256 and document["version"] == 1
    assert document["organisation_id"] == bidder.organisation_id
    # A second download returns the same receipt, records nothing more.
    assert services.download(principal=bidder, tender_id=world.tender_id, number=1).pk == receipt.pk
    assert len(entries(evidence.RECEIPT_ISSUED)) == 1


def test_the_ledger_entry_of_a_download_names_neither_bidder_nor_tender(
    world: World, fixed: clock.FixedClock
) -> None:
    published(world)
    fixed.set(OPEN)
    bidder = world.p(world.bidder)
    receipt = services.download(principal=bidder, tender_id=world.tender_id)
    [entry] = entries(evidence.RECEIPT_ISSUED)
    assert entry["data"] == {"commitment": receipt.commitment}
    assert entry["actor"] == {"kind": "system", "name": "tenderdocs"}
    assert entry["subject"]["id"] == receipt.commitment
    assert entry["request"] == {"id": None, "address": None}
    text = OutboxEntry.objects.get(action=evidence.RECEIPT_ISSUED).entry
    for secret in (str(bidder.organisation_id), str(bidder.user_id)):
        assert f":{secret}," not in text and f":{secret}}}" not in text
    assert receipt.ledger_entry_hash == receipt.promise["entry_hash"]


@pytest.mark.parametrize(
    "who", ["tenderer_user", "agency_user", "staff_user", "supervisor_user", "auditor_user"]
)
def test_only_bidders_download(world: World, fixed: clock.FixedClock, who: str) -> None:
    published(world)
    fixed.set(OPEN)
    with pytest.raises(PermissionDenied):
        services.download(principal=world.p(getattr(world.cast, who)), tender_id=world.tender_id)
    assert not DownloadReceipt.objects.exists()


def test_downloads_only_in_the_download_period_except_later_versions_for_holders(
    world: World, fixed: clock.FixedClock
) -> None:
    version = published(world)
    with pytest.raises(RuleViolation):  # 09:00, the period opens at 10:00
        services.download(principal=world.p(world.bidder), tender_id=world.tender_id)
    fixed.set(OPEN)
    services.download(principal=world.p(world.bidder), tender_id=world.tender_id)
    fixed.set(bj(2025, 3, 12, 9, 0))  # after documents_until (11 March 17:00)
    with pytest.raises(RuleViolation):
        services.download(principal=world.p(world.other_bidder), tender_id=world.tender_id)
    services.save_draft(
        principal=world.agency,
        document_id=version.document_id,
        values={**version.values, "quality_standard": "优良"},
    )
    services.issue_revision(principal=world.agency, document_id=version.document_id, reason="提高质量要求")
    second = services.download(principal=world.p(world.bidder), tender_id=world.tender_id)
    assert second.version.number == 2


# --- questions, clarifications, amendments ---------------------------------------------------------------


def test_questions_are_anonymous_in_the_ledger_and_answered_in_a_new_version(
    world: World, fixed: clock.FixedClock
) -> None:
    version = published(world)
    fixed.set(OPEN)
    bidder = world.p(world.bidder)
    services.download(principal=bidder, tender_id=world.tender_id)
    question = services.ask_question(principal=bidder, tender_id=world.tender_id, text="是否接受联合体投标？")
    assert question.number == 1
    [entry] = entries(evidence.QUESTION_ASKED)
    assert entry["actor"] == {"kind": "system", "name": "tenderdocs"}
    assert "asker_commitment" in entry["data"] and "是否" not in json.dumps(entry, ensure_ascii=False)
    # The tenderer's users are told a question arrived (no asker in it).
    inbox = notifications.inbox(world.tenderer)
    assert any("问题" in item.subject for item in inbox)
    clarification = services.issue_revision(
        principal=world.tenderer,
        document_id=version.document_id,
        reason="答复问题1",
        answers={1: "不接受联合体投标。"},
        affects_preparation=False,
    )
    assert (clarification.number, clarification.kind) == (2, "clarification")
    question.refresh_from_db()
    assert (question.status, question.answered_in_id) == (Question.Status.ANSWERED, clarification.pk)
    # The holder is notified of the new version.
    assert any("第 2 版" in item.subject for item in notifications.inbox(bidder))


def test_questions_are_refused_after_the_question_deadline_and_for_non_bidders(
    world: World, fixed: clock.FixedClock
) -> None:
    published(world)
    with pytest.raises(PermissionDenied):
        services.ask_question(principal=world.tenderer, tender_id=world.tender_id, text="?")
    with pytest.raises(InvalidInput):
        services.ask_question(principal=world.p(world.bidder), tender_id=world.tender_id, text="  ")
    fixed.set(bj(2025, 3, 18, 9, 0))
    with pytest.raises(RuleViolation):
        services.ask_question(principal=world.p(world.bidder), tender_id=world.tender_id, text="还能提问吗？")


def test_an_amendment_less_than_15_days_before_the_deadline_moves_it(
    world: World, fixed: clock.FixedClock
) -> None:
    version = published(world)
    fixed.set(OPEN)
    services.download(principal=world.p(world.bidder), tender_id=world.tender_id)
    fixed.set(bj(2025, 3, 12, 10, 0))  # 13 days before the 25 March deadline
    services.save_draft(
        principal=world.agency,
        document_id=version.document_id,
        values={**version.values, "ceiling_price": FILLED["ceiling_price"] - 5_000_000},
    )
    amendment = services.issue_revision(
        principal=world.agency, document_id=version.document_id, reason="调整最高投标限价"
    )
    assert (amendment.number, amendment.kind, amendment.affects_preparation) == (2, "amendment", True)
    tender = projects.tender_summary(world.tender_id)
    assert amendment.deadline_before == bj(2025, 3, 25, 9, 30)
    assert amendment.deadline_after == tender.bid_deadline
    assert tender.bid_deadline == bj(2025, 3, 27, 9, 30)  # 12 March + 15 days, a Thursday
    assert amendment.values["bid_deadline"] == "2025-03-27"
    entry = entries(evidence.AMENDED)[-1]
    assert entry["data"]["deadline_moved_to"].startswith("2025-03-27T01:30")
    assert entry["data"]["changed_fields"] == ["bid_deadline", "ceiling_price"]
    inbox = notifications.inbox(world.p(world.bidder))
    assert any(item.urgent and "第 2 版" in item.subject for item in inbox)


def test_an_early_clarification_leaves_the_deadline(world: World, fixed: clock.FixedClock) -> None:
    version = published(world)
    fixed.set(OPEN)  # 21 days before the deadline
    services.save_draft(
        principal=world.agency,
        document_id=version.document_id,
        values={**version.values, "contact_person": "李工"},
    )
    amendment = services.issue_revision(
        principal=world.agency, document_id=version.document_id, reason="更换联系人"
    )
    assert amendment.deadline_after == amendment.deadline_before == bj(2025, 3, 25, 9, 30)


def test_nothing_to_publish_and_no_changes_after_the_deadline(world: World, fixed: clock.FixedClock) -> None:
    version = published(world)
    with pytest.raises(InvalidInput):
        services.issue_revision(principal=world.agency, document_id=version.document_id, reason="无")
    with pytest.raises(InvalidInput):
        services.issue_revision(
            principal=world.agency, document_id=version.document_id, reason="答复", answers={7: "x"}
        )
    fixed.set(bj(2025, 3, 25, 9, 30) + timedelta(minutes=1))
    services.save_draft(
        principal=world.agency,
        document_id=version.document_id,
        values={**version.values, "contact_person": "李工"},
    )
    with pytest.raises(RuleViolation):
        services.issue_revision(principal=world.agency, document_id=version.document_id, reason="太晚了")


def test_the_ledger_audit_finds_no_documents_row_out_of_step(world: World, fixed: clock.FixedClock) -> None:
    from yingshang.ledger import facade as ledger

    version = published(world)
    fixed.set(OPEN)
    services.save_draft(
        principal=world.agency,
        document_id=version.document_id,
        values={**version.values, "contact_person": "李工"},
    )
    services.issue_revision(principal=world.agency, document_id=version.document_id, reason="更换联系人")
    ledger.sequence_once()
    findings = [f for f in ledger.audit() if f.table.startswith("tenderdocs_")]
    assert findings == [], [f.describe() for f in findings]
    # A version edited behind the services' back is found.
    DocumentVersion.objects.filter(pk=version.pk).update(sha256="0" * 64)
    assert [f.problem for f in ledger.audit() if f.table == "tenderdocs_documentversion"] == ["changed"]
