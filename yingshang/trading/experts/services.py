"""Every write of the experts context: one transaction, one ledger entry each.

The pool (register, review, import, suspend, blacklist, availability, relationships, conflicts,
credit), the need (T9 / G10 checked), the draw through the draws context, the materialisation of
performed draws into invited seats, answers (accept with a no-conflict declaration, decline),
replacements for declines and silence, representatives and the publication of identities.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from yingshang.draws import facade as draws
from yingshang.identity import facade as identity
from yingshang.kernel import clock, statutory
from yingshang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yingshang.kernel.policy import Principal
from yingshang.kernel.text import Text
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Visibility
from yingshang.notifications import facade as notifications
from yingshang.trading.bids import facade as bids
from yingshang.trading.experts import evidence, messages, permissions, reference, rules, selectors, states
from yingshang.trading.experts.models import (
    DeclaredConflict,
    DrawRound,
    Expert,
    Need,
    NeedRow,
    Relationship,
    Seat,
    Unavailability,
)
from yingshang.trading.projects import facade as projects

PURPOSE = "expert_draw"

REASON_LABELS: dict[str, tuple[str, str]] = {
    "not_approved": ("未通过审核", "not approved"),
    "blacklisted": ("列入黑名单", "blacklisted"),
    "suspended": ("暂停评标资格", "suspended"),
    "specialty": ("专业不符", "other specialty"),
    "region": ("地区不符", "other region"),
    "unavailable": ("评标时间不可参加", "unavailable at the evaluation time"),
    "employed_by_bidder": ("受雇于投标人", "employed by a bidder"),
    "employed_by_tenderer": ("受雇于招标人或代理机构", "employed by the tenderer or agency"),
    "relationship": ("与当事人存在利害关系", "relationship with a party"),
    "declared_conflict": ("已申报回避", "declared conflict"),
    "recent_draw": ("近期已为同一招标人评标", "drawn for the same tenderer recently"),
    "already_drawn": ("本次已被抽取", "already drawn for this need"),
}


def repeat_window_days() -> int:
    return int(getattr(settings, "EXPERT_REPEAT_WINDOW_DAYS", 90))


def response_minutes() -> int:
    return int(getattr(settings, "EXPERT_RESPONSE_MINUTES", 30))


def _expert(code: str, *, lock: bool = False) -> Expert:
    qs = Expert.objects.select_for_update() if lock else Expert.objects
    found = qs.filter(code=code).first()
    if found is None:
        raise NotFound(
            Text(zh="专家库中没有此专家。", en="There is no such expert in the pool."), code="no_expert"
        )
    return found


def _deny() -> PermissionDenied:
    return PermissionDenied(
        Text(zh="您无权进行此操作。", en="You may not do this."), code="permission_denied"
    )


def _require(ok: bool) -> None:
    if not ok:
        raise _deny()


def _new_code() -> str:
    while True:
        code = rules.new_code()
        if not Expert.objects.filter(code=code).exists():
            return code


# ---------------------------------------------------------------- the pool


@dataclass(frozen=True)
class ExpertInput:
    name: str
    region: str
    specialties: tuple[str, ...]
    employer_uscc: str = ""
    employer_name: str = ""
    titles: tuple[str, ...] = ()
    phone: str = ""


def _check_input(data: ExpertInput) -> None:
    problems: list[tuple[str, str]] = []
    if not data.name.strip():
        problems.append(("姓名不能为空", "the name is empty"))
    if len(data.region) != 6 or not data.region.isdigit():
        problems.append(("地区须为6位行政区划代码", "the region must be a 6-digit division code"))
    if not data.specialties:
        problems.append(("至少填写一个专业", "give at least one specialty"))
    unknown = [s for s in data.specialties if not reference.is_specialty(s)]
    if unknown:
        problems.append(
            (f"未知专业代码 {', '.join(unknown)}", f"unknown specialty codes {', '.join(unknown)}")
        )
    if data.employer_uscc and len(data.employer_uscc) != 18:
        problems.append(
            ("工作单位统一社会信用代码须为18位", "the employer's credit code must have 18 characters")
        )
    if problems:
        raise InvalidInput(
            Text(
                zh="专家信息有误：" + "；".join(zh for zh, _ in problems) + "。",
                en="The expert's details are wrong: " + "; ".join(en for _, en in problems) + ".",
            ),
            code="invalid_expert",
        )


def _create(
    data: ExpertInput, *, user_id: int | None, status: str, source: str = "", source_ref: str = ""
) -> Expert:
    return Expert.objects.create(
        code=_new_code(),
        user_id=user_id,
        name=data.name.strip(),
        phone=data.phone,
        region=data.region,
        specialties=sorted(set(data.specialties)),
        titles=list(data.titles),
        employer_uscc=data.employer_uscc,
        employer_name=data.employer_name,
        status=status,
        source=source,
        source_ref=source_ref,
        created_at=clock.now(),
    )


def _pool_record(action: str, actor: Actor, expert: Expert, **data: Any) -> None:
    ledger.record(
        action=action,
        actor=actor,
        subject=evidence.expert_subject(expert.code),
        data={"code": expert.code, **data},
        visibility=evidence.pool_visibility(),
    )


def register_expert(*, principal: Principal, data: ExpertInput, user_id: int | None = None) -> Expert:
    """An expert applies (for themself), or centre staff registers one (linked to ``user_id`` or not)."""
    if principal.is_guest or principal.is_read_only:
        raise _deny()
    if not permissions.may_manage_pool(principal):
        if user_id not in (None, principal.user_id):
            raise _deny()
        user_id = principal.user_id
    _check_input(data)
    with transaction.atomic():
        if user_id is not None and Expert.objects.filter(user_id=user_id).exists():
            raise Conflict(
                Text(zh="该账号已在专家库中。", en="This account is already in the pool."),
                code="already_registered",
            )
        expert = _create(data, user_id=user_id, status=states.APPLIED)
        _pool_record(
            evidence.REGISTERED,
            evidence.actor_of(principal),
            expert,
            region=expert.region,
            specialties=expert.specialties,
            employer_uscc=expert.employer_uscc,
        )
    return expert


def review_expert(*, principal: Principal, code: str, approve: bool, note: str = "") -> Expert:
    _require(permissions.may_manage_pool(principal))
    if not approve and not note.strip():
        raise InvalidInput(
            Text(zh="驳回须说明理由。", en="Give the reason for rejecting."), code="reason_required"
        )
    with transaction.atomic():
        expert = _expert(code, lock=True)
        expert.status = states.APPROVED if approve else states.REJECTED
        expert.review_note = note.strip()
        expert.reviewed_at = clock.now()
        expert.save(update_fields=["status", "review_note", "reviewed_at"])
        _pool_record(evidence.REVIEWED, evidence.actor_of(principal), expert, status=expert.status, note=note)
    return expert


def suspend_expert(*, principal: Principal, code: str, until: date | None, reason: str) -> Expert:
    """Suspend until a date (inclusive); ``until=None`` lifts the suspension."""
    _require(permissions.may_manage_pool(principal))
    if until is not None and not reason.strip():
        raise InvalidInput(
            Text(zh="暂停须说明理由。", en="Give the reason for the suspension."), code="reason_required"
        )
    with transaction.atomic():
        expert = _expert(code, lock=True)
        expert.suspended_until = until
        expert.suspension_reason = reason.strip()
        expert.save(update_fields=["suspended_until", "suspension_reason"])
        _pool_record(
            evidence.SUSPENDED,
            evidence.actor_of(principal),
            expert,
            until=until.isoformat() if until else None,
            reason=reason,
        )
    return expert


def blacklist_expert(*, principal: Principal, code: str, reason: str, blacklisted: bool = True) -> Expert:
    _require(permissions.may_manage_pool(principal))
    if blacklisted and not reason.strip():
        raise InvalidInput(Text(zh="列入黑名单须说明理由。", en="Give the reason."), code="reason_required")
    with transaction.atomic():
        expert = _expert(code, lock=True)
        expert.blacklisted = blacklisted
        expert.blacklist_reason = reason.strip()
        expert.save(update_fields=["blacklisted", "blacklist_reason"])
        _pool_record(
            evidence.BLACKLISTED, evidence.actor_of(principal), expert, blacklisted=blacklisted, reason=reason
        )
    return expert


def record_credit(*, principal: Principal, code: str, delta: int, reason: str) -> Expert:
    _require(permissions.may_manage_pool(principal))
    if not reason.strip():
        raise InvalidInput(Text(zh="信用记录须说明事由。", en="Give the reason."), code="reason_required")
    with transaction.atomic():
        expert = _expert(code, lock=True)
        expert.credit_score += int(delta)
        expert.credit_record = [
            *expert.credit_record,
            {"at": clock.now().isoformat(), "delta": int(delta), "reason": reason.strip()},
        ]
        expert.save(update_fields=["credit_score", "credit_record"])
        _pool_record(
            evidence.CREDIT_RECORDED, evidence.actor_of(principal), expert, delta=int(delta), reason=reason
        )
    return expert


def add_unavailability(
    *, principal: Principal, code: str, starts_at: datetime, ends_at: datetime, reason: str = ""
) -> None:
    if ends_at <= starts_at:
        raise InvalidInput(
            Text(zh="不可参评时间的结束须晚于开始。", en="The period must end after it starts."),
            code="bad_period",
        )
    with transaction.atomic():
        expert = _expert(code, lock=True)
        _require(permissions.may_edit_expert(principal, expert.user_id))
        Unavailability.objects.create(expert=expert, starts_at=starts_at, ends_at=ends_at, reason=reason)
        _pool_record(
            evidence.PROFILE_CHANGED,
            evidence.actor_of(principal),
            expert,
            unavailable={"from": starts_at.isoformat(), "until": ends_at.isoformat()},
        )


def add_relationship(
    *, principal: Principal, code: str, organisation_uscc: str, kind: str, until: date | None
) -> None:
    if len(organisation_uscc) != 18 or not kind.strip():
        raise InvalidInput(
            Text(
                zh="须填写18位统一社会信用代码和关系类型。",
                en="Give an 18-character credit code and the kind.",
            ),
            code="bad_relationship",
        )
    with transaction.atomic():
        expert = _expert(code, lock=True)
        _require(permissions.may_edit_expert(principal, expert.user_id))
        Relationship.objects.create(
            expert=expert, organisation_uscc=organisation_uscc, kind=kind.strip(), until=until
        )
        _pool_record(
            evidence.PROFILE_CHANGED,
            evidence.actor_of(principal),
            expert,
            relationship={
                "uscc": organisation_uscc,
                "kind": kind,
                "until": until.isoformat() if until else None,
            },
        )


def declare_conflict(*, principal: Principal, code: str, organisation_uscc: str, reason: str) -> None:
    if len(organisation_uscc) != 18 or not reason.strip():
        raise InvalidInput(
            Text(
                zh="须填写18位统一社会信用代码和回避理由。",
                en="Give an 18-character credit code and the reason.",
            ),
            code="bad_conflict",
        )
    with transaction.atomic():
        expert = _expert(code, lock=True)
        _require(permissions.may_edit_expert(principal, expert.user_id))
        DeclaredConflict.objects.create(
            expert=expert, organisation_uscc=organisation_uscc, reason=reason.strip(), declared_at=clock.now()
        )
        _pool_record(
            evidence.PROFILE_CHANGED,
            evidence.actor_of(principal),
            expert,
            conflict={"uscc": organisation_uscc},
        )


# ---------------------------------------------------------------- import from another pool

IMPORT_FIELDS = ("ref", "name", "region", "specialties", "employer_uscc", "employer_name", "titles", "phone")


def parse_pool_file(content: bytes, *, filename: str) -> list[dict[str, Any]]:
    """Records of a pool file: JSON (``{"source": ..., "experts": [...]}`` or a list) or CSV with
    the header ``ref,name,region,specialties,employer_uscc,employer_name,titles,phone``
    (specialties and titles separated by ``;``)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            Text(zh="文件须为UTF-8编码。", en="The file must be UTF-8."), code="bad_file"
        ) from exc
    if filename.lower().endswith(".json") or text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                Text(zh="JSON格式错误。", en="The JSON is not well-formed."), code="bad_file"
            ) from exc
        items = data.get("experts", []) if isinstance(data, dict) else data
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise InvalidInput(
                Text(zh="JSON须为专家列表。", en="The JSON must list experts."), code="bad_file"
            )
        return items
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in ("ref", "name", "region", "specialties") if f not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(
            Text(
                zh=f"CSV缺少列：{', '.join(missing)}。", en=f"The CSV lacks the columns {', '.join(missing)}."
            ),
            code="bad_file",
        )
    rows = []
    for row in reader:
        item: dict[str, Any] = {k: (v or "").strip() for k, v in row.items() if k}
        item["specialties"] = [s.strip() for s in item.get("specialties", "").split(";") if s.strip()]
        item["titles"] = [s.strip() for s in item.get("titles", "").split(";") if s.strip()]
        rows.append(item)
    return rows


