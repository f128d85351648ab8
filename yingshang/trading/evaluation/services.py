"""Every write of the evaluation: one transaction per command with its ledger entry.

The flow (docs/contexts/evaluation.md): the organiser starts the evaluation of a lot once the
opening has finished and the committee is complete (:func:`start_evaluation`: the method spec,
the chair, the bids copied from the opening result, their credit scores and the bill-of-quantities
clearing); each member signs the no-conflict declaration (:func:`declare`) before seeing the bids
(:func:`open_bids` records when), saves scores and verdicts (:func:`save_scores`), explains
abnormal scores (:func:`explain`) and submits (:func:`submit`); members may ask bidders for
clarifications (:func:`request_clarification`) that bidders answer with a signed reply
(:func:`reply_clarification`); the chair finishes the report (:func:`finish_report`) and every
member signs it (:func:`sign_report`); the last signature finishes the evaluation and pushes the
report to the supervisor.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import rfc8785
from django.db import transaction

from yingshang import envelope
from yingshang.bidder import clarify
from yingshang.files import facade as files
from yingshang.identity import facade as identity
from yingshang.kernel import clock, statutory
from yingshang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yingshang.kernel.policy import Principal
from yingshang.kernel.text import Text
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Visibility
from yingshang.notifications import facade as notifications
from yingshang.trading.evaluation import clearing, evidence, messages, methods, selectors, states
from yingshang.trading.evaluation.adapters import CreditSource, credit_source
from yingshang.trading.evaluation.messages import text
from yingshang.trading.evaluation.models import (
    Bid,
    Clarification,
    Evaluation,
    Explanation,
    Finding,
    Member,
    Score,
    Verdict,
)
from yingshang.trading.evaluation.permissions import may_organise, member_of
from yingshang.trading.experts import facade as experts
from yingshang.trading.opening import facade as opening
from yingshang.trading.projects import facade as projects

REPLY_FORMAT = clarify.REPLY_FORMAT


# --- helpers --------------------------------------------------------------------------------------


def _locked(evaluation_id: int) -> Evaluation:
    found = Evaluation.objects.select_for_update().filter(pk=evaluation_id).first()
    if found is None:
        raise NotFound(messages.NO_EVALUATION, code="no_evaluation")
    return found


def _member(principal: Principal, evaluation: Evaluation) -> Member:
    member = member_of(principal, evaluation)
    if member is None:
        raise PermissionDenied(messages.NOT_MEMBER, code="not_member")
    if principal.is_read_only:
        raise PermissionDenied(messages.NOT_MEMBER, code="read_only")
    return member


def _status(evaluation: Evaluation, *allowed: str) -> None:
    if evaluation.status not in allowed:
        raise Conflict(text(messages.WRONG_STATUS, status=evaluation.status), code="wrong_status")


def _record(
    evaluation: Evaluation,
    action: str,
    data: Mapping[str, Any],
    *,
    principal: Principal | None = None,
    visibility: Visibility | None = None,
) -> None:
    ledger.record(
        action=action,
        actor=evidence.actor_of(principal) if principal is not None else evidence.MEMBER_ACTOR,
        subject=evidence.subject(evaluation.pk),
        data={"tender_id": evaluation.tender_id, "lot_id": evaluation.lot_id, **data},
        visibility=visibility or evidence.oversight(),
    )


def _title(evaluation: Evaluation) -> str:
    try:
        tender = projects.tender_summary(evaluation.tender_id)
    except NotFound:
        return f"#{evaluation.tender_id}"
    return f"{tender.title}（{tender.code}）"


def _notify(
    user_ids: Iterable[int | None], evaluation: Evaluation, what: Text, detail: Text | None = None
) -> None:
    recipients = sorted({u for u in user_ids if u})
    if not recipients:
        return
    notifications.notify(
        recipients=recipients,
        template=messages.NOTICE,
        context={
            "title": _title(evaluation),
            "what_zh": what.render("zh-hans"),
            "what_en": what.render("en"),
            "detail_zh": detail.render("zh-hans") if detail else "",
            "detail_en": detail.render("en") if detail else "",
        },
    )


def _supervisor_users(evaluation: Evaluation) -> list[int]:
    if evaluation.supervisor_org_id is None:
        return []
    org = identity.get_organisation(evaluation.supervisor_org_id)
    if org is None:
        return []
    return [int(u.pk) for u in identity.users_with_role("supervisor", organisation=org)]


def _chair(evaluation: Evaluation) -> Member | None:
    return Member.objects.filter(evaluation=evaluation, chair=True).first()


def _spec_error(exc: methods.SpecError | clearing.BoQError) -> InvalidInput:
    return InvalidInput(exc.text, code=exc.code)


# --- reading a bid package's bill of quantities --------------------------------------------------


def read_boq(document_id: int) -> clearing.BoQ | None:
    """The ``boq.json`` in a decrypted bid package, or None when there is none. Raises
    ``clearing.BoQError`` for a present but malformed bill."""
    with files.open_document(document_id) as stored, zipfile.ZipFile(stored) as archive:
        names = sorted(n for n in archive.namelist() if n.rsplit("/", 1)[-1] == clearing.FILE_NAME)
        if not names:
            return None
        info = archive.getinfo(names[0])
        if info.file_size > 20 * 1024 * 1024:
            raise clearing.BoQError(Text(zh="清单文件过大。", en="The bill is too large."))
        try:
            data = json.loads(archive.read(names[0]).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise clearing.BoQError(Text(zh="清单不是 JSON。", en="The bill is not JSON.")) from exc
    return clearing.parse_boq(data)


# --- start ----------------------------------------------------------------------------------------


def start_evaluation(  # noqa: PLR0915 - one transaction, its steps in order
    *,
    principal: Principal,
    tender_id: int,
    lot_id: int,
    spec: Mapping[str, Any],
    chair_code: str | None = None,
    control_boq: Mapping[str, Any] | None = None,
    source: CreditSource | None = None,
) -> Evaluation:
    """Start the evaluation of a lot. Refused unless the principal organises the tender, the
    committee is complete, the opening has finished and at least one bid was opened."""
    if not may_organise(principal, tender_id) or principal.is_read_only:
        raise PermissionDenied(messages.NOT_MANAGER, code="not_organiser")
    try:
        method = methods.parse(spec)
    except methods.SpecError as exc:
        raise _spec_error(exc) from None
    control: clearing.BoQ | None = None
    if control_boq is not None:
        try:
            control = clearing.parse_boq(control_boq)
        except clearing.BoQError as exc:
            raise InvalidInput(
                text(messages.BAD_BOQ, reason=exc.text.render("zh-hans")), code="bad_boq"
            ) from None
    tender = projects.tender_summary(tender_id)
    if lot_id not in tender.lot_ids:
        raise NotFound(messages.NO_EVALUATION, code="no_lot")
    committee = experts.committee(tender_id, lot_id)
    if not committee.complete:
        raise Conflict(
            text(messages.COMMITTEE_INCOMPLETE, confirmed=len(committee.members), size=committee.size),
            code="committee_incomplete",
        )
    result = opening.opening_result(tender_id, lot_id)
    if result.finished_at is None:
        raise Conflict(messages.OPENING_NOT_FINISHED, code="opening_not_finished")
    opened = [b for b in result.opened if b.price_fen is not None]
    if not opened:
        raise Conflict(messages.NO_BIDS, code="no_bids")
    codes = [m.code for m in committee.members]
    chair = chair_code or next((m.code for m in committee.members if m.kind == "expert"), codes[0])
    if chair not in codes:
        raise InvalidInput(text(messages.UNKNOWN_CHAIR, code=chair), code="unknown_chair")
    source = source or credit_source()
    bills: dict[int, clearing.BoQ] = {}
    statuses: dict[int, str] = {}
    for row in opened:
        statuses[row.bid_id] = "none"
        if row.package_document_id is None:
            continue
        try:
            bill = read_boq(row.package_document_id)
        except (clearing.BoQError, zipfile.BadZipFile, OSError):
            statuses[row.bid_id] = "invalid"
            continue
        if bill is not None:
            bills[row.bid_id] = bill
    findings = clearing.clear(
        bills,
        {b.bid_id: b.price_fen for b in opened},
        control,
        deviation_percent=selectors.boq_deviation_percent(),
    )
    with_findings = {f.bid_id for f in findings}
    for bid_id in bills:
        statuses[bid_id] = "findings" if bid_id in with_findings else "ok"
    now = clock.now()
    with transaction.atomic():
        if Evaluation.objects.select_for_update().filter(tender_id=tender_id, lot_id=lot_id).exists():
            raise Conflict(messages.ALREADY_STARTED, code="already_started")
        assert principal.user_id is not None
        evaluation = Evaluation.objects.create(
            tender_id=tender_id,
            lot_id=lot_id,
            regime=tender.regime,
            method=method.method,
            spec=method.as_json(),
            organiser_id=principal.user_id,
            supervisor_org_id=tender.supervisor_org_id,
            opening_session_id=result.session_id,
            coefficient=result.coefficient,
            control_boq=dict(control_boq) if control_boq is not None else None,
            started_at=now,
        )
        for position, m in enumerate(committee.members):
            Member.objects.create(
                evaluation=evaluation,
                code=m.code,
                user_id=m.user_id,
                chair=m.code == chair,
                position=position,
            )
        credit_scores: dict[str, str | None] = {}
        for position, row in enumerate(opened):
            credit = source.score(row.bidder_uscc)
            credit_scores[str(row.bid_id)] = None if credit is None else str(credit)
            Bid.objects.create(
                evaluation=evaluation,
                bid_id=row.bid_id,
                organisation_id=row.organisation_id,
                bidder_uscc=row.bidder_uscc,
                bidder_name=row.bidder_name,
                price_fen=int(row.price_fen or 0),
                duration_days=row.duration_days,
                quality=row.quality,
                package_document_id=row.package_document_id,
                credit_score=credit,
                boq_status=statuses[row.bid_id],
                position=position,
            )
        Finding.objects.bulk_create(
            Finding(
                evaluation=evaluation,
                bid_id=f.bid_id,
                kind=f.kind,
                item=f.item,
                detail_zh=f.detail.render("zh-hans"),
                detail_en=f.detail.render("en"),
            )
            for f in findings
        )
        _record(
            evaluation,
            evidence.STARTED,
            {
                "method": method.as_json(),
                "members": codes,
                "chair": chair,
                "opening_record_sha256": result.record_sha256,
                "coefficient": result.coefficient,
                "bids": [b.bid_id for b in opened],
                "credit_source": source.name,
                "credit_scores": credit_scores,
                "clearing": {str(k): v for k, v in clearing.summary(findings).items()},
            },
            principal=principal,
        )
        _notify(
            [m.user_id for m in committee.members],
            evaluation,
            Text(
                zh="评标已开始，请签署无利害关系声明后评审",
                en="The evaluation has started; sign the declaration and evaluate",
            ),
        )
    return evaluation


def designate_chair(*, principal: Principal, evaluation_id: int, code: str) -> Evaluation:
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        if not may_organise(principal, evaluation.tender_id) or principal.is_read_only:
            raise PermissionDenied(messages.NOT_MANAGER, code="not_organiser")
        _status(evaluation, states.SCORING)
        member = Member.objects.filter(evaluation=evaluation, code=code).first()
        if member is None:
            raise InvalidInput(text(messages.UNKNOWN_CHAIR, code=code), code="unknown_chair")
        Member.objects.filter(evaluation=evaluation).update(chair=False)
        Member.objects.filter(pk=member.pk).update(chair=True)
        _record(evaluation, evidence.CHAIR, {"chair": code}, principal=principal)
    return evaluation


# --- members --------------------------------------------------------------------------------------


def declare(*, principal: Principal, evaluation_id: int, confirm: bool) -> Member:
    """Sign the no-conflict declaration (idempotent once signed)."""
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        member = _member(principal, evaluation)
        if member.declared_at is not None:
            return member
        _status(evaluation, states.SCORING)
        if not confirm:
            raise InvalidInput(messages.MUST_CONFIRM, code="declaration_not_confirmed")
        member.declared_at = clock.now()
        member.declaration = messages.DECLARATION.render("zh-hans")
        member.save(update_fields=["declared_at", "declaration"])
        _record(
            evaluation,
            evidence.DECLARED,
            {
                "member": member.code,
                "declaration_sha256": hashlib.sha256(member.declaration.encode()).hexdigest(),
            },
        )
    return member


def _declared(principal: Principal, evaluation: Evaluation) -> Member:
    member = _member(principal, evaluation)
    if member.declared_at is None:
        raise PermissionDenied(messages.NOT_DECLARED, code="not_declared")
    return member


def open_bids(*, principal: Principal, evaluation_id: int) -> Member:
    """A declared member opens the bids: the first time is recorded (the time spent is measured
    from here to the submission)."""
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        member = _declared(principal, evaluation)
        if member.opened_at is None:
            member.opened_at = clock.now()
            member.save(update_fields=["opened_at"])
            _record(evaluation, evidence.BIDS_OPENED, {"member": member.code})
    return member


@dataclass(frozen=True)
class VerdictInput:
    bid_id: int
    criterion: str
    passed: bool
    reason: str = ""


def _decimal(value: Any) -> Decimal:
    if isinstance(value, (bool, float)):
        value = str(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(text(messages.NOT_A_NUMBER, value=value), code="not_a_number") from None
    if not number.is_finite():
        raise InvalidInput(text(messages.NOT_A_NUMBER, value=value), code="not_a_number")
    return number


def save_scores(
    *,
    principal: Principal,
    evaluation_id: int,
    scores: Mapping[tuple[int, str], Any] | None = None,
    verdicts: Sequence[VerdictInput] = (),
) -> Member:
    """Save (or change) a member's scores ((bid id, item) -> value) and verdicts. Everything is
    checked first: one value out of range refuses the whole batch and nothing is saved."""
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        member = _declared(principal, evaluation)
        _status(evaluation, states.SCORING)
        if member.submitted_at is not None:
            raise Conflict(messages.ALREADY_SUBMITTED, code="already_submitted")
        method = selectors.method_of(evaluation)
        bid_ids = set(Bid.objects.filter(evaluation=evaluation).values_list("bid_id", flat=True))
        checked: list[tuple[int, str, Decimal]] = []
        for (bid_id, item), raw in (scores or {}).items():
            if int(bid_id) not in bid_ids:
                raise InvalidInput(text(messages.UNKNOWN_BID, bid=bid_id), code="unknown_bid")
            value = _decimal(raw)
            try:
                method.check_mark(item, value)
            except methods.SpecError as exc:
                raise _spec_error(exc) from None
            checked.append((int(bid_id), item, value))
        criteria = {c.code for c in method.criteria}
        for v in verdicts:
            if v.bid_id not in bid_ids:
                raise InvalidInput(text(messages.UNKNOWN_BID, bid=v.bid_id), code="unknown_bid")
            if v.criterion not in criteria:
                raise InvalidInput(
                    text(messages.UNKNOWN_CRITERION, code=v.criterion), code="unknown_criterion"
                )
            if not v.passed and not v.reason.strip():
                raise InvalidInput(text(messages.REASON_NEEDED, code=v.criterion), code="reason_needed")
        for bid_id, item, value in checked:
            Score.objects.update_or_create(member=member, bid_id=bid_id, item=item, defaults={"value": value})
        for v in verdicts:
            Verdict.objects.update_or_create(
                member=member,
                bid_id=v.bid_id,
                criterion=v.criterion,
                defaults={"passed": v.passed, "reason": v.reason.strip()},
            )
        if member.opened_at is None:
            member.opened_at = clock.now()
            member.save(update_fields=["opened_at"])
        _record(
            evaluation,
            evidence.SCORES_SAVED,
            {"member": member.code, "scores": len(checked), "verdicts": len(verdicts)},
        )
    return member


def explain(*, principal: Principal, evaluation_id: int, bid_id: int, item: str, text_: str) -> Explanation:
    """A member's written explanation of one of their abnormal scores (changeable until the
    report is finished)."""
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        member = _declared(principal, evaluation)
        _status(evaluation, states.SCORING)
        if not text_.strip():
            raise InvalidInput(messages.EMPTY_TEXT, code="empty")
        flagged = {
            (a.bid_id, a.item) for a in selectors.current_anomalies(evaluation) if a.member == member.code
        }
        if (bid_id, item) not in flagged:
            raise Conflict(messages.NO_ANOMALY, code="no_anomaly")
        explanation, _created = Explanation.objects.update_or_create(
            member=member,
            bid_id=bid_id,
            item=item,
            defaults={"text": text_.strip(), "written_at": clock.now()},
        )
        _record(
            evaluation,
            evidence.EXPLAINED,
            {
                "member": member.code,
                "bid_id": bid_id,
                "item": item,
                "explanation_sha256": hashlib.sha256(explanation.text.encode()).hexdigest(),
            },
        )
    return explanation


def submit(*, principal: Principal, evaluation_id: int) -> Member:
    """Submit a member's scores: complete, every member's scores in (the committee mean needs
    them), every anomaly explained. The chair and the supervisor are told of explained anomalies."""
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        member = _declared(principal, evaluation)
        _status(evaluation, states.SCORING)
        if member.submitted_at is not None:
            raise Conflict(messages.ALREADY_SUBMITTED, code="already_submitted")
        missing = selectors.missing_of(member)
        if missing:
            raise InvalidInput(text(messages.INCOMPLETE, n=missing), code="incomplete")
        waiting = sum(1 for m in selectors.members(evaluation) if selectors.missing_of(m))
        if waiting:
            raise Conflict(text(messages.WAITING, n=waiting), code="waiting_for_members")
        mine = [a for a in selectors.current_anomalies(evaluation) if a.member == member.code]
        given = selectors.explanations(evaluation)
        open_ = [a for a in mine if (a.member, a.bid_id, a.item) not in given]
        if open_:
            raise Conflict(
                text(
                    messages.EXPLANATION_NEEDED,
                    percent=selectors.anomaly_percent(),
                    items=", ".join(f"{a.bid_id}/{a.item}" for a in open_),
                ),
                code="explanation_needed",
            )
        now = clock.now()
        member.submitted_at = now
        member.save(update_fields=["submitted_at"])
        spent = int((now - member.opened_at).total_seconds()) if member.opened_at else None
        _record(
            evaluation,
            evidence.SUBMITTED,
            {
                "member": member.code,
                "seconds_spent": spent,
                "anomalies": [
                    {
                        "bid_id": a.bid_id,
                        "item": a.item,
                        "value": a.value,
                        "mean": a.mean,
                        "deviation_percent": a.deviation_percent,
                    }
                    for a in mine
                ],
            },
        )
        if mine:
            chair = _chair(evaluation)
            _notify(
                [chair.user_id if chair else None, *_supervisor_users(evaluation)],
                evaluation,
                Text(zh="评分畸高畸低提示", en="Abnormal scores"),
                Text(
                    zh="成员 %(code)s 有 %(n)s 项评分偏离委员会平均分超过 %(p)s%%，已书面说明。",
                    en="Member %(code)s has %(n)s scores more than %(p)s%% from the committee mean, explained in writing.",
                    params={"code": member.code, "n": len(mine), "p": selectors.anomaly_percent()},
                ),
            )
    return member


# --- clarifications -------------------------------------------------------------------------------


def reply_payload(clarification_id: int, reply: str) -> bytes:
    """The bytes a bidder signs for a reply (the bidder tool's own function, so the two agree):
    format line, request id, SHA-256 of the UTF-8 reply."""
    return clarify.reply_payload(clarification_id, reply)


def request_clarification(
    *, principal: Principal, evaluation_id: int, bid_id: int, question: str
) -> Clarification:
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        member = _declared(principal, evaluation)
        _status(evaluation, states.SCORING)
        bid = Bid.objects.filter(evaluation=evaluation, bid_id=bid_id).first()
        if bid is None:
            raise InvalidInput(text(messages.UNKNOWN_BID, bid=bid_id), code="unknown_bid")
        if not question.strip():
            raise InvalidInput(messages.EMPTY_TEXT, code="empty")
        asked = Clarification.objects.create(
            evaluation=evaluation,
            bid_id=bid_id,
            organisation_id=bid.organisation_id,
            asked_by=member.code,
            question=question.strip(),
            asked_at=clock.now(),
        )
        _record(
            evaluation,
            evidence.CLARIFICATION_ASKED,
            {
                "clarification_id": asked.pk,
                "bid_id": bid_id,
                "asked_by": member.code,
                "question": asked.question,
            },
            visibility=Visibility.parties(organisation_ids=(bid.organisation_id,)),
        )
        org = identity.get_organisation(bid.organisation_id)
        if org is not None:
            _notify(
                [int(u.pk) for u in identity.users_with_role("bidder", organisation=org)],
                evaluation,
                Text(zh="评标委员会要求澄清", en="The committee asks for a clarification"),
                Text(zh="%(q)s", en="%(q)s", params={"q": asked.question}),
            )
    return asked


def reply_clarification(
    *,
    principal: Principal,
    clarification_id: int,
    reply: str,
    signature_b64: str,
    algorithm: str,
    chain_b64: Sequence[str],
) -> Clarification:
    """The bidder's reply, signed with its signing certificate over :func:`reply_payload`."""
    asked = Clarification.objects.filter(pk=clarification_id).first()
    if asked is None:
        raise NotFound(messages.NO_CLARIFICATION, code="no_clarification")
    if principal.organisation_id != asked.organisation_id or not principal.has_role("bidder"):
        raise PermissionDenied(messages.NOT_THE_BIDDER, code="not_the_bidder")
    if not reply.strip():
        raise InvalidInput(messages.EMPTY_TEXT, code="empty")
    payload = reply_payload(asked.pk, reply)
    try:
        chain = [base64.b64decode(c, validate=True) for c in chain_b64]
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            text(messages.BAD_SIGNATURE, reason="base64", payload=payload.decode()), code="bad_signature"
        ) from None
    if not chain:
        raise InvalidInput(text(messages.CERTIFICATE_REFUSED, reason="no chain"), code="bad_certificate")
    try:
        check = identity.validate_certificate(chain, usage="signing", at=clock.now())
    except identity.CertificateRejected as exc:
        raise InvalidInput(
            text(messages.CERTIFICATE_REFUSED, reason=str(exc.message)), code="bad_certificate"
        ) from None
    if check.organisation_id != asked.organisation_id:
        raise InvalidInput(
            text(messages.CERTIFICATE_OTHER, name=check.organisation_name), code="other_enterprise"
        )
    try:
        envelope.verify(
            envelope.public_key_of_certificate(chain[0]), payload, envelope.Signature(algorithm, signature)
        )
    except envelope.EnvelopeError as exc:
        raise InvalidInput(
            text(messages.BAD_SIGNATURE, reason=exc.code, payload=payload.decode()), code="bad_signature"
        ) from None
    with transaction.atomic():
        evaluation = _locked(asked.evaluation_id)
        asked = Clarification.objects.select_for_update().get(pk=asked.pk)
        if asked.replied_at is not None:
            raise Conflict(messages.ALREADY_REPLIED, code="already_replied")
        _status(evaluation, states.SCORING)
        asked.reply = reply
        asked.reply_sha256 = hashlib.sha256(reply.encode("utf-8")).hexdigest()
        asked.signature = signature_b64
        asked.algorithm = algorithm
        asked.certificate_fingerprint = check.fingerprint
        asked.replied_at = clock.now()
        asked.replied_by_id = principal.user_id
        asked.save()
        _record(
            evaluation,
            evidence.CLARIFICATION_REPLIED,
            {
                "clarification_id": asked.pk,
                "bid_id": asked.bid_id,
                "reply_sha256": asked.reply_sha256,
                "signature": signature_b64,
                "algorithm": algorithm,
                "certificate_sha256": check.fingerprint,
            },
            principal=principal,
            visibility=Visibility.parties(organisation_ids=(asked.organisation_id,)),
        )
        _notify(
            [m.user_id for m in selectors.members(evaluation)],
            evaluation,
            Text(zh="投标人已答复澄清", en="A bidder answered a clarification"),
        )
    return asked


