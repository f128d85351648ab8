"""The award's commands. Each write is one ``transaction.atomic()`` with its ledger entry; time
comes from the domain clock (``kernel.clock``), statutory periods from ``kernel.statutory``
through ``rules``.

The core takes the evaluation report as a value (:func:`receive_report`); the thin
:func:`ensure_award` / :func:`start_publicity` fetch it from the evaluation facade.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from yingshang.files import facade as files
from yingshang.identity import facade as identity
from yingshang.kernel import clock
from yingshang.kernel.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from yingshang.kernel.money import format_fen
from yingshang.kernel.policy import Principal
from yingshang.kernel.statutory import SHANGHAI, Violation, candidates_ok, end_of_day, rule
from yingshang.kernel.text import Text
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Visibility
from yingshang.notifications import facade as notifications
from yingshang.trading.award import evidence, messages, rules, states
from yingshang.trading.award.messages import text
from yingshang.trading.award.models import Award, Candidate, Clock, Contract, Objection, SupervisorReport
from yingshang.trading.award.permissions import bidder_organisations, policy
from yingshang.trading.evaluation import facade as evaluation
from yingshang.trading.evaluation.contracts import EvaluationReport
from yingshang.trading.experts import facade as experts
from yingshang.trading.opening import facade as opening
from yingshang.trading.projects import facade as projects

logger = logging.getLogger(__name__)


# --- helpers --------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _beijing(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _violation_error(violation: Violation, *, code: str | None = None) -> RuleViolation:
    article = violation.article
    message = Text(
        zh=f"[{violation.rule_id}] {violation.message.render('zh-hans')}（{article.zh}）",
        en=f"[{violation.rule_id}] {violation.message.render('en')} ({article.en})",
    )
    return RuleViolation(
        message, code=code or "rule_" + violation.rule_id.replace(".", "_"), details=[violation.as_dict()]
    )


def _lock(award_id: int) -> Award:
    award = Award.objects.select_for_update().filter(pk=award_id).first()
    if award is None:
        raise NotFound(messages.NO_AWARD, code="no_award")
    return award


def _require_manager(principal: Principal, award: Award) -> None:
    if not policy.allows(principal, "manage", award):
        if principal.is_guest:
            policy.require(principal, "manage", award)
        raise PermissionDenied(messages.NOT_MANAGER, code="not_manager")


def require_manager(principal: Principal, award: Award) -> None:
    """Raise unless the principal manages the award's tender (views check this before storing
    an upload, so a refused command leaves nothing behind)."""
    _require_manager(principal, award)


def _wrong_status(award: Award) -> Conflict:
    return Conflict(text(messages.WRONG_STATUS, status=award.status), code="wrong_status")


def _move(award: Award, target: str) -> None:
    if not states.may_move(award.status, target):
        raise _wrong_status(award)
    award.status = target
    award.version += 1


def _check_version(award: Award, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != award.version:
        raise Conflict(messages.STALE, code="stale")


def _record(
    award: Award,
    action: str,
    *,
    principal: Principal | None,
    data: dict[str, Any],
    visibility: Visibility,
    contract: bool = False,
) -> str:
    promise = ledger.record(
        action=action,
        actor=evidence.actor_of(principal),
        subject=evidence.contract_subject(award) if contract else evidence.award_subject(award),
        data={"tender_id": award.tender_id, "lot_id": award.lot_id, **data},
        visibility=visibility,
    )
    return promise.entry_hash


def _parties(award: Award, *extra_orgs: int) -> Visibility:
    orgs = [award.tenderer_org_id, *([award.agency_org_id] if award.agency_org_id else []), *extra_orgs]
    return Visibility.parties(organisation_ids=orgs)


def _start_clock(
    award: Award, rule_id: str, event: datetime, *, due: Any, objection: Objection | None = None
) -> Clock:
    return Clock.objects.create(
        award=award,
        rule_id=rule_id,
        objection=objection,
        event_at=event,
        due_on=due.date,
        due_at=due.instant,
    )


def _meet_clock(clock_row: Clock, moment: datetime, violation: Violation | None) -> None:
    clock_row.met_at = moment
    clock_row.status = states.MET_LATE if violation is not None else states.MET
    clock_row.violation = violation.as_dict() if violation is not None else None
    clock_row.save(update_fields=["met_at", "status", "violation"])


def _open_clock(award: Award, rule_id: str) -> Clock | None:
    return (
        award.clocks.filter(rule_id=rule_id, met_at__isnull=True, objection__isnull=True)
        .order_by("id")
        .first()
    )


def _excused_ranks(award: Award) -> list[int]:
    return [c.rank for c in award.candidates.all() if c.excused]


def _candidate_json(candidate: Candidate) -> dict[str, Any]:
    return {
        "rank": candidate.rank,
        "bid_id": candidate.bid_id,
        "bidder": candidate.bidder_name,
        "uscc": candidate.bidder_uscc,
        "price_fen": candidate.price_fen,
        "score": str(candidate.score) if candidate.score is not None else None,
        "evaluated_price_fen": candidate.evaluated_price_fen,
    }


def _users_of(organisation_ids: Iterable[int], role: str) -> list[int]:
    users: set[int] = set()
    for org_id in organisation_ids:
        org = identity.get_organisation(org_id)
        if org is not None:
            users |= set(identity.users_with_role(role, organisation=org).values_list("pk", flat=True))
    return sorted(users)


# --- receiving the report -------------------------------------------------------------------------


def _report_problem(report: EvaluationReport) -> Text | None:
    if not report.candidates:
        return Text(zh="没有中标候选人", en="no candidates")
    if not candidates_ok(len(report.candidates)):
        return text(messages.TOO_MANY_CANDIDATES, count=len(report.candidates))
    ranks = sorted(c.rank for c in report.candidates)
    if ranks != list(range(1, len(ranks) + 1)):
        return Text(zh="候选人排名不连续", en="the candidates' ranks are not 1, 2, 3")
    if not report.members:
        return Text(zh="没有评标委员会成员签字", en="no member signed")
    return None


def receive_report(report: EvaluationReport, *, actor: Actor | None = None) -> Award:
    """Take the finished evaluation report of a lot (idempotent: the lot's award if it exists).
    The report counts as received when its last member signed (``finished_at``): T11.start
    (tendering) or G6.award (procurement) runs from then. ``InvalidInput("bad_report")`` for a
    report without candidates (or more than three: T10) or without signatures."""
    existing = Award.objects.filter(tender_id=report.tender_id, lot_id=report.lot_id).first()
    if existing is not None:
        return existing
    problem = _report_problem(report)
    if problem is not None:
        raise InvalidInput(
            Text(
                zh=messages.BAD_REPORT.zh % {"problem": problem.render("zh-hans")},
                en=messages.BAD_REPORT.en % {"problem": problem.render("en")},
            ),
            code="bad_report",
        )
    tender = projects.tender_summary(report.tender_id)
    now = clock.now()
    try:
        with transaction.atomic():
            award = Award.objects.create(
                tender_id=report.tender_id,
                lot_id=report.lot_id,
                title=tender.title,
                ocid=tender.ocid,
                regime=report.regime,
                method=report.method,
                state_controlled=tender.state_controlled,
                tenderer_org_id=tender.tenderer_org_id,
                agency_org_id=tender.agency_org_id,
                supervisor_org_id=tender.supervisor_org_id,
                evaluation_id=report.evaluation_id,
                report_sha256=report.report_sha256,
                received_at=report.finished_at,
                scores=[
                    {"member": s.member_code, "bid_id": s.bid_id, "item": s.item, "value": str(s.value)}
                    for s in report.scores
                ],
                score_items=[{"code": i.code, "zh": i.zh, "en": i.en} for i in report.items],
                created_at=now,
            )
            for c in sorted(report.candidates, key=lambda c: c.rank):
                Candidate.objects.create(
                    award=award,
                    rank=c.rank,
                    bid_id=c.bid_id,
                    organisation_id=c.organisation_id,
                    bidder_uscc=c.bidder_uscc,
                    bidder_name=c.bidder_name,
                    price_fen=c.price_fen,
                    score=c.score,
                    evaluated_price_fen=c.evaluated_price_fen,
                )
            if rules.has_publicity(award.regime):
                due = rules.publicity_start_deadline(award.received_at)
                _start_clock(award, "T11.start", award.received_at, due=due)
            else:
                due = rules.award_deadline(award.received_at)
                _start_clock(award, "G6.award", award.received_at, due=due)
            ledger.record(
                action=evidence.REPORT_RECEIVED,
                actor=actor or Actor.system("award"),
                subject=evidence.award_subject(award),
                data={
                    "tender_id": award.tender_id,
                    "lot_id": award.lot_id,
                    "evaluation_id": award.evaluation_id,
                    "report_sha256": award.report_sha256,
                    "received_at": _iso(award.received_at),
                    "candidates": len(report.candidates),
                    "members": list(report.members),
                    "rule": "T11.start" if rules.has_publicity(award.regime) else "G6.award",
                    "due_on": due.date.isoformat(),
                },
                visibility=_parties(award),
            )
    except IntegrityError:  # a concurrent receipt of the same lot won
        return Award.objects.get(tender_id=report.tender_id, lot_id=report.lot_id)
    return award


def award_for(tender_id: int, lot_id: int) -> Award | None:
    return Award.objects.filter(tender_id=tender_id, lot_id=lot_id).first()


def ensure_award(tender_id: int, lot_id: int) -> Award:
    """The lot's award, receiving the report from the evaluation facade the first time.
    ``NotFound("no_evaluation")`` / ``Conflict("report_not_finished")`` from evaluation."""
    found = award_for(tender_id, lot_id)
    if found is not None:
        return found
    return receive_report(evaluation.evaluation_report(tender_id, lot_id))


# --- publicity ------------------------------------------------------------------------------------


def require_manager_of_tender(principal: Principal, tender_id: int) -> None:
    """The tender's tenderer or agency (or centre staff); ``NotFound`` for an unknown tender."""
    projects.tender_summary(tender_id)
    policy.require(principal, "manage")  # guests, auditors, tokens without award:write
    if not projects.may_manage_tender(principal, tender_id):
        raise PermissionDenied(messages.NOT_MANAGER, code="not_manager")


def may_start(principal: Principal, tender_id: int) -> bool:
    """Whether the principal may receive the lot's report and publish it (a manager)."""
    return policy.allows(principal, "manage") and projects.may_manage_tender(principal, tender_id)


def start_publicity(
    *, principal: Principal, tender_id: int, lot_id: int, ends_on: date | None = None
) -> Award:
    """Fetch the report (if not yet received) and publish the candidates (T11)."""
    require_manager_of_tender(principal, tender_id)
    award = ensure_award(tender_id, lot_id)
    return open_publicity(principal=principal, award_id=award.pk, ends_on=ends_on)


def open_publicity(*, principal: Principal, award_id: int, ends_on: date | None = None) -> Award:
    """The tenderer or agency publishes the ranked candidates with their prices and scores.
    T11.start (block): within 3 days of the report; T11.duration (block): ``ends_on`` (default:
    the shortest lawful period) at least 3 days on. The publicity ends at 24:00 Beijing time of
    ``ends_on``; the chronograph ends it then unless an objection waits for its answer."""
    now = clock.now()
    with transaction.atomic():
        award = _lock(award_id)
        _require_manager(principal, award)
        if not rules.has_publicity(award.regime):
            raise Conflict(messages.NO_PUBLICITY_IN_PROCUREMENT, code="no_publicity")
        if award.status != states.RECEIVED:
            raise _wrong_status(award)
        late = rules.publicity_start_violation(award.received_at, now)
        if late is not None:
            raise _violation_error(late)
        last_day = ends_on or rules.shortest_publicity(now).date
        short = rules.publicity_duration_violation(now, last_day)
        if short is not None:
            raise _violation_error(short)
        _move(award, states.PUBLICITY)
        award.publicity_starts_at = now
        award.publicity_ends_on = last_day
        award.publicity_ends_at = end_of_day(last_day)
        award.save()
        start_clock = _open_clock(award, "T11.start")
        if start_clock is not None:
            _meet_clock(start_clock, now, None)
        _record(
            award,
            evidence.PUBLICITY_STARTED,
            principal=principal,
            data={
                "title": award.title,
                "starts_at": _iso(now),
                "ends_on": last_day.isoformat(),
                "ends_at": _iso(award.publicity_ends_at),
                "candidates": [_candidate_json(c) for c in award.candidates.all()],
                "rules": ["T11.start", "T11.duration"],
            },
            visibility=Visibility.public(),
        )
    return award


def raise_objection(*, principal: Principal, award_id: int, text_: str) -> Objection:
    """A bidder of the lot objects to the evaluation result during the publicity (T11): the
    procedure is suspended until every objection is answered; the answer is due within 3 days
    (T11.reply)."""
    body = (text_ or "").strip()
    if not body:
        raise InvalidInput(messages.EMPTY_TEXT, code="empty_text")
    now = clock.now()
    with transaction.atomic():
        award = _lock(award_id)
        if not policy.allows(principal, "object", award):
            if principal.is_guest:
                policy.require(principal, "object", award)
            raise PermissionDenied(messages.NOT_A_BIDDER, code="not_a_bidder")
        if (
            award.status not in states.IN_PUBLICITY
            or award.publicity_starts_at is None
            or award.publicity_ends_at is None
            or not award.publicity_starts_at <= now < award.publicity_ends_at
        ):
            raise Conflict(messages.OUTSIDE_PUBLICITY, code="outside_publicity")
        assert principal.user_id is not None and principal.organisation_id is not None
        due = rules.objection_reply_deadline(now)
        objection = Objection.objects.create(
            award=award,
            organisation_id=principal.organisation_id,
            raised_by_id=principal.user_id,
            text=body[:4000],
            raised_at=now,
            reply_due_on=due.date,
        )
        _start_clock(award, "T11.reply", now, due=due, objection=objection)
        if award.status == states.PUBLICITY:
            _move(award, states.SUSPENDED)
        else:
            award.version += 1
        award.save()
        _record(
            award,
            evidence.OBJECTION_RAISED,
            principal=principal,
            data={
                "objection_id": objection.pk,
                "organisation_id": principal.organisation_id,
                "text": objection.text,
                "raised_at": _iso(now),
                "reply_due_on": due.date.isoformat(),
                "rules": ["T11", "T11.reply"],
            },
            visibility=_parties(award, principal.organisation_id),
        )
    return objection


def answer_objection(*, principal: Principal, objection_id: int, text_: str) -> Objection:
    """The tenderer or agency answers (T11.reply; late answers are recorded as such). Once no
    objection waits, the publicity resumes, or ends if its last day has passed."""
    body = (text_ or "").strip()
    if not body:
        raise InvalidInput(messages.EMPTY_TEXT, code="empty_text")
    found = Objection.objects.filter(pk=objection_id).first()
    if found is None:
        raise NotFound(messages.NO_OBJECTION, code="no_objection")
    now = clock.now()
    with transaction.atomic():
        award = _lock(found.award_id)
        _require_manager(principal, award)
        objection = Objection.objects.select_for_update().get(pk=objection_id)
        if objection.answered_at is not None:
            raise Conflict(messages.ALREADY_ANSWERED, code="already_answered")
        objection.answer = body[:4000]
        objection.answered_by_id = principal.user_id
        objection.answered_at = now
        objection.save(update_fields=["answer", "answered_by", "answered_at"])
        late = rules.period_violation("T11.reply", objection.raised_at, now)
        reply_clock = award.clocks.filter(objection=objection).first()
        if reply_clock is not None:
            _meet_clock(reply_clock, now, late)
        _record(
            award,
            evidence.OBJECTION_ANSWERED,
            principal=principal,
            data={
                "objection_id": objection.pk,
                "answer": objection.answer,
                "answered_at": _iso(now),
                "late": late.as_dict() if late is not None else None,
                "rule": "T11.reply",
            },
            visibility=_parties(award, objection.organisation_id),
        )
        pending = award.objections.filter(answered_at__isnull=True).count()
        if award.status == states.SUSPENDED and pending == 0:
            assert award.publicity_ends_at is not None
            ended = now >= award.publicity_ends_at
            _move(award, states.PUBLICITY_ENDED if ended else states.PUBLICITY)
            award.save()
            _record(
                award,
                evidence.PUBLICITY_ENDED if ended else evidence.PUBLICITY_RESUMED,
                principal=principal,
                data={"at": _iso(now), "after_objections": True},
                visibility=Visibility.public(),
            )
        else:
            award.version += 1
            award.save()
    return objection


def end_due_publicity(now: datetime, *, award_id: int | None = None) -> int:
    """The chronograph: end every publicity (or only ``award_id``'s) whose last day has passed
    and on which no objection waits (a suspended one ends when its last objection is answered).
    Idempotent."""
    ended = 0
    found = Award.objects.filter(status=states.PUBLICITY, publicity_ends_at__lte=now)
    if award_id is not None:
        found = found.filter(pk=award_id)
    for pk in list(found.values_list("pk", flat=True)):
        with transaction.atomic():
            award = _lock(pk)
            if (
                award.status != states.PUBLICITY
                or award.publicity_ends_at is None
                or award.publicity_ends_at > now
            ):
                continue
            if award.objections.filter(answered_at__isnull=True).exists():
                continue
            _move(award, states.PUBLICITY_ENDED)
            award.save()
            _record(
                award,
                evidence.PUBLICITY_ENDED,
                principal=None,
                data={"at": _iso(now), "ends_at": _iso(award.publicity_ends_at)},
                visibility=Visibility.public(),
            )
            ended += 1
    return ended


def mark_overdue_clocks(now: datetime) -> int:
    """The chronograph: every running clock whose due instant has passed becomes overdue (once),
    with an oversight ledger entry. Idempotent."""
    marked = 0
    for clock_id in list(
        Clock.objects.filter(status=states.OPEN, due_at__lte=now).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            row = Clock.objects.select_for_update().select_related("award").get(pk=clock_id)
            if row.status != states.OPEN or row.due_at > now:
                continue
            row.status = states.OVERDUE
            row.overdue_at = now
            row.save(update_fields=["status", "overdue_at"])
            award = row.award
            r = rule(row.rule_id)
            _record(
                award,
                evidence.CLOCK_OVERDUE,
                principal=None,
                data={
                    "rule": row.rule_id,
                    "effect": r.effect,
                    "article": r.article.as_dict(),
                    "due_on": row.due_on.isoformat(),
                    "objection_id": row.objection_id,
                },
                visibility=_parties(award),
            )
            marked += 1
    return marked


def apply_due(now: datetime) -> int:
    return end_due_publicity(now) + mark_overdue_clocks(now)


# --- T12: passing over a candidate ---------------------------------------------------------------


def record_excuse(
    *,
    principal: Principal,
    award_id: int,
    rank: int,
    reason: str,
    evidence_document_id: int,
    note: str = "",
) -> Candidate:
    """Record why a candidate cannot be awarded (T12, 条例 art. 55): it gave up, force majeure,
    no performance bond, or it was found to have broken the law in a way affecting the result,
    with the evidence document (uploaded with purpose ``award_evidence``)."""
    if reason not in states.EXCUSE_REASONS:
        raise InvalidInput(messages.BAD_REASON, code="bad_reason")
    now = clock.now()
    with transaction.atomic():
        award = _lock(award_id)
        _require_manager(principal, award)
        if award.status not in (states.RECEIVED, states.PUBLICITY, states.SUSPENDED, states.PUBLICITY_ENDED):
            raise _wrong_status(award)
        candidate = award.candidates.filter(rank=rank).first()
        if candidate is None:
            raise InvalidInput(text(messages.NO_CANDIDATE, rank=rank), code="no_candidate")
        if candidate.excused:
            raise Conflict(text(messages.ALREADY_EXCUSED, rank=rank), code="already_excused")
        document = _document(principal, evidence_document_id, messages.EVIDENCE_PURPOSE.code)
        candidate.excuse_reason = reason
        candidate.excuse_note = (note or "").strip()[:4000]
        candidate.excuse_document_id = document.id
        candidate.excused_at = now
        candidate.excused_by_id = principal.user_id
        candidate.save()
        award.version += 1
        award.save()
        _record(
            award,
            evidence.CANDIDATE_PASSED_OVER,
            principal=principal,
            data={
                "rank": rank,
                "bid_id": candidate.bid_id,
                "bidder": candidate.bidder_name,
                "reason": reason,
                "reason_text": messages.REASONS[reason].as_dict(),
                "note": candidate.excuse_note,
                "evidence_document_id": document.id,
                "evidence_sha256": document.sha256,
                "rule": "T12",
            },
            visibility=_parties(award, candidate.organisation_id),
        )
    return candidate


def _document(principal: Principal, document_id: int, purpose: str) -> Any:
    try:
        document = files.document_for(principal, document_id)
    except NotFound:
        raise InvalidInput(text(messages.NO_EVIDENCE, document=document_id), code="no_document") from None
    if document.purpose != purpose:
        raise InvalidInput(
            text(messages.WRONG_PURPOSE, document=document_id, purpose=purpose), code="wrong_purpose"
        )
    return document


# --- the award ------------------------------------------------------------------------------------


def _refuse_before_award(award: Award, now: datetime) -> None:
    if award.status in states.IN_PUBLICITY:
        pending = award.objections.filter(answered_at__isnull=True).count()
        if pending:
            raise Conflict(text(messages.OBJECTION_PENDING, count=pending), code="objection_pending")
        assert award.publicity_ends_at is not None
        raise Conflict(
            text(messages.DURING_PUBLICITY, until=_beijing(award.publicity_ends_at)),
            code="award_during_publicity",
        )
    if award.status == states.RECEIVED and rules.has_publicity(award.regime):
        raise Conflict(messages.NO_PUBLICITY_YET, code="publicity_not_held")
    if award.status not in (states.RECEIVED, states.PUBLICITY_ENDED):
        raise _wrong_status(award)
    if award.publicity_starts_at is not None and award.publicity_ends_on is not None:
        for objection in award.objections.all():
            violation = rules.objection_violation(
                publicity_start=award.publicity_starts_at,
                publicity_end=award.publicity_ends_on,
                raised=objection.raised_at,
                replied=objection.answered_at,
                next_step=now,
            )
            if violation is not None:
                raise _violation_error(violation, code="objection_pending")


def _named_experts(principal: Principal, award: Award) -> tuple[list[dict[str, str]], str]:
    """Publish the committee's identities now the result is fixed (experts facade, idempotent,
    ledgered there) and return them for the announcement, with the reason when unavailable."""
    try:
        named = experts.publish_identities(
            actor=evidence.actor_of(principal), tender_id=award.tender_id, lot_id=award.lot_id
        )
    except DomainError as exc:  # no committee (NotFound "no_committee"), ...
        return [], str(exc)
    listed = [{"name": m.name, "employer": m.employer_name, "specialty": m.specialty} for m in named]
    listed.sort(key=lambda m: (m["name"], m["employer"]))
    return listed, "" if listed else "no member"


def coded_scores(award: Award) -> list[dict[str, Any]]:
    """The experts' scores with each member code replaced by a letter (专家A, B, ...). The
    letters follow a hash of the report and the code, so neither the draw order nor the
    published names can be matched to a column."""
    members = sorted({s["member"] for s in award.scores})
    order = sorted(members, key=lambda m: hashlib.sha256(f"{award.report_sha256}:{m}".encode()).hexdigest())
    letters = {m: _letter(i) for i, m in enumerate(order)}
    bidders = {c.bid_id: c.bidder_name for c in award.candidates.all()}
    names = {i["code"]: i for i in award.score_items}
    out = [
        {
            "code": letters[s["member"]],
            "bid_id": s["bid_id"],
            "bidder": bidders.get(s["bid_id"], ""),
            "item": s["item"],
            "item_zh": names.get(s["item"], {}).get("zh", s["item"]),
            "item_en": names.get(s["item"], {}).get("en", s["item"]),
            "value": str(Decimal(s["value"])),
        }
        for s in award.scores
    ]
    out.sort(key=lambda s: (s["code"], s["bid_id"], s["item"]))
    return out


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def decide_award(
    *, principal: Principal, award_id: int, rank: int, reason: str = "", expected_version: int | None = None
) -> Award:
    """The tenderer (or its agency) fixes the winner among the candidates.

    Refused during the publicity (``award_during_publicity``), while an objection waits
    (``objection_pending``, T11), before any publicity in tendering (``publicity_not_held``); T12
    for state-controlled projects (every higher-ranked candidate passed over for a recorded
    reason). Then, in the same transaction: the award notice to the winner and result notices
    to the other bidders, the result announcement listing the experts by name (their identities
    are published through the experts facade; G6.experts blocks a procurement announcement
    without them), the experts' scores with codes instead of names, and the clocks T13/G7
    (contract) and T14 (report) or G6.notice (met now)."""
    now = clock.now()
    with transaction.atomic():
        award = _lock(award_id)
        _require_manager(principal, award)
        _check_version(award, expected_version)
        _refuse_before_award(award, now)
        candidate = award.candidates.filter(rank=rank).first()
        if candidate is None:
            raise InvalidInput(text(messages.NO_CANDIDATE, rank=rank), code="no_candidate")
        if candidate.excused:
            raise Conflict(text(messages.CANDIDATE_EXCUSED, rank=rank), code="candidate_excused")
        t12 = rules.t12_violation(
            state_controlled=award.state_controlled, awarded_rank=rank, excused_ranks=_excused_ranks(award)
        )
        if t12 is not None:
            raise _violation_error(t12)
        named, why = _named_experts(principal, award)
        if award.regime == rules.PROCUREMENT:
            missing = rules.experts_listed_violation(bool(named))
            if missing is not None:
                raise _violation_error(missing)
        _move(award, states.AWARDED)
        award.winner_rank = rank
        award.awarded_at = now
        award.awarded_by_id = principal.user_id
        award.award_reason = (reason or "").strip()[:4000]
        award.experts = named
        award.experts_listed = bool(named)
        award.announced_at = now
        award.published_scores = coded_scores(award)
        award.save()
        if award.regime == rules.PROCUREMENT:
            award_clock = _open_clock(award, "G6.award")
            if award_clock is not None:
                _meet_clock(award_clock, now, rules.period_violation("G6.award", award.received_at, now))
            notice_clock = _start_clock(award, "G6.notice", now, due=rules.notice_deadline(now))
            _meet_clock(notice_clock, now, None)
        else:
            _start_clock(award, "T14", now, due=rules.period_end_for("T14", now))
        contract_due = rules.contract_deadline(award.regime, now)
        _start_clock(award, rules.contract_rule(award.regime), now, due=contract_due)
        winner = _candidate_json(candidate)
        _record(
            award,
            evidence.DECIDED,
            principal=principal,
            data={
                "winner": winner,
                "reason": award.award_reason,
                "state_controlled": award.state_controlled,
                "passed_over": _excused_ranks(award),
                "rules": ["T12"] if award.regime == rules.TENDERING else ["G6.award"],
            },
            visibility=Visibility.public(),
        )
        others = [c for c in award.candidates.all() if c.rank != rank]
        losers = sorted(bidder_organisations(award) - {candidate.organisation_id})
        _notify_result(award, candidate, losers, contract_due.date)
        _record(
            award,
            evidence.NOTICES_ISSUED,
            principal=principal,
            data={
                "winner_organisation_id": candidate.organisation_id,
                "result_notices": losers,
                "contract_due_on": contract_due.date.isoformat(),
                "rule": rules.contract_rule(award.regime),
            },
            visibility=_parties(award, candidate.organisation_id, *losers),
        )
        _record(
            award,
            evidence.RESULT_ANNOUNCED,
            principal=principal,
            data={
                "title": award.title,
                "winner": winner,
                "candidates": [_candidate_json(c) for c in [candidate, *others]],
                "experts": named,
                "experts_listed": bool(named),
                "experts_unavailable": why,
                "rule": "G6.experts" if award.regime == rules.PROCUREMENT else "T9.secret",
            },
            visibility=Visibility.public(),
        )
        _record(
            award,
            evidence.SCORES_PUBLISHED,
            principal=principal,
            data={"scores": award.published_scores, "report_sha256": award.report_sha256},
            visibility=Visibility.public(),
        )
    return award


def _notify_result(award: Award, winner: Candidate, losers: list[int], contract_due: date) -> None:
    common = {"title": award.title, "lot": str(award.lot_id)}
    winner_users = _users_of([winner.organisation_id], "bidder")
    if winner_users:
        notifications.notify(
            recipients=winner_users,
            template=messages.AWARD_NOTICE,
            context={
                **common,
                "bidder": winner.bidder_name,
                "price": format_fen(winner.price_fen),
                "contract_due": contract_due.isoformat(),
            },
            urgent=True,
        )
    names = {c.organisation_id: c.bidder_name for c in award.candidates.all()}
    for org_id in losers:
        users = _users_of([org_id], "bidder")
        if users:
            notifications.notify(
                recipients=users,
                template=messages.RESULT_NOTICE,
                context={**common, "bidder": names.get(org_id, ""), "winner": winner.bidder_name},
            )


def request_retender(*, principal: Principal, award_id: int, reason: str) -> Award:
    """No candidate is awarded: the tender is to be re-tendered (T12: a state-controlled project
    only once the first-ranked candidate was passed over for a recorded reason)."""
    body = (reason or "").strip()
    if not body:
        raise InvalidInput(messages.EMPTY_TEXT, code="empty_text")
    now = clock.now()
    with transaction.atomic():
        award = _lock(award_id)
        _require_manager(principal, award)
        _refuse_before_award(award, now)
        if not rules.may_retender(
            state_controlled=award.state_controlled, excused_ranks=_excused_ranks(award)
        ):
            raise RuleViolation(messages.RETENDER_REFUSED, code="rule_T12")
        _move(award, states.RETENDER)
        award.retender_reason = body[:4000]
        award.retender_at = now
        # The projects context fails the tender and starts the new one in this transaction.
        award.retender_tender_id = projects.retender_after_award(
            tender_id=award.tender_id,
            bids_received=opening.opening_result(award.tender_id, award.lot_id).bids_received,
            actor=evidence.actor_of(principal),
            reason=award.retender_reason,
        )
        award.save()
        _record(
            award,
            evidence.RETENDER,
            principal=principal,
            data={
                "reason": award.retender_reason,
                "passed_over": _excused_ranks(award),
                "rule": "T12",
                "new_tender": award.retender_tender_id,
            },
            visibility=Visibility.public(),
        )
    return award


# --- contract and report ------------------------------------------------------------------------


def register_contract(
    *, principal: Principal, award_id: int, signed_on: date, price_fen: int, document_id: int
) -> Contract:
    """The tenderer or agency registers the signed contract (document uploaded with purpose
    ``award_contract``). T13 / G7 (warn): signed more than 30 days after the award notice is
    allowed, recorded on the contract and its clock. Procurement starts G7.filing (the filing
    with the supervisor within 7 working days of signing)."""
    if isinstance(price_fen, bool) or not isinstance(price_fen, int) or price_fen <= 0:
        raise InvalidInput(messages.BAD_PRICE, code="bad_price")
    now = clock.now()
    today = now.astimezone(SHANGHAI).date()
    with transaction.atomic():
        award = _lock(award_id)
        _require_manager(principal, award)
        if Contract.objects.filter(award=award).exists():
            raise Conflict(messages.ALREADY_CONTRACTED, code="already_contracted")
        target = states.after_contract(award.status)
        if target is None:
            raise _wrong_status(award)
        assert award.awarded_at is not None
        award_day = award.awarded_at.astimezone(SHANGHAI).date()
        if not isinstance(signed_on, date) or not award_day <= signed_on <= today:
            raise InvalidInput(
                text(messages.BAD_SIGNED_ON, **{"from": award_day.isoformat(), "today": today.isoformat()}),
                code="bad_signed_on",
            )
        document = _document(principal, document_id, messages.CONTRACT_PURPOSE.code)
        contract_rule = rules.contract_rule(award.regime)
        late = rules.period_violation(contract_rule, award.awarded_at, signed_on)
        assert principal.user_id is not None
        contract = Contract.objects.create(
            award=award,
            signed_on=signed_on,
            price_fen=price_fen,
            document_id=document.id,
            registered_at=now,
            registered_by_id=principal.user_id,
            violation=late.as_dict() if late is not None else None,
        )
        contract_clock = _open_clock(award, contract_rule)
        if contract_clock is not None:
            _meet_clock(contract_clock, now, late)
        if award.regime == rules.PROCUREMENT:
            _start_clock(award, "G7.filing", now, due=rules.period_end_for("G7.filing", signed_on))
        award.status = target
        award.version += 1
        award.save()
        winner = award.candidates.get(rank=award.winner_rank or 0)
        _record(
            award,
            evidence.CONTRACT_REGISTERED,
            principal=principal,
            data={
                "winner": winner.bidder_name,
                "signed_on": signed_on.isoformat(),
                "price_fen": price_fen,
                "document_id": document.id,
                "document_sha256": document.sha256,
                "rule": contract_rule,
                "late": late.as_dict() if late is not None else None,
            },
            visibility=Visibility.public(),
            contract=True,
        )
    return contract


def report_to_supervisor(
    *, principal: Principal, award_id: int, text_: str, document_id: int | None = None
) -> SupervisorReport:
    """The written report to the supervisor: T14 (tendering, within 15 days of fixing the
    winner) or G7.filing (procurement, the contract filed within 7 working days of signing;
    needs the contract first). Late is allowed (warn), recorded."""
    body = (text_ or "").strip()
    if not body:
        raise InvalidInput(messages.EMPTY_TEXT, code="empty_text")
    now = clock.now()
    with transaction.atomic():
        award = _lock(award_id)
        _require_manager(principal, award)
        if SupervisorReport.objects.filter(award=award).exists():
            raise Conflict(messages.ALREADY_REPORTED, code="already_reported")
        contract = Contract.objects.filter(award=award).first()
        if award.regime == rules.PROCUREMENT and contract is None and award.status == states.AWARDED:
            raise Conflict(messages.CONTRACT_FIRST, code="contract_first")
        target = states.after_report(award.status)
        if target is None:
            raise _wrong_status(award)
        document = _document(principal, document_id, messages.REPORT_PURPOSE.code) if document_id else None
        assert award.awarded_at is not None
        report_rule = rules.report_rule(award.regime)
        event = rules.report_event(
            award.regime, awarded_at=award.awarded_at, signed_on=contract.signed_on if contract else None
        )
        assert event is not None
        late = rules.period_violation(report_rule, event, now)
        assert principal.user_id is not None
        report = SupervisorReport.objects.create(
            award=award,
            text=body[:8000],
            document_id=document.id if document is not None else None,
            reported_at=now,
            reported_by_id=principal.user_id,
            violation=late.as_dict() if late is not None else None,
        )
        report_clock = _open_clock(award, report_rule)
        if report_clock is not None:
            _meet_clock(report_clock, now, late)
        award.status = target
        award.version += 1
        award.save()
        _record(
            award,
            evidence.REPORTED,
            principal=principal,
            data={
                "text": report.text,
                "document_id": report.document_id,
                "rule": report_rule,
                "late": late.as_dict() if late is not None else None,
            },
            visibility=_parties(award),
        )
        if award.supervisor_org_id:
            users = _users_of([award.supervisor_org_id], "supervisor")
            if users:
                notifications.notify(
                    recipients=users,
                    template=messages.REPORT_FILED,
                    context={"title": award.title, "lot": str(award.lot_id)},
                )
    return report