def import_pool(*, principal: Principal, source: str, records: Sequence[Mapping[str, Any]]) -> list[Expert]:
    """Import another city's (already reviewed) experts for remote evaluation; idempotent by
    (source, ref). All or nothing: one bad record refuses the file, naming the record."""
    _require(permissions.may_manage_pool(principal))
    if not source.strip():
        raise InvalidInput(Text(zh="须注明来源专家库。", en="Name the source pool."), code="source_required")
    inputs: list[tuple[str, ExpertInput]] = []
    for index, item in enumerate(records, start=1):
        ref = str(item.get("ref") or "").strip()
        try:
            data = ExpertInput(
                name=str(item.get("name") or ""),
                region=str(item.get("region") or ""),
                specialties=tuple(str(s) for s in item.get("specialties") or ()),
                employer_uscc=str(item.get("employer_uscc") or ""),
                employer_name=str(item.get("employer_name") or ""),
                titles=tuple(str(s) for s in item.get("titles") or ()),
                phone=str(item.get("phone") or ""),
            )
            if not ref:
                raise InvalidInput(Text(zh="缺少ref。", en="ref is missing."), code="invalid_expert")
            _check_input(data)
        except InvalidInput as exc:
            message = exc.message
            zh = getattr(message, "zh", str(message))
            en = getattr(message, "en", str(message))
            raise InvalidInput(
                Text(zh=f"第 {index} 条记录：{zh}", en=f"Record {index}: {en}"), code="bad_record"
            ) from exc
        inputs.append((ref, data))
    out: list[Expert] = []
    actor = evidence.actor_of(principal)
    with transaction.atomic():
        for ref, data in inputs:
            existing = Expert.objects.filter(source=source, source_ref=ref).first()
            if existing is not None:
                out.append(existing)
                continue
            expert = _create(
                data, user_id=None, status=states.APPROVED, source=source.strip(), source_ref=ref
            )
            _pool_record(
                evidence.IMPORTED,
                actor,
                expert,
                source=source,
                ref=ref,
                region=expert.region,
                specialties=expert.specialties,
            )
            out.append(expert)
    return out