# --- the report -----------------------------------------------------------------------------------


def _credit(evaluation: Evaluation) -> dict[int, Decimal | None]:
    return {b.bid_id: b.credit_score for b in selectors.bids(evaluation)}


def compute(evaluation: Evaluation) -> methods.Outcome:
    method = selectors.method_of(evaluation)
    coefficient = Decimal(evaluation.coefficient) if evaluation.coefficient else None
    return methods.evaluate(
        method,
        [methods.BidFacts(b.bid_id, b.price_fen) for b in selectors.bids(evaluation)],
        [m.code for m in selectors.members(evaluation)],
        selectors.marks(evaluation),
        selectors.verdicts(evaluation),
        coefficient=coefficient,
        credit=_credit(evaluation),
    )


def build_report(evaluation: Evaluation) -> dict[str, Any]:
    """The canonical report document (JSON; hashed with RFC 8785): member codes only."""
    outcome = compute(evaluation)
    bids = {b.bid_id: b for b in selectors.bids(evaluation)}
    members = selectors.members(evaluation)
    given = selectors.explanations(evaluation)

    def candidate(r: methods.Ranked) -> dict[str, Any]:
        b = bids[r.bid_id]
        return {
            "rank": r.rank,
            "bid_id": r.bid_id,
            "organisation_id": b.organisation_id,
            "bidder_uscc": b.bidder_uscc,
            "bidder_name": b.bidder_name,
            "price_fen": b.price_fen,
            "score": None if r.score is None else str(r.score),
            "evaluated_price_fen": r.evaluated_price_fen,
        }

    return {
        "format": "yingshang-evaluation-report/1",
        "evaluation_id": evaluation.pk,
        "tender_id": evaluation.tender_id,
        "lot_id": evaluation.lot_id,
        "regime": evaluation.regime,
        "method": evaluation.spec,
        "coefficient": evaluation.coefficient,
        "benchmark_fen": None if outcome.benchmark_fen is None else str(outcome.benchmark_fen),
        "candidates": [candidate(r) for r in outcome.candidates],
        "ranking": [candidate(r) for r in outcome.ranking],
        "failures": [
            {"bid_id": bid_id, "criterion": code, "reasons": list(reasons)}
            for bid_id, failed in sorted(outcome.failures.items())
            for code, reasons in failed
        ],
        "item_scores": [
            {"bid_id": bid_id, "item": item, "value": str(value)}
            for (bid_id, item), value in sorted(outcome.item_scores.items())
        ],
        "member_scores": [
            {"member": code, "bid_id": bid_id, "item": item, "value": str(value)}
            for (code, bid_id, item), value in sorted(outcome.member_scores.items())
        ],
        "members": [
            {
                "code": m.code,
                "chair": m.chair,
                "seconds_spent": int((m.submitted_at - m.opened_at).total_seconds())
                if m.submitted_at and m.opened_at
                else None,
            }
            for m in members
        ],
        "explanations": [
            {"member": code, "bid_id": bid_id, "item": item, "text": e.text}
            for (code, bid_id, item), e in sorted(given.items())
        ],
        "clearing": [
            {"bid_id": f.bid_id, "kind": f.kind, "item": f.item, "zh": f.detail_zh, "en": f.detail_en}
            for f in Finding.objects.filter(evaluation=evaluation).order_by("bid_id", "id")
        ],
        "clarifications": [
            {
                "bid_id": c.bid_id,
                "asked_by": c.asked_by,
                "question": c.question,
                "reply_sha256": c.reply_sha256,
            }
            for c in Clarification.objects.filter(evaluation=evaluation)
        ],
    }


