"""Every write of the documents context: one transaction per command, keyword-only arguments.

- ``create_documents``: a tender's documents from a standard template (pins the template version);
- ``save_draft``: the tenderer or agency fills fields (checked per type; a stale revision is refused
  with what changed);
- ``publish``: version 1 (rendered to PDF, stored content-addressed, recorded in the ledger);
- ``issue_revision``: after publication, a change of the values and/or answers to questions is a new
  version (amendment or clarification), never a silent change; when it affects bid preparation the
  projects facade's ``apply_amendment`` moves the bid deadline if fewer than 15 days remain (T4),
  inside the same transaction; every holder of the documents is notified;
- ``download``: a bidder obtains a version and receives a signed receipt; the ledger holds only a
  commitment to the receipt (no bidder, no tender), so the list of downloaders stays secret;
- ``ask_question``: a bidder asks anonymously.

Rendering happens inside the transaction (about 0.3 s a document) so that the PDF, the version row,
the moved deadline and the ledger entry commit together.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import rfc8785
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from yingshang.files import facade as files
from yingshang.identity import facade as identity
from yingshang.identity.facade import Role
from yingshang.kernel import clock, keys
from yingshang.kernel.errors import Conflict, InvalidInput, NotFound, RuleViolation
from yingshang.kernel.policy import Principal
from yingshang.kernel.text import Text
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import EntryPromise, Visibility
from yingshang.notifications import facade as notifications
from yingshang.trading.documents import catalogue, evidence, messages, rendering, selectors
from yingshang.trading.documents.fields import FieldProblem, check_values, display_value
from yingshang.trading.documents.models import (
    DocumentVersion,
    DownloadReceipt,
    Question,
    TemplateVersion,
    TenderDocument,
)
from yingshang.trading.documents.permissions import policy
from yingshang.trading.projects import facade as projects
from yingshang.trading.projects.contracts import TenderSummary

__all__ = [
    "RECEIPT_CONTEXT",
    "ask_question",
    "create_documents",
    "download",
    "issue_revision",
    "publish",
    "receipt_document",
    "save_draft",
]

#: Domain separation of the receipt signature (docs/contexts/documents.md, "Receipts").
RECEIPT_CONTEXT = b"yingshang-download-receipt/1\n"
MAX_QUESTION_LENGTH = 2000
MAX_REASON_LENGTH = 1000
CLOSED_STATUSES = frozenset({"cancelled", "failed", "terminated"})


# --- helpers --------------------------------------------------------------------------------------


def _problems_error(problems: list[FieldProblem]) -> InvalidInput:
    """Every field problem at once: one detail per field, the message names the first."""
    first = problems[0].message
    if len(problems) == 1:
        message = first
    else:
        message = Text(
            zh="有 %(count)s 处填写有误，第一处：%(first)s",
            en="%(count)s entries need correcting; the first: %(first)s",
            params={"count": len(problems), "first": first.render("zh-hans")},
        )
    return InvalidInput(message, details=[p.as_detail() for p in problems], code="invalid_fields")


def _template(code: str, version: int | None = None) -> catalogue.StandardTemplate:
    if not isinstance(code, str) or (version is not None and (isinstance(version, bool) or version < 1)):
        template = None
    elif version is None:
        template = catalogue.latest(code)
    else:
        template = catalogue.load_catalogue().get((code, version))
    if template is None:
        raise InvalidInput(
            Text(
                zh="没有标准模板“%(code)s”（版本 %(version)s）。",
                en="There is no standard template “%(code)s” (version %(version)s).",
                params={"code": str(code)[:64], "version": version or "-"},
            ),
            code="unknown_template",
            details=[{"field": "template", "code": "unknown_template", "message": "unknown template"}],
        )
    return template


def _pin_template(template: catalogue.StandardTemplate, principal: Principal) -> None:
    """A used template version is pinned to its file's digest; a changed file is refused."""
    pinned = TemplateVersion.objects.filter(code=template.code, version=template.version).first()
    if pinned is None:
        TemplateVersion.objects.create(
            code=template.code,
            version=template.version,
            content_sha256=template.content_sha256,
            first_used_at=clock.now(),
        )
        ledger.record(
            action=evidence.TEMPLATE_PINNED,
            actor=evidence.actor_of(principal),
            subject=evidence.template_subject(template.code, template.version),
            data={"code": template.code, "version": template.version, "sha256": template.content_sha256},
            visibility=Visibility.public(),
        )
    elif pinned.content_sha256 != template.content_sha256:
        raise Conflict(
            Text(
                zh="标准模板 %(key)s 在使用后被改动（文件摘要不符）。已使用的模板版本不可修改，请另建新版本。",
                en="The standard template %(key)s changed after it was used (its digest differs). "
                "A used version is immutable: add a new version instead.",
                params={"key": template.key},
            ),
            code="template_changed",
        )