# ---------------------------------------------------------------- the need


@dataclass(frozen=True)
class RowInput:
    specialty: str
    count: int
    regions: tuple[str, ...] = ()
    remote: bool = False


def _tender(tender_id: int, lot_id: int) -> Any:
    tender = projects.tender_summary(tender_id)
    if lot_id not in tender.lot_ids:
        raise NotFound(Text(zh="该招标项目没有此标段。", en="The tender has no such lot."), code="no_lot")
    return tender


def state_need(
    *,
    principal: Principal,
    tender_id: int,
    lot_id: int,
    rows: Sequence[RowInput],
    representatives: int,
    evaluation_at: datetime,
) -> Need:
    """State (or restate, before any draw) the committee a lot needs; T9 or G10 checked."""
    tender = _tender(tender_id, lot_id)
    _require(permissions.may_organise(principal, tender_id))
    problems: list[tuple[str, str]] = []
    if not rows:
        problems.append(("至少填写一行专家需求", "give at least one row of experts"))
    for i, row in enumerate(rows, start=1):
        if not reference.is_specialty(row.specialty):
            problems.append((f"第{i}行专业代码未知", f"row {i}: unknown specialty"))
        if row.count < 1:
            problems.append((f"第{i}行人数须至少为1", f"row {i}: the count must be at least 1"))
        if any(len(r) != 6 or not r.isdigit() for r in row.regions):
            problems.append((f"第{i}行地区须为6位代码", f"row {i}: regions are 6-digit codes"))
    if representatives < 0:
        problems.append(("招标人代表人数不能为负", "representatives cannot be negative"))
    if evaluation_at <= clock.now():
        problems.append(("评标时间须在将来", "the evaluation time must be in the future"))
    if problems:
        raise InvalidInput(
            Text(
                zh="专家需求有误：" + "；".join(zh for zh, _ in problems) + "。",
                en="The need is wrong: " + "; ".join(en for _, en in problems) + ".",
            ),
            code="invalid_need",
        )
    experts = sum(row.count for row in rows)
    size = experts + representatives
    violations = statutory.committee_violations(size, experts, regime=tender.regime, method=tender.method)
    if violations:
        v = violations[0]
        raise InvalidInput(
            Text(
                zh=f"专家需求不符合规定（{v.rule_id}，{v.article.zh}）：{v.message.zh} 现为 {size} 人，其中专家 {experts} 人。",
                en=f"The need breaks {v.rule_id} ({v.article.en}): {v.message.en} It has {size} members, "
                f"{experts} of them experts.",
            ),
            code="committee_rule",
            details=[x.as_dict() for x in violations],
        )
    with transaction.atomic():
        need = Need.objects.select_for_update().filter(tender_id=tender_id, lot_id=lot_id).first()
        if need is not None:
            if Seat.objects.filter(need=need).exists() or DrawRound.objects.filter(row__need=need).exists():
                raise Conflict(
                    Text(
                        zh="已开始抽取，不能再修改需求。", en="The draw has started: the need cannot change."
                    ),
                    code="draw_started",
                )
            need.rows.all().delete()
        else:
            need = Need(tender_id=tender_id, lot_id=lot_id)
        need.regime = tender.regime
        need.method = tender.method
        need.tenderer_org_id = tender.tenderer_org_id
        need.representatives = representatives
        need.evaluation_at = evaluation_at
        need.stated_by = principal.user_id
        need.stated_at = clock.now()
        need.save()
        for i, row in enumerate(rows, start=1):
            NeedRow.objects.create(
                need=need,
                position=i,
                specialty=row.specialty,
                count=row.count,
                regions=sorted(set(row.regions)),
                remote=row.remote,
            )
        ledger.record(
            action=evidence.NEED_STATED,
            actor=evidence.actor_of(principal),
            subject=evidence.lot_subject(tender_id, lot_id),
            data={
                "tender": tender_id,
                "lot": lot_id,
                "rows": [_row_json(r) for r in need.rows.all()],
                "representatives": representatives,
                "size": size,
                "evaluation_at": evaluation_at.isoformat(),
            },
            visibility=_committee_visibility(need),
        )
    return need