def report_sha256(report: Mapping[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(report)).hexdigest()


def finish_report(*, principal: Principal, evaluation_id: int) -> Evaluation:
    """The chair finishes the report once every member submitted and every abnormal score is
    explained; the members are asked to sign it."""
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        member = _declared(principal, evaluation)
        if not member.chair:
            raise PermissionDenied(messages.NOT_CHAIR, code="not_chair")
        _status(evaluation, states.SCORING)
        members = selectors.members(evaluation)
        pending = sum(1 for m in members if m.submitted_at is None)
        if pending:
            raise Conflict(text(messages.NOT_ALL_SUBMITTED, n=pending), code="not_all_submitted")
        open_ = selectors.unexplained(evaluation)
        if open_:
            raise Conflict(
                text(messages.UNEXPLAINED, codes=", ".join(sorted({a.member for a in open_}))),
                code="unexplained",
            )
        report = build_report(evaluation)
        if not statutory.candidates_ok(len(report["candidates"])):
            raise Conflict(messages.TOO_MANY_CANDIDATES, code="too_many_candidates")
        evaluation.report = report
        evaluation.report_sha256 = report_sha256(report)
        evaluation.report_finished_at = clock.now()
        evaluation.status = states.SIGNING
        evaluation.version += 1
        evaluation.save()
        _record(
            evaluation,
            evidence.REPORT_FINISHED,
            {
                "chair": member.code,
                "report_sha256": evaluation.report_sha256,
                "candidates": [c["bid_id"] for c in report["candidates"]],
            },
        )
        _notify(
            [m.user_id for m in members],
            evaluation,
            Text(zh="评标报告已完成，请签署", en="The report is finished; please sign it"),
        )
    return evaluation


def sign_report(*, principal: Principal, evaluation_id: int, report_sha256: str) -> Evaluation:
    """A member signs the report (naming the hash they read); the last signature finishes the
    evaluation and pushes the report to the supervisor."""
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        member = _declared(principal, evaluation)
        _status(evaluation, states.SIGNING)
        if member.signed_at is not None:
            raise Conflict(messages.ALREADY_SIGNED, code="already_signed")
        if report_sha256 != evaluation.report_sha256:
            raise Conflict(messages.REPORT_CHANGED, code="report_changed")
        now = clock.now()
        member.signed_at = now
        member.signed_sha256 = report_sha256
        member.save(update_fields=["signed_at", "signed_sha256"])
        _record(evaluation, evidence.REPORT_SIGNED, {"member": member.code, "report_sha256": report_sha256})
        if not Member.objects.filter(evaluation=evaluation, signed_at__isnull=True).exists():
            evaluation.status = states.FINISHED
            evaluation.finished_at = now
            evaluation.version += 1
            evaluation.save(update_fields=["status", "finished_at", "version"])
            _record(
                evaluation,
                evidence.FINISHED,
                {
                    "report_sha256": evaluation.report_sha256,
                    "members": [m.code for m in selectors.members(evaluation)],
                    "candidates": [
                        {"rank": c["rank"], "bid_id": c["bid_id"], "bidder_uscc": c["bidder_uscc"]}
                        for c in evaluation.report.get("candidates", [])
                    ],
                },
            )
            _notify(
                [*_supervisor_users(evaluation), evaluation.organiser_id],
                evaluation,
                Text(zh="评标报告已经全体成员签署", en="The evaluation report is signed by every member"),
                Text(
                    zh="报告哈希 %(h)s，可在评标页面查阅。",
                    en="Report SHA-256 %(h)s; read it on the evaluation page.",
                    params={"h": evaluation.report_sha256},
                ),
            )
    return evaluation