def template_of(document: TenderDocument) -> catalogue.StandardTemplate:
    return _template(document.template_code, document.template_version)


def _plain_text(value: object, limit: int) -> bool:
    """Non-empty text of at most ``limit`` characters without NUL (which no database stores)."""
    return (
        isinstance(value, str) and bool(value.strip()) and len(value.strip()) <= limit and "\x00" not in value
    )


def _user_id(principal: Principal) -> int:
    if principal.user_id is None:  # the policies admit only signed-in principals to writes
        raise NotFound()
    return principal.user_id


def _site_url() -> str:
    return str(settings.YINGSHANG.get("SITE_URL", "")).rstrip("/")


def _tender(tender_id: int) -> TenderSummary:
    return selectors.tender(tender_id)


def _store_principal(principal: Principal) -> Principal:
    """The platform stores its own rendering: the acting principal without token scopes (the
    documents policy has already decided; the files policy must not ask for files:write)."""
    return dataclasses.replace(principal, scopes=None)


def _lock(document_id: int) -> TenderDocument:
    document = TenderDocument.objects.select_for_update().filter(pk=document_id).first()
    if document is None:
        raise NotFound()
    return document


def _check_revision(document: TenderDocument, revision: int | None, submitted: Mapping[str, Any]) -> None:
    if revision is None or revision == document.revision:
        return
    changed = sorted(
        key for key in set(document.values) | set(submitted) if document.values.get(key) != submitted.get(key)
    )
    raise Conflict(
        Text(
            zh="招标文件已被他人修改（您基于第 %(yours)s 次修订，当前为第 %(current)s 次）。已变化的字段：%(changed)s。请刷新后再改。",
            en="Someone else changed the documents (your form is revision %(yours)s, the current one is "
            "%(current)s). Fields that differ: %(changed)s. Reload and try again.",
            params={
                "yours": revision,
                "current": document.revision,
                "changed": ", ".join(changed) or "-",
            },
        ),
        code="stale_revision",
        details=[{"field": key, "code": "changed", "message": "changed"} for key in changed],
    )


def _prefill(template: catalogue.StandardTemplate, tender: TenderSummary) -> dict[str, Any]:
    """Values the platform knows: the project's name and the timeline's dates (Beijing time)."""
    known: dict[str, Any] = {"project_name": tender.title}
    for code, moment in (
        ("documents_from", tender.documents_from),
        ("documents_until", tender.documents_until),
        ("bid_deadline", tender.bid_deadline),
    ):
        if moment is not None:
            known[code] = clock.to_shanghai(moment).date().isoformat()
    return {code: value for code, value in known.items() if template.field(code) is not None}