def _row_json(row: NeedRow) -> dict[str, Any]:
    return {
        "row": row.position,
        "specialty": row.specialty,
        "count": row.count,
        "regions": list(row.regions),
        "remote": row.remote,
    }


def _committee_visibility(need: Need) -> Visibility:
    """Codes and counts: the tenderer (and agency) and oversight; the identities never."""
    tender = projects.tender_summary(need.tender_id)
    orgs = [tender.tenderer_org_id] + ([tender.agency_org_id] if tender.agency_org_id else [])
    if tender.supervisor_org_id:
        orgs.append(tender.supervisor_org_id)
    return Visibility.parties(organisation_ids=orgs)


def _member_visibility() -> Visibility:
    """An expert's own acts on a seat (accept, decline): the entry's actor is the expert's
    account and employer, so only supervisors and auditors read it until the names are published
    (T9.secret); the tenderer and agency follow codes and counts on the committee page."""
    return Visibility.oversight(centre=False)


def _need(tender_id: int, lot_id: int, *, lock: bool = False) -> Need:
    qs = Need.objects.select_for_update() if lock else Need.objects
    need = qs.filter(tender_id=tender_id, lot_id=lot_id).first()
    if need is None:
        raise NotFound(
            Text(zh="该标段尚未提出评标专家需求。", en="No expert need has been stated for this lot."),
            code="no_committee",
        )
    return need


# ---------------------------------------------------------------- eligibility and the draw


def _parties(need: Need) -> tuple[frozenset[str], frozenset[str]]:
    """(bidders' USCCs for the lot, the tenderer's and agency's USCCs)."""
    tender = projects.tender_summary(need.tender_id)
    try:
        bidders = frozenset(
            b.bidder_uscc for b in bids.bids_for_opening(need.tender_id) if b.lot_id == need.lot_id
        )
    except Conflict:  # before the deadline nobody knows the bidders
        bidders = frozenset()
    usccs = []
    for org_id in (tender.tenderer_org_id, tender.agency_org_id):
        if org_id:
            org = identity.get_organisation(org_id)
            if org is not None:
                usccs.append(org.uscc)
    return bidders, frozenset(usccs)


def eligibility_for(row: NeedRow, *, bidders: frozenset[str], tenderers: frozenset[str]) -> rules.Eligibility:
    need = row.need
    drawn = frozenset(Seat.objects.filter(need=need, expert__isnull=False).values_list("code", flat=True))
    facts = rules.Need(
        specialty=row.specialty,
        regions=tuple(row.regions),
        evaluation_at=need.evaluation_at,
        bidder_usccs=bidders,
        tenderer_usccs=tenderers,
        repeat_window_days=repeat_window_days(),
        already_drawn=drawn,
    )
    return rules.eligibility(
        selectors.candidates(tenderer_org_id=need.tenderer_org_id, excluding_need_id=need.pk), facts
    )


def shortage_text(row: NeedRow, needed: int, found: rules.Eligibility) -> Text:
    missing = needed - len(found.eligible)
    counts = found.counts()
    zh_reasons = "，".join(f"{REASON_LABELS[r][0]} {n} 人" for r, n in counts.items()) or "无"
    en_reasons = ", ".join(f"{REASON_LABELS[r][1]}: {n}" for r, n in counts.items()) or "none"
    return Text(
        zh=(
            f"第{row.position}行（专业 {row.specialty}）可抽取专家不足：需要 {needed} 人，符合条件的只有 "
            f"{len(found.eligible)} 人，还差 {missing} 人。被排除：{zh_reasons}。"
        ),
        en=(
            f"Row {row.position} (specialty {row.specialty}) has too few eligible experts: {needed} needed, "
            f"{len(found.eligible)} eligible, {missing} missing. Excluded: {en_reasons}."
        ),
    )


def _prepare_round(row: NeedRow, k: int, found: rules.Eligibility, actor: Actor) -> DrawRound:
    need = row.need
    number = row.rounds.count() + 1
    parameters = {
        "tender": need.tender_id,
        "lot": need.lot_id,
        **_row_json(row),
        "round": number,
        "evaluation_at": need.evaluation_at.isoformat(),
        "excluded": found.counts(),
    }
    summary = draws.prepare_draw(
        actor=actor,
        purpose=PURPOSE,
        subject=evidence.lot_subject(need.tender_id, need.lot_id),
        eligible=list(found.eligible),
        k=k,
        parameters=parameters,
        visibility=Visibility.public(),
    )
    drawn = DrawRound.objects.create(
        row=row,
        number=number,
        draw_id=summary.public_id,
        k=k,
        eligible_count=len(found.eligible),
        excluded=found.counts(),
        prepared_at=clock.now(),
    )
    ledger.record(
        action=evidence.DRAW_PREPARED,
        actor=actor,
        subject=evidence.lot_subject(need.tender_id, need.lot_id),
        data={"draw": summary.public_id, "k": k, "eligible": len(found.eligible), **parameters},
        visibility=Visibility.public(),
    )
    return drawn