def _zh_date(moment: datetime) -> str:
    local = clock.to_shanghai(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _values_digest(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(dict(values))).hexdigest()


def _render_and_store(
    *,
    principal: Principal,
    document: TenderDocument,
    tender: TenderSummary,
    template: catalogue.StandardTemplate,
    values: Mapping[str, Any],
    info: rendering.RenderInfo,
) -> files.DocumentRef:
    page = rendering.render_html(template, values, info)
    pdf = rendering.render_pdf(page, title=f"{tender.title} {template.title.zh}", author=tender.code)
    name = f"{tender.code}-{template.code}-v{info.version}.pdf"
    return files.store_document(
        principal=_store_principal(principal),
        name=name,
        stream=io.BytesIO(pdf),
        purpose=messages.RENDERED_PURPOSE.code,
    )


def _refuse_closed(tender: TenderSummary, at: datetime) -> None:
    if tender.status in CLOSED_STATUSES:
        raise RuleViolation(
            Text(
                zh="该招标已%(status)s，招标文件不能再发布或修改。",
                en="The tender is %(status)s; its documents can no longer be published or changed.",
                params={"status": tender.status},
            ),
            code="tender_closed",
        )
    if tender.bid_deadline is not None and at >= tender.bid_deadline:
        raise RuleViolation(
            Text(
                zh="投标截止时间已过，招标文件不能再修改。",
                en="The bid deadline has passed; the documents can no longer change.",
            ),
            code="deadline_passed",
        )


# --- drafting -----------------------------------------------------------------------------------


def create_documents(
    *, principal: Principal, tender_id: int, template_code: str, template_version: int | None = None
) -> TenderDocument:
    """The tender's documents from a standard template, prefilled from the tender."""
    tender = _tender(tender_id)
    policy.require(principal, "manage", tender)
    template = _template(template_code, template_version)
    with transaction.atomic():
        if TenderDocument.objects.filter(tender_id=tender.id).exists():
            raise Conflict(
                Text(zh="该招标已有招标文件。", en="This tender already has its documents."),
                code="documents_exist",
            )
        _pin_template(template, principal)
        moment = clock.now()
        document = TenderDocument.objects.create(
            tender_id=tender.id,
            template_code=template.code,
            template_version=template.version,
            values=_prefill(template, tender),
            created_by_id=_user_id(principal),
            created_at=moment,
            updated_at=moment,
        )
        ledger.record_change(
            instance=document,
            action=evidence.CREATED,
            actor=evidence.actor_of(principal),
            visibility=_managers(tender),
            data={"template": template.key, "template_sha256": template.content_sha256},
        )
    return document


def _managers(tender: TenderSummary) -> Visibility:
    organisations = [tender.tenderer_org_id] + ([tender.agency_org_id] if tender.agency_org_id else [])
    return Visibility.parties(organisation_ids=organisations)


def save_draft(
    *, principal: Principal, document_id: int, values: Mapping[str, Any], revision: int | None = None
) -> TenderDocument:
    """Save the working values (fields may stay empty until publication). Every field problem is
    reported at once (``InvalidInput`` with one detail per field). After publication the saved
    values take effect only through ``issue_revision``."""
    if not isinstance(values, Mapping):
        raise InvalidInput(Text(zh="字段值应为对象。", en="The values must be an object."))
    document = selectors.document_by_id(document_id)
    tender = _tender(document.tender_id)
    policy.require(principal, "manage", tender)
    template = template_of(document)
    cleaned, problems = check_values(template.fields, values, complete=False)
    if problems:
        raise _problems_error(problems)
    with transaction.atomic():
        document = _lock(document_id)
        _check_revision(document, revision, cleaned)
        if cleaned == document.values:
            return document
        changed = sorted(
            k for k in set(cleaned) | set(document.values) if cleaned.get(k) != document.values.get(k)
        )
        document.values = cleaned
        document.revision += 1
        document.updated_at = clock.now()
        document.save(update_fields=["values", "revision", "updated_at"])
        ledger.record_change(
            instance=document,
            action=evidence.DRAFT_SAVED,
            actor=evidence.actor_of(principal),
            visibility=_managers(tender),
            data={"changed": changed, "values_sha256": _values_digest(cleaned)},
        )
    return document


# --- publishing ---------------------------------------------------------------------------------


def publish(*, principal: Principal, document_id: int, revision: int | None = None) -> DocumentVersion:
    """Version 1: every required field filled and valid, rendered, stored, recorded (public)."""
    document = selectors.document_by_id(document_id)
    tender = _tender(document.tender_id)
    policy.require(principal, "manage", tender)
    template = template_of(document)
    with transaction.atomic():
        document = _lock(document_id)
        if document.status == TenderDocument.Status.PUBLISHED:
            raise Conflict(
                Text(
                    zh="招标文件已发布；之后的修改请以澄清或修改的形式发布新版本。",
                    en="The documents are already published; publish later changes as an amendment.",
                ),
                code="already_published",
            )
        _check_revision(document, revision, document.values)
        moment = clock.now()
        _refuse_closed(tender, moment)
        _pin_template(template, principal)
        values, problems = check_values(template.fields, document.values, complete=True)
        if problems:
            raise _problems_error(problems)
        info = rendering.RenderInfo(
            tender_code=tender.code,
            tender_title=tender.title,
            version=1,
            kind=DocumentVersion.Kind.ORIGINAL,
            issued_on=_zh_date(moment),
        )
        stored = _render_and_store(
            principal=principal, document=document, tender=tender, template=template, values=values, info=info
        )
        version = DocumentVersion.objects.create(
            document=document,
            tender_id=tender.id,
            number=1,
            kind=DocumentVersion.Kind.ORIGINAL,
            values=values,
            values_sha256=_values_digest(values),
            file_id=stored.id,
            sha256=stored.sha256,
            size=stored.size,
            deadline_before=tender.bid_deadline,
            deadline_after=tender.bid_deadline,
            published_by_id=_user_id(principal),
            published_at=moment,
        )
        ledger.record_change(
            instance=version,
            action=evidence.PUBLISHED,
            actor=evidence.actor_of(principal),
            visibility=Visibility.public(),
            data={
                "template": template.key,
                "template_sha256": template.content_sha256,
                "tender_ocid": tender.ocid,
            },
        )
        document.status = TenderDocument.Status.PUBLISHED
        document.current_version = 1
        document.revision += 1
        document.updated_at = moment
        document.save(update_fields=["status", "current_version", "revision", "updated_at"])
    return version


def _changes(
    template: catalogue.StandardTemplate, old: Mapping[str, Any], new: Mapping[str, Any]
) -> list[rendering.Change]:
    out = []
    for item in template.fields:
        if old.get(item.code) != new.get(item.code):
            out.append(
                rendering.Change(
                    label=item.label.zh,
                    old=display_value(item, old.get(item.code)) or "（空）",
                    new=display_value(item, new.get(item.code)) or "（空）",
                )
            )
    return out


def issue_revision(  # noqa: PLR0915 (one transaction, read top to bottom)
    *,
    principal: Principal,
    document_id: int,
    reason: str,
    answers: Mapping[int, str] | None = None,
    affects_preparation: bool = True,
    revision: int | None = None,
) -> DocumentVersion:
    """A new version after publication: the saved working values (an **amendment** when they
    differ from the current version) and/or answers to questions (a **clarification**).

    A change of values always affects bid preparation; answers alone do when the caller says so
    (default: yes). Then the projects facade's ``apply_amendment`` moves the bid deadline where
    fewer than 15 days remain (T4); the new version prints the new deadline and every holder of
    the documents is notified.
    """
    if not _plain_text(reason, MAX_REASON_LENGTH):
        raise InvalidInput(
            Text(
                zh="请说明澄清或修改的原因（最多 %(max)s 字）。",
                en="Give the reason for the clarification or amendment (at most %(max)s characters).",
                params={"max": MAX_REASON_LENGTH},
            ),
            details=[{"field": "reason", "code": "required", "message": "reason"}],
        )
    answers = dict(answers or {})
    for number, text in answers.items():
        if not _plain_text(text, MAX_QUESTION_LENGTH):
            raise InvalidInput(
                Text(
                    zh="问题 %(n)s 的答复不能为空，最多 %(max)s 字。",
                    en="The answer to question %(n)s must not be empty (at most %(max)s characters).",
                    params={"n": number, "max": MAX_QUESTION_LENGTH},
                ),
                details=[{"field": f"answers.{number}", "code": "invalid", "message": "answer"}],
            )
    document = selectors.document_by_id(document_id)
    tender = _tender(document.tender_id)
    policy.require(principal, "manage", tender)
    template = template_of(document)
    with transaction.atomic():
        document = _lock(document_id)
        if document.status != TenderDocument.Status.PUBLISHED:
            raise Conflict(
                Text(
                    zh="招标文件尚未发布，请直接修改草稿。",
                    en="The documents are not published yet: edit the draft.",
                ),
                code="not_published",
            )
        _check_revision(document, revision, document.values)
        moment = clock.now()
        _refuse_closed(tender, moment)
        current = DocumentVersion.objects.get(document=document, number=document.current_version)
        values, problems = check_values(template.fields, document.values, complete=True)
        if problems:
            raise _problems_error(problems)
        questions = {
            q.number: q
            for q in Question.objects.select_for_update().filter(document=document, number__in=list(answers))
        }
        unknown = sorted(set(answers) - set(questions))
        if unknown:
            raise InvalidInput(
                Text(
                    zh="没有编号为 %(numbers)s 的问题。",
                    en="There is no question numbered %(numbers)s.",
                    params={"numbers": ", ".join(map(str, unknown))},
                ),
                details=[
                    {"field": f"answers.{n}", "code": "unknown_question", "message": "unknown"}
                    for n in unknown
                ],
            )
        changed = values != current.values
        if not changed and not answers:
            raise InvalidInput(
                Text(
                    zh="与当前版本相比没有任何修改，也没有答复问题。",
                    en="Nothing differs from the current version and no question is answered.",
                ),
                code="nothing_to_publish",
            )
        affects = True if changed else bool(affects_preparation)
        kind = DocumentVersion.Kind.AMENDMENT if changed else DocumentVersion.Kind.CLARIFICATION
        deadline_before = tender.bid_deadline
        new_deadline = None
        if affects:
            new_deadline = projects.apply_amendment(
                tender_id=tender.id,
                actor=evidence.actor_of(principal),
                amended_at=moment,
                affects_preparation=True,
                reason=reason.strip(),
            )
        deadline_note = ""
        if new_deadline is not None:
            deadline_note = f"因本次澄清或修改距投标截止时间不足15日，投标截止时间（开标时间）顺延至{_zh_date(new_deadline)}（北京时间）。"
            if template.field("bid_deadline") is not None:
                values = {**values, "bid_deadline": clock.to_shanghai(new_deadline).date().isoformat()}
        number = current.number + 1
        info = rendering.RenderInfo(
            tender_code=tender.code,
            tender_title=tender.title,
            version=number,
            kind=kind,
            issued_on=_zh_date(moment),
            reason=reason.strip(),
            changes=tuple(_changes(template, current.values, values)),
            answers=tuple(
                rendering.QuestionAnswer(number=n, question=questions[n].text, answer=answers[n].strip())
                for n in sorted(answers)
            ),
            deadline_note=deadline_note,
        )
        stored = _render_and_store(
            principal=principal, document=document, tender=tender, template=template, values=values, info=info
        )
        version = DocumentVersion.objects.create(
            document=document,
            tender_id=tender.id,
            number=number,
            kind=kind,
            values=values,
            values_sha256=_values_digest(values),
            reason=reason.strip(),
            file_id=stored.id,
            sha256=stored.sha256,
            size=stored.size,
            affects_preparation=affects,
            deadline_before=deadline_before,
            deadline_after=new_deadline or deadline_before,
            published_by_id=_user_id(principal),
            published_at=moment,
        )
        for n, question in questions.items():
            question.status = Question.Status.ANSWERED
            question.answer = answers[n].strip()
            question.answered_in = version
            question.save(update_fields=["status", "answer", "answered_in"])
        ledger.record_change(
            instance=version,
            action=evidence.AMENDED if changed else evidence.CLARIFIED,
            actor=evidence.actor_of(principal),
            visibility=Visibility.public(),
            data={
                "reason": reason.strip(),
                "previous_version": current.number,
                "changed_fields": [c for c in sorted(values) if values.get(c) != current.values.get(c)],
                "answered_questions": sorted(answers),
                "affects_preparation": affects,
                "deadline_moved_to": new_deadline,
            },
        )
        document.values = values
        document.current_version = number
        document.revision += 1
        document.updated_at = moment
        document.save(update_fields=["values", "current_version", "revision", "updated_at"])
        _notify_holders(tender=tender, version=version, new_deadline=new_deadline)
    return version


def _notify_holders(
    *, tender: TenderSummary, version: DocumentVersion, new_deadline: datetime | None
) -> None:
    """Tell every holder of the documents (each user who downloaded a version), and the
    tender's managers, that a new version is out. Recipients are never listed to anyone."""
    recipients = sorted(
        set(DownloadReceipt.objects.filter(tender_id=tender.id).values_list("user_id", flat=True))
        | {version.published_by_id}
    )
    kind_zh = {"amendment": "修改", "clarification": "澄清"}.get(version.kind, "原件")
    url = _site_url() + reverse("tenderdocs:tender", kwargs={"tender_id": tender.id})
    notifications.notify(
        recipients=recipients,
        template=messages.VERSION_PUBLISHED,
        context={
            "version": version.number,
            "title": tender.title,
            "code": tender.code,
            "kind_zh": kind_zh,
            "kind_en": version.kind,
            "reason": version.reason,
            "deadline_zh": f"投标截止时间顺延至 {_zh_date(new_deadline)}（北京时间）。"
            if new_deadline
            else "",
            "deadline_en": (
                f"The bid deadline moves to {clock.to_shanghai(new_deadline):%Y-%m-%d %H:%M} (Beijing time)."
                if new_deadline
                else ""
            ),
            "url": url,
        },
        urgent=new_deadline is not None,
    )


# --- downloads and receipts -----------------------------------------------------------------------


def receipt_document(receipt: DownloadReceipt) -> dict[str, Any]:
    """The receipt's canonical content (what the commitment and the signature cover)."""
    version = receipt.version
    return {
        "type": "yingshang-download-receipt/1",
        "receipt": receipt.number,
        "tender_id": receipt.tender_id,
        "version": version.number,
        "document_sha256": version.sha256,
        "organisation_id": receipt.organisation_id,
        "user_id": receipt.user_id,
        "issued_at": receipt.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "nonce": receipt.nonce,
    }


def commitment_of(document: Mapping[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(dict(document))).hexdigest()


def sign_receipt(document: Mapping[str, Any]) -> dict[str, str]:
    """The platform's Ed25519 signature over the canonical receipt."""
    key = keys.platform_signing_key()
    signature = key.sign(RECEIPT_CONTEXT + rfc8785.dumps(dict(document)))
    return {
        "algorithm": "Ed25519",
        "key_id": keys.key_id(key.public_key()),
        "public_key": keys.public_key_b64(),
        "signature": base64.b64encode(signature).decode(),
    }


def check_receipt(document: Mapping[str, Any], signature: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether ``signature`` is the platform's over ``document``; ``(valid, commitment)``.

    For anyone the bidder shows its receipt to (a supervisor handling a complaint, say): the
    commitment is what the ledger holds, under subject ``trading:document_receipt:<commitment>``.
    """
    from cryptography.exceptions import InvalidSignature

    try:
        canonical = rfc8785.dumps(dict(document))
        raw = base64.b64decode(str(signature.get("signature", "")), validate=True)
    except (TypeError, ValueError, rfc8785.CanonicalizationError):
        return False, ""
    commitment = hashlib.sha256(canonical).hexdigest()
    if document.get("type") != "yingshang-download-receipt/1":
        return False, commitment
    try:
        keys.platform_signing_key().public_key().verify(raw, RECEIPT_CONTEXT + canonical)
    except InvalidSignature:
        return False, commitment
    return True, commitment


def _promise_json(promise: EntryPromise) -> dict[str, Any]:
    return {
        "entry_hash": promise.entry_hash,
        "time": promise.time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "origin": promise.origin,
        "key_id": promise.key_id,
        "signature": promise.signature,
    }


def _may_obtain(tender: TenderSummary, organisation_id: int, at: datetime) -> bool:
    """Inside the download period; or, for an organisation already holding the documents, any
    later version until the bid deadline (amendments reach every holder)."""
    if projects.is_open_for_documents(tender.id, at):
        return True
    if tender.suspended or (tender.bid_deadline is not None and at >= tender.bid_deadline):
        return False
    return DownloadReceipt.objects.filter(tender_id=tender.id, organisation_id=organisation_id).exists()


def download(*, principal: Principal, tender_id: int, number: int | None = None) -> DownloadReceipt:
    """A bidder obtains a version (default: the current one) and gets its receipt.

    No precondition beyond the bidder role and the download period (no registration, no fee, no
    questions asked). A second download of the same version returns the same receipt.
    """
    tender = _tender(tender_id)
    policy.require(principal, "download", tender)
    if not policy.allows(principal, "view_published", tender):
        raise NotFound()
    assert principal.user_id is not None  # the bidder role implies a signed-in user
    if principal.organisation_id is None:
        raise RuleViolation(
            Text(zh="请选择代表的单位后再下载。", en="Choose the organisation you act for first."),
            code="no_organisation",
        )
    document = TenderDocument.objects.filter(
        tender_id=tender.id, status=TenderDocument.Status.PUBLISHED
    ).first()
    if document is None:
        raise NotFound()
    wanted = document.current_version if number is None else number
    version = DocumentVersion.objects.filter(document=document, number=wanted).first()
    if version is None:
        raise NotFound()
    existing = DownloadReceipt.objects.filter(
        version=version, organisation_id=principal.organisation_id
    ).first()
    if existing is not None:
        return existing
    moment = clock.now()
    if not _may_obtain(tender, principal.organisation_id, moment):
        raise RuleViolation(
            Text(
                zh="当前不在招标文件获取期内（%(period)s）。",
                en="The documents cannot be obtained now (download period: %(period)s).",
                params={
                    "period": " – ".join(
                        _zh_date(m) if m else "-" for m in (tender.documents_from, tender.documents_until)
                    )
                },
            ),
            code="outside_download_period",
        )
    with transaction.atomic():
        receipt = DownloadReceipt(
            version=version,
            tender_id=tender.id,
            number="DR" + secrets.token_hex(10).upper(),
            organisation_id=principal.organisation_id,
            user_id=principal.user_id,
            issued_at=moment,
            nonce=secrets.token_hex(16),
        )
        content = receipt_document(receipt)
        receipt.commitment = commitment_of(content)
        with evidence.blinded():
            promise = ledger.record(
                action=evidence.RECEIPT_ISSUED,
                actor=evidence.BLIND_ACTOR,
                subject=evidence.receipt_subject(receipt.commitment),
                data={"commitment": receipt.commitment},
                visibility=Visibility.public(),
            )
        receipt.ledger_entry_hash = promise.entry_hash
        receipt.promise = _promise_json(promise)
        try:
            with transaction.atomic():
                receipt.save()
        except IntegrityError:  # a concurrent download by the same organisation won the race
            existing = DownloadReceipt.objects.filter(
                version=version, organisation_id=principal.organisation_id
            ).first()
            if existing is None:
                raise
            transaction.set_rollback(True)
            return existing
    return receipt


# --- questions ------------------------------------------------------------------------------------


def ask_question(*, principal: Principal, tender_id: int, text: str) -> Question:
    """A bidder asks about the documents before the question deadline. The tenderer sees the
    text, never the asker; the ledger holds the text's digest and a commitment to the asker."""
    if not _plain_text(text, MAX_QUESTION_LENGTH):
        raise InvalidInput(
            Text(
                zh="请填写问题（最多 %(max)s 字）。",
                en="Write the question (at most %(max)s characters).",
                params={"max": MAX_QUESTION_LENGTH},
            ),
            details=[{"field": "text", "code": "invalid", "message": "text"}],
        )
    tender = _tender(tender_id)
    policy.require(principal, "ask", tender)
    if not policy.allows(principal, "view_published", tender):
        raise NotFound()
    assert principal.user_id is not None
    if principal.organisation_id is None:
        raise RuleViolation(
            Text(zh="请选择代表的单位后再提问。", en="Choose the organisation you act for first."),
            code="no_organisation",
        )
    document = TenderDocument.objects.filter(
        tender_id=tender.id, status=TenderDocument.Status.PUBLISHED
    ).first()
    if document is None:
        raise NotFound()
    moment = clock.now()
    until = tender.questions_until or tender.bid_deadline
    if tender.suspended or (until is not None and moment >= until):
        raise RuleViolation(
            Text(
                zh="提问截止时间已过（%(until)s）。",
                en="The deadline for questions has passed (%(until)s).",
                params={"until": _zh_date(until) if until else "-"},
            ),
            code="questions_closed",
        )
    with transaction.atomic():
        _lock(document.pk)
        number = (
            Question.objects.filter(document=document)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
            or 0
        ) + 1
        question = Question.objects.create(
            document=document,
            tender_id=tender.id,
            number=number,
            text=text.strip(),
            asker_organisation_id=principal.organisation_id,
            asker_id=principal.user_id,
            asked_at=moment,
        )
        nonce = secrets.token_hex(16)
        asker = hashlib.sha256(
            f"{nonce}:{principal.organisation_id}:{principal.user_id}:{question.pk}".encode()
        ).hexdigest()
        with evidence.blinded():
            promise = ledger.record(
                action=evidence.QUESTION_ASKED,
                actor=evidence.BLIND_ACTOR,
                subject=evidence.question_subject(question),
                data={
                    "tender_id": tender.id,
                    "number": number,
                    "text_sha256": hashlib.sha256(question.text.encode()).hexdigest(),
                    "asker_commitment": asker,
                },
                visibility=_managers(tender),
            )
        question.ledger_entry_hash = promise.entry_hash
        question.save(update_fields=["ledger_entry_hash"])
        managers = _manager_user_ids(tender)
        if managers:
            notifications.notify(
                recipients=list(managers),
                template=messages.QUESTION_ASKED,
                context={
                    "title": tender.title,
                    "code": tender.code,
                    "number": number,
                    "url": _site_url() + reverse("tenderdocs:questions", kwargs={"tender_id": tender.id}),
                },
            )
    return question


def _manager_user_ids(tender: TenderSummary) -> list[int]:
    """The users who act for the tenderer or the agency of the tender."""
    found: set[int] = set()
    for organisation_id, role in (
        (tender.tenderer_org_id, Role.TENDERER),
        (tender.agency_org_id, Role.AGENCY),
    ):
        organisation = identity.get_organisation(organisation_id) if organisation_id else None
        if organisation is not None:
            found.update(
                identity.users_with_role(role, organisation=organisation).values_list("pk", flat=True)
            )
    return sorted(found)