def start_draw(*, principal: Principal, tender_id: int, lot_id: int) -> list[DrawRound]:
    """Commit the draws of every row; refused (nothing prepared) when a row has too few eligible."""
    _require(permissions.may_organise(principal, tender_id))
    actor = evidence.actor_of(principal)
    with transaction.atomic():
        need = _need(tender_id, lot_id, lock=True)
        rows = list(need.rows.all())
        if DrawRound.objects.filter(row__need=need).exists():
            raise Conflict(Text(zh="抽取已开始。", en="The draw has already started."), code="draw_started")
        bidders, tenderers = _parties(need)
        found = [(row, eligibility_for(row, bidders=bidders, tenderers=tenderers)) for row in rows]
        short = [(row, f) for row, f in found if len(f.eligible) < row.count]
        if short:
            texts = [shortage_text(row, row.count, f) for row, f in short]
            raise InvalidInput(
                Text(zh="".join(t.zh for t in texts), en=" ".join(t.en for t in texts)),
                code="too_few_experts",
                details=[
                    {
                        "row": row.position,
                        "needed": row.count,
                        "eligible": len(f.eligible),
                        "missing": row.count - len(f.eligible),
                        "excluded": f.counts(),
                    }
                    for row, f in short
                ],
            )
        return [_prepare_round(row, row.count, f, actor) for row, f in found]


def contribute(*, principal: Principal, tender_id: int, lot_id: int, value: str) -> int:
    """A supervisor's value for the seeds of the prepared draws of the lot; how many took it."""
    _require(permissions.may_contribute(principal, tender_id))
    if not value.strip():
        raise InvalidInput(Text(zh="请输入一个值。", en="Give a value."), code="value_required")
    need = _need(tender_id, lot_id)
    rounds = DrawRound.objects.filter(row__need=need, status=states.PREPARED)
    count = 0
    for drawn in rounds:
        draws.contribute(draw_id=drawn.draw_id, actor=evidence.actor_of(principal), value=value)
        count += 1
    if not count:
        raise Conflict(Text(zh="没有待抽取的轮次。", en="No draw is waiting."), code="no_prepared_draw")
    return count


# ---------------------------------------------------------------- materialising and answers


def _notify_invited(seat: Seat) -> None:
    if seat.user_id is None:
        return
    tender = projects.tender_summary(seat.need.tender_id)
    remote = seat.row is not None and seat.row.remote
    notifications.notify(
        recipients=[seat.user_id],
        template=messages.INVITED,
        context={
            "code": seat.code,
            "project_code": tender.code,
            "title": tender.title,
            "evaluation_at": clock.to_shanghai(seat.need.evaluation_at).strftime("%Y-%m-%d %H:%M"),
            "respond_by": clock.to_shanghai(seat.respond_by).strftime("%Y-%m-%d %H:%M")
            if seat.respond_by
            else "",
            "url": "/trading/experts/invitations/",
            "remote_zh": "（远程异地评标）" if remote else "",
            "remote_en": " (remote)" if remote else "",
        },
        urgent=True,
    )


def materialise(drawn: DrawRound, result: Sequence[str], *, now: datetime) -> list[Seat]:
    """Turn a performed draw into invited seats (in the caller's transaction)."""
    row = drawn.row
    need = row.need
    taken = set(Seat.objects.filter(need=need, expert__isnull=False).values_list("code", flat=True))
    order = Seat.objects.filter(need=need).count()
    experts = {e.code: e for e in Expert.objects.filter(code__in=result)}
    seats: list[Seat] = []
    for code in result:
        if code in taken or code not in experts:  # drawn for another row of the same need meanwhile
            continue
        order += 1
        expert = experts[code]
        seat = Seat.objects.create(
            need=need,
            row=row,
            round=drawn,
            expert=expert,
            kind=states.EXPERT,
            code=code,
            user_id=expert.user_id,
            order=order,
            status=states.INVITED,
            invited_at=now,
            respond_by=now + timedelta(minutes=response_minutes()),
        )
        taken.add(code)
        seats.append(seat)
        _notify_invited(seat)
    drawn.status = states.MATERIALISED
    drawn.materialised_at = now
    drawn.save(update_fields=["status", "materialised_at"])
    ledger.record(
        action=evidence.SEATS_INVITED,
        actor=Actor.system("chronograph"),
        subject=evidence.lot_subject(need.tender_id, need.lot_id),
        data={
            "draw": drawn.draw_id,
            "row": row.position,
            "round": drawn.number,
            "codes": [s.code for s in seats],
        },
        visibility=Visibility.public(),
    )
    return seats


def _replace(
    row: NeedRow, *, now: datetime, parties: tuple[frozenset[str], frozenset[str]] | None = None
) -> bool:
    """Prepare a replacement draw for the row's open seats, or record the shortage."""
    open_seats = row.seats.filter(status__in=states.OPEN_SEATS).count()
    needed = row.count - open_seats
    if needed <= 0 or row.rounds.filter(status=states.PREPARED).exists():
        return False
    bidders, tenderers = parties or _parties(row.need)
    found = eligibility_for(row, bidders=bidders, tenderers=tenderers)
    if len(found.eligible) < needed:
        shortage = {"missing": needed - len(found.eligible), "excluded": found.counts()}
        if row.shortage != shortage:
            row.shortage = shortage
            row.save(update_fields=["shortage"])
            text = shortage_text(row, needed, found)
            ledger.record(
                action=evidence.SHORTAGE,
                actor=Actor.system("chronograph"),
                subject=evidence.lot_subject(row.need.tender_id, row.need.lot_id),
                data={"row": row.position, **shortage, "message": {"zh": text.zh, "en": text.en}},
                visibility=_committee_visibility(row.need),
            )
        return False
    if row.shortage is not None:
        row.shortage = None
        row.save(update_fields=["shortage"])
    _prepare_round(row, needed, found, Actor.system("chronograph"))
    return True


def complete_due(*, now: datetime | None = None) -> int:
    """The chronograph's pass: materialise performed draws, expire unanswered invitations, draw
    replacements. Returns how many things changed."""
    now = now or clock.now()
    changed = 0
    for drawn in list(DrawRound.objects.filter(status=states.PREPARED).select_related("row__need")):
        summary = draws.perform_draw(draw_id=drawn.draw_id)
        if summary is None or summary.result is None:
            continue
        with transaction.atomic():
            locked = DrawRound.objects.select_for_update().get(pk=drawn.pk)
            if locked.status != states.PREPARED:
                continue
            materialise(locked, summary.result, now=now)
            changed += 1
    for seat in list(Seat.objects.filter(status=states.INVITED, respond_by__lt=now).select_related("need")):
        with transaction.atomic():
            expiring = Seat.objects.select_for_update().get(pk=seat.pk)
            if expiring.status != states.INVITED:
                continue
            expiring.status = states.EXPIRED
            expiring.responded_at = now
            expiring.save(update_fields=["status", "responded_at"])
            ledger.record(
                action=evidence.EXPIRED,
                actor=Actor.system("chronograph"),
                subject=evidence.lot_subject(seat.need.tender_id, seat.need.lot_id),
                data={"code": expiring.code},
                visibility=_committee_visibility(seat.need),
            )
            changed += 1
    # replacements only before the evaluation starts and while names are secret
    rows = NeedRow.objects.filter(
        rounds__isnull=False, need__identities_published_at__isnull=True, need__evaluation_at__gt=now
    ).distinct()
    for row_id in list(rows.values_list("pk", flat=True)):
        with transaction.atomic():
            row = NeedRow.objects.select_for_update().select_related("need").get(pk=row_id)
            if _replace(row, now=now):
                changed += 1
    return changed


def _seat_for(principal: Principal, seat_id: int) -> Seat:
    seat = (
        Seat.objects.select_for_update().filter(pk=seat_id, kind=states.EXPERT).select_related("need").first()
    )
    if seat is None:
        raise NotFound(Text(zh="没有此邀请。", en="There is no such invitation."), code="no_seat")
    own = seat.user_id is not None and seat.user_id == principal.user_id
    # centre staff may record an answer given by telephone for an expert without an account
    by_staff = seat.user_id is None and permissions.may_manage_pool(principal)
    if not (own or by_staff):
        raise _deny()
    if seat.status != states.INVITED:
        raise Conflict(
            Text(zh="此邀请已答复或已过期。", en="This invitation was already answered or has expired."),
            code="already_answered",
        )
    if seat.respond_by is not None and clock.now() > seat.respond_by:
        raise Conflict(Text(zh="答复时间已过。", en="The time to answer has passed."), code="too_late")
    return seat


DECLARATION = Text(
    zh="本人承诺与本项目投标人、招标人不存在利害关系，将客观公正地履行评标职责，并对评标情况保密。",
    en="I declare no interest in any bidder or the tenderer of this project, will evaluate "
    "objectively and fairly, and will keep the evaluation confidential.",
)


def _declaration_required() -> InvalidInput:
    return InvalidInput(
        Text(
            zh="确认参加须声明无利害关系；存在利害关系的请拒绝并说明。",
            en="To accept, declare that you have no conflict of interest; otherwise decline and say why.",
        ),
        code="declaration_required",
    )


def accept(*, principal: Principal, seat_id: int, no_conflict: bool, declaration: str = "") -> Seat:
    """Accept the seat, declaring no conflict of interest (required)."""
    with transaction.atomic():
        seat = _seat_for(principal, seat_id)
        if not no_conflict:
            raise _declaration_required()
        seat.status = states.CONFIRMED
        seat.responded_at = clock.now()
        seat.declaration = declaration.strip() or DECLARATION.zh
        seat.save(update_fields=["status", "responded_at", "declaration"])
        ledger.record(
            action=evidence.ACCEPTED,
            actor=evidence.actor_of(principal),
            subject=evidence.lot_subject(seat.need.tender_id, seat.need.lot_id),
            data={"code": seat.code, "no_conflict": True},
            visibility=_member_visibility(),
        )
    return seat


def decline(*, principal: Principal, seat_id: int, reason: str) -> Seat:
    """Decline with a reason; the next chronograph pass draws a replacement."""
    with transaction.atomic():
        seat = _seat_for(principal, seat_id)
        if not reason.strip():
            raise InvalidInput(
                Text(zh="请说明拒绝的理由。", en="Give the reason for declining."), code="reason_required"
            )
        seat.status = states.DECLINED
        seat.responded_at = clock.now()
        seat.decline_reason = reason.strip()
        seat.save(update_fields=["status", "responded_at", "decline_reason"])
        ledger.record(
            action=evidence.DECLINED,
            actor=evidence.actor_of(principal),
            subject=evidence.lot_subject(seat.need.tender_id, seat.need.lot_id),
            data={"code": seat.code},
            visibility=_member_visibility(),
        )
    return seat


def appoint_representative(*, principal: Principal, tender_id: int, lot_id: int, user_id: int) -> Seat:
    _require(permissions.may_organise(principal, tender_id))
    with transaction.atomic():
        need = _need(tender_id, lot_id, lock=True)
        reps = Seat.objects.filter(need=need, kind=states.REPRESENTATIVE)
        if reps.count() >= need.representatives:
            raise Conflict(
                Text(
                    zh=f"招标人代表已满（{need.representatives} 人）。",
                    en=f"All {need.representatives} representative seats are filled.",
                ),
                code="representatives_full",
            )
        if reps.filter(user_id=user_id).exists() or Seat.objects.filter(need=need, user_id=user_id).exists():
            raise Conflict(
                Text(zh="此人已在评标委员会中。", en="This person is already a member."),
                code="already_member",
            )
        try:
            identity.get_user(user_id)
        except Exception as exc:  # User.DoesNotExist
            raise InvalidInput(Text(zh="没有此用户。", en="There is no such user."), code="no_user") from exc
        now = clock.now()
        seat = Seat.objects.create(
            need=need,
            kind=states.REPRESENTATIVE,
            code=f"REP-{reps.count() + 1}",
            user_id=user_id,
            order=Seat.objects.filter(need=need).count() + 1,
            status=states.CONFIRMED,
            invited_at=now,
            responded_at=now,
        )
        ledger.record(
            action=evidence.REPRESENTATIVE,
            actor=evidence.actor_of(principal),
            subject=evidence.lot_subject(tender_id, lot_id),
            data={"code": seat.code},
            visibility=_committee_visibility(need),
        )
    return seat


def publish_identities(*, actor: Actor, tender_id: int, lot_id: int) -> Need:
    """Once the award result is fixed: the members' names become public. Idempotent."""
    with transaction.atomic():
        need = _need(tender_id, lot_id, lock=True)
        if need.identities_published_at is not None:
            return need
        need.identities_published_at = clock.now()
        need.save(update_fields=["identities_published_at"])
        members = [
            {"code": s.code, "name": name, "employer": employer} for s, name, employer in named_rows(need)
        ]
        ledger.record(
            action=evidence.IDENTITIES_PUBLISHED,
            actor=actor,
            subject=evidence.lot_subject(tender_id, lot_id),
            data={"tender": tender_id, "lot": lot_id, "members": members},
            visibility=Visibility.public(),
        )
    return need


def named_rows(need: Need) -> list[tuple[Seat, str, str]]:
    out = []
    for seat in (
        Seat.objects.filter(need=need, status=states.CONFIRMED).select_related("expert").order_by("order")
    ):
        if seat.expert is not None:
            out.append((seat, seat.expert.name, seat.expert.employer_name))
        else:
            user = identity.get_user(seat.user_id) if seat.user_id else None
            org = identity.get_organisation(need.tenderer_org_id)
            out.append((seat, str(user) if user else seat.code, org.name if org else ""))
    return out


def link_user(*, code: str, user_id: int) -> Expert:
    """Link an expert to an account (demo and imports). Idempotent."""
    with transaction.atomic():
        expert = _expert(code, lock=True)
        if expert.user_id != user_id:
            try:
                expert.user_id = user_id
                expert.save(update_fields=["user"])
            except IntegrityError as exc:
                raise Conflict(
                    Text(zh="该账号已关联其他专家。", en="The account is linked to another expert."),
                    code="already_linked",
                ) from exc
    return expert


def approved(experts: Iterable[Expert]) -> list[Expert]:
    return [e for e in experts if e.status == states.APPROVED]
