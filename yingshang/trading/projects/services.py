"""Every write of the projects context: one transaction per command, keyword-only arguments.

The shape of each command (docs/architecture.md, "The shape of a write"): load and lock the
aggregate, check the principal's permission, then the transition table (``states``), then the
rules (``rules``: statutory periods, deposits), write the change and a history row, record the
fact in the evidence ledger (``ledger_actions``) and publish the domain event on commit.

Optimistic concurrency: commands that edit take ``expected_version`` (the version the form was
loaded with); a stale one is refused with ``Conflict`` listing what changed since. Domain time
is ``kernel.clock.now()``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yingshang.files import facade as files
from yingshang.identity import facade as identity
from yingshang.kernel import clock
from yingshang.kernel.errors import Conflict, InvalidInput, NotFound, RuleViolation
from yingshang.kernel.events import publish
from yingshang.kernel.money import format_fen
from yingshang.kernel.policy import Principal
from yingshang.kernel.statutory import SHANGHAI, as_day, enough_bidders, rule
from yingshang.kernel.text import Text
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, EntryPromise, Visibility
from yingshang.notifications import facade as notifications
from yingshang.trading.projects import events, messages, notice_templates, reference, rules, selectors, states
from yingshang.trading.projects import ledger_actions as evidence
from yingshang.trading.projects.contracts import LotInput
from yingshang.trading.projects.models import Amendment, HistoryEntry, Lot, Notice, Project, Tender
from yingshang.trading.projects.permissions import projects as project_policy
from yingshang.trading.projects.permissions import tenders as tender_policy

__all__ = [
    "AmendResult",
    "TimelineResult",
    "accept_intake",
    "amend_tender",
    "apply_amendment",
    "apply_due",
    "cancel_tender",
    "create_tender",
    "preview_timeline",
    "publish_tender",
    "resume_tender",
    "retender",
    "return_intake",
    "save_timeline",
    "submit_intake",
    "suspend_tender",
    "update_intake",
]

MAX_LOTS = 50
SUSPENSION_GROUNDS = ("objection", "supervisor_order", "complaint", "other")

DEFAULT_COMMITMENT = (
    "本单位承诺：所提交的进场登记信息及项目审批、核准或备案文件、资金来源等材料真实、合法、有效，"
    "与原件一致；如有虚假，自愿承担由此产生的一切法律责任。"
)


@dataclass(frozen=True)
class TimelineResult:
    tender: Tender
    warnings: list[rules.Finding] = field(default_factory=list)


@dataclass(frozen=True)
class AmendResult:
    tender: Tender
    notice: Notice
    moved_to: datetime | None
    warnings: list[rules.Finding] = field(default_factory=list)


# --- helpers ------------------------------------------------------------------------------------


def _lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


def _detail(field_name: str, code: str, text: Text) -> dict[str, Any]:
    return {
        "field": field_name,
        "code": code,
        "message": text.render(_lang()),
        "message_zh": text.zh % dict(text.params) if text.params else text.zh,
        "message_en": text.en % dict(text.params) if text.params else text.en,
    }


def _invalid(details: list[dict[str, Any]]) -> InvalidInput:
    summary = (
        "；".join(d["message"] for d in details)
        if _lang() == "zh"
        else " ".join(d["message"] for d in details)
    )
    return InvalidInput(summary, details=details)


def _findings_error(findings: Sequence[rules.Finding]) -> RuleViolation:
    """Every blocking finding at once, each with its rule, article and message."""
    blocking = [f for f in findings if f.blocking]
    details = []
    for f in blocking:
        item = _detail(f.field, f.rule_id, f.message)
        item["rule"] = f.rule_id
        item["article"] = f.article.render(_lang())
        item["article_zh"] = f.article.zh
        item["article_en"] = f.article.en
        item["effect"] = f.effect
        details.append(item)
    intro = Text(
        zh="时间安排不符合以下规定（共 %(n)s 项）：", en="The timeline breaks these rules (%(n)s in all): "
    ).render(_lang()) % {"n": len(blocking)}
    lines = [f"[{f.rule_id}] {f.message.render(_lang())} ({f.article.render(_lang())})" for f in blocking]
    return RuleViolation(intro + " ".join(lines), code="timeline_rules", details=details)


def _now() -> datetime:
    return clock.now()


def _actor(principal: Principal | None) -> Actor:
    return evidence.actor_of(principal)


def _history(
    *,
    project: Project,
    tender: Tender | None,
    action: str,
    actor: Actor,
    version: int,
    from_status: str = "",
    to_status: str = "",
    fields: Sequence[str] = (),
    reason: str = "",
    at: datetime,
    promise: EntryPromise | None = None,
) -> HistoryEntry:
    return HistoryEntry.objects.create(
        project=project,
        tender=tender,
        action=action,
        from_status=from_status,
        to_status=to_status,
        version=version,
        changed_fields=list(fields),
        reason=reason,
        at=at,
        actor_user_id=actor.user_id,
        actor_name=actor.name or actor.role or actor.kind,
        ledger_entry_hash=promise.entry_hash if promise else "",
    )


def _check_version(obj: Project | Tender, expected_version: int | None) -> None:
    """Refuse a stale form with what changed since its version."""
    if expected_version is None or expected_version == obj.version:
        return
    if isinstance(obj, Tender):
        changes = selectors.changes_since(project=obj.project, tender=obj, version=expected_version)
    else:
        changes = selectors.changes_since(project=obj, tender=None, version=expected_version)
    changed = sorted({name for change in changes for name in change.changed_fields})
    details = [
        {
            "field": "version",
            "code": "stale",
            "version": change.version,
            "action": change.action,
            "label": ledger.action_label(change.action).render(_lang())
            if change.action in ledger.registered_actions()
            else change.action,
            "fields": list(change.changed_fields),
            "at": change.at.isoformat(),
            "by": change.actor_name,
        }
        for change in changes
    ]
    raise Conflict(
        _(
            "Someone else changed this since you opened the form (your version %(mine)s, now %(now)s). "
            "Changed: %(fields)s. Reload, check the changes and try again."
        ),
        code="stale_version",
        details=details,
        mine=expected_version,
        now=obj.version,
        fields=", ".join(changed) or "-",
    )


def _lock_project(project_id: int) -> Project:
    project = Project.objects.select_for_update().filter(pk=project_id).first()
    if project is None:
        raise NotFound()
    return project


def _lock_tender(tender_id: int) -> Tender:
    tender = Tender.objects.select_for_update().select_related("project").filter(pk=tender_id).first()
    if tender is None:
        raise NotFound()
    return tender


def _require_visible_project(principal: Principal, project: Project, action: str) -> None:
    """Hidden (404) if the principal may not even see it; otherwise the policy decides."""
    if not project_policy.allows(principal, "view", project):
        raise NotFound()
    project_policy.require(principal, action, project)


def _require_visible_tender(principal: Principal, tender: Tender, action: str) -> None:
    if not tender_policy.allows(principal, "view", tender):
        raise NotFound()
    tender_policy.require(principal, action, tender)


def _precheck_tender(principal: Principal, tender_id: int, action: str) -> None:
    """Permission first (hidden or denied before any input is judged); re-checked under lock."""
    tender = Tender.objects.select_related("project").filter(pk=tender_id).first()
    if tender is None:
        raise NotFound()
    _require_visible_tender(principal, tender, action)


def _precheck_project(principal: Principal, project_id: int, action: str) -> None:
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise NotFound()
    _require_visible_project(principal, project, action)


def _party_user_ids(project: Project) -> list[int]:
    ids: list[int] = []
    for org_id, role in ((project.tenderer_id, "tenderer"), (project.agency_id, "agency")):
        if org_id is None:
            continue
        organisation = identity.get_organisation(org_id)
        if organisation is not None:
            ids += list(
                identity.users_with_role(role, organisation=organisation).values_list("pk", flat=True)
            )
    return ids


def _supervisor_user_ids(project: Project) -> list[int]:
    """The supervisors of the project's competent supervisory department."""
    if project.supervisor_id is None:
        return []
    organisation = identity.get_organisation(project.supervisor_id)
    if organisation is None:
        return []
    return list(
        identity.users_with_role("supervisor", organisation=organisation).values_list("pk", flat=True)
    )


def _notify_tender(tender: Tender, what: Text, detail: Text, *, oversight: bool = False) -> None:
    """Tell the tenderer's and agency's users; with ``oversight`` also the competent supervisory
    department's supervisors (suspension, resumption, termination concern them too)."""
    recipients = _party_user_ids(tender.project)
    if oversight:
        recipients += [pk for pk in _supervisor_user_ids(tender.project) if pk not in recipients]
    if not recipients:
        return
    notifications.notify(
        recipients=recipients,
        template=messages.TENDER_CHANGED,
        context={
            "ocid": tender.ocid,
            "title": tender.title or tender.project.name,
            "what_zh": what.zh,
            "what_en": what.en,
            "detail_zh": detail.render("zh"),
            "detail_en": detail.render("en"),
        },
        channels=(notifications.INBOX, notifications.EMAIL),
    )


def _fmt(value: datetime | None) -> str:
    return rules.format_instant(value) if value is not None else "-"


def _changed(before: dict[str, Any], obj: Model) -> list[str]:
    return [name for name, value in before.items() if getattr(obj, name) != value]


# --- intake -------------------------------------------------------------------------------------

_PROJECT_FIELDS = (
    "name", "resource_kind", "regime", "tenderer_id", "agency_id", "supervisor_id", "industry",
    "state_controlled", "description", "commitment_text",
)  # fmt: skip


def _lot_problems(lots: Sequence[LotInput], regime: str | None) -> list[dict[str, Any]]:
    """Every problem of the lots, the deposit limit (T15 / G3) included."""
    details: list[dict[str, Any]] = []

    def bad(field_name: str, code: str, zh: str, en: str) -> None:
        details.append(_detail(field_name, code, Text(zh=zh, en=en)))

    for index, lot in enumerate(lots):
        where = f"lots[{index}]"
        if not (lot.name or "").strip() or len(lot.name) > 200:
            bad(f"{where}.name", "invalid", "请填写标段（包）名称。", "Enter the lot's name.")
        if not isinstance(lot.estimated_price_fen, int) or lot.estimated_price_fen <= 0:
            bad(
                f"{where}.estimated_price_fen",
                "invalid",
                "估算价（预算金额）必须大于零（单位：分）。",
                "The estimated price (budget) must be more than zero (in fen).",
            )
            continue
        if not isinstance(lot.deposit_fen, int) or lot.deposit_fen < 0:
            bad(f"{where}.deposit_fen", "invalid", "保证金不能为负数。", "The deposit cannot be negative.")
            continue
        if not 1 <= lot.bid_validity_days <= 365:
            bad(
                f"{where}.bid_validity_days",
                "invalid",
                "投标有效期为1至365天。",
                "The bid validity is 1 to 365 days.",
            )
        if regime in reference.REGIMES:
            facts = rules.LotFacts(
                lot.estimated_price_fen, lot.deposit_fen, lot.deposit_form, lot.bid_validity_days
            )
            for finding in rules.check_deposit(facts, regime=regime):
                item = _detail(f"{where}.{finding.field}", finding.rule_id, finding.message)
                item["rule"] = finding.rule_id
                item["article"] = finding.article.render(_lang())
                item["article_zh"] = finding.article.zh
                item["article_en"] = finding.article.en
                details.append(item)
    return details


def _clean_intake(
    *,
    principal: Principal,
    name: str,
    resource_kind: str,
    regime: str | None,
    tenderer_id: int | None,
    agency_id: int | None,
    supervisor_id: int | None,
    commitment_text: str,
    lots: Sequence[LotInput],
) -> tuple[dict[str, Any], list[LotInput]]:
    details: list[dict[str, Any]] = []

    def bad(field_name: str, code: str, zh: str, en: str, **params: Any) -> None:
        details.append(_detail(field_name, code, Text(zh=zh, en=en, params=params)))

    name = (name or "").strip()
    if not name or len(name) > 200:
        bad(
            "name",
            "invalid",
            "请填写项目名称（不超过200字）。",
            "Enter the project's name (at most 200 characters).",
        )
    kind = reference.resource_kind(resource_kind)
    if kind is None:
        bad(
            "resource_kind",
            "unknown_resource_kind",
            "未知的交易类别 %(value)s，可选：%(known)s。",
            "Unknown resource kind %(value)s; choose one of: %(known)s.",
            value=resource_kind,
            known=", ".join(reference.RESOURCE_KINDS),
        )
    if regime is None and kind is not None:
        regime = kind.regimes[0]
    if regime not in reference.REGIMES:
        bad(
            "regime",
            "unknown_regime",
            "未知的适用法律 %(value)s，可选：tendering、procurement。",
            "Unknown regime %(value)s; choose tendering or procurement.",
            value=regime,
        )
    elif kind is not None and regime not in kind.regimes:
        bad(
            "regime",
            "regime_not_for_kind",
            "%(kind)s 项目不适用 %(value)s。",
            "A %(kind)s project does not run under %(value)s.",
            kind=kind.label.zh,
            value=regime,
        )
    # who acts for whom
    if principal.has_role("agency") and principal.organisation_id is not None:
        agency_id = principal.organisation_id if agency_id is None else agency_id
        if agency_id != principal.organisation_id:
            bad(
                "agency_id",
                "not_own_agency",
                "代理机构只能以本机构名义登记项目。",
                "An agency registers projects only in its own name.",
            )
        if tenderer_id is None:
            bad("tenderer_id", "required", "请选择招标人（采购人）。", "Choose the tenderer (purchaser).")
    elif principal.has_role("tenderer") and principal.organisation_id is not None:
        if tenderer_id is not None and tenderer_id != principal.organisation_id:
            bad(
                "tenderer_id",
                "not_own_tenderer",
                "招标人只能以本单位名义登记项目。",
                "A tenderer registers projects only in its own name.",
            )
        tenderer_id = principal.organisation_id
    kinds_ok = {
        "tenderer_id": (tenderer_id, ("enterprise", "department")),
        "agency_id": (agency_id, ("agency",)),
        "supervisor_id": (supervisor_id, ("supervisory", "department")),
    }
    for field_name, (org_id, allowed) in kinds_ok.items():
        if org_id is None:
            continue
        organisation = identity.get_organisation(org_id)
        if organisation is None or not organisation.is_active or organisation.kind not in allowed:
            bad(
                field_name,
                "unknown_organisation",
                "编号 %(id)s 不是可选的单位（应为：%(kinds)s）。",
                "Organisation %(id)s cannot be chosen here (expected: %(kinds)s).",
                id=org_id,
                kinds=", ".join(allowed),
            )
    if supervisor_id is None:
        bad(
            "supervisor_id",
            "required",
            "请选择行政监督部门（招标投标：行业主管部门；政府采购：财政部门）。",
            "Choose the competent supervisory department (tendering: by industry; procurement: finance).",
        )
    commitment_text = (commitment_text or "").strip()
    if len(commitment_text) < 10:
        bad("commitment_text", "required", "请阅读并签署承诺书。", "Read and sign the commitment.")
    if not lots:
        bad("lots", "required", "至少登记一个标段（包）。", "Register at least one lot.")
    if len(lots) > MAX_LOTS:
        bad("lots", "too_many", "标段（包）不能超过 %(n)s 个。", "At most %(n)s lots.", n=MAX_LOTS)
    details += _lot_problems(lots, regime)
    if details:
        raise _invalid(details)
    cleaned = {
        "name": name,
        "resource_kind": resource_kind,
        "regime": regime,
        "tenderer_id": tenderer_id,
        "agency_id": agency_id,
        "supervisor_id": supervisor_id,
        "commitment_text": commitment_text,
    }
    return cleaned, list(lots)


def _write_lots(project: Project, lots: Sequence[LotInput], actor: Actor) -> None:
    for number, lot in enumerate(lots, start=1):
        row = Lot.objects.create(
            project=project,
            number=number,
            name=lot.name.strip(),
            estimated_price_fen=lot.estimated_price_fen,
            qualifications=lot.qualifications.strip(),
            deposit_fen=lot.deposit_fen,
            deposit_form=lot.deposit_form,
            bid_validity_days=lot.bid_validity_days,
        )
        ledger.record_change(
            instance=row, action=evidence.LOT_SAVED, actor=actor, visibility=evidence.parties_of(project)
        )


def submit_intake(
    *,
    principal: Principal,
    name: str,
    resource_kind: str,
    lots: Sequence[LotInput],
    commitment_text: str = DEFAULT_COMMITMENT,
    regime: str | None = None,
    tenderer_id: int | None = None,
    agency_id: int | None = None,
    supervisor_id: int | None = None,
    industry: str = "",
    state_controlled: bool = False,
    description: str = "",
) -> Project:
    """Register a project (进场登记) by commitment: the submitter signs ``commitment_text``
    instead of bringing paper originals. A tenderer submits in its own name; an agency names
    the tenderer it acts for. Refused with every problem at once (``InvalidInput``), a deposit
    over 2 % included (T15 / G3)."""
    project_policy.require(principal, "submit")
    cleaned, lots = _clean_intake(
        principal=principal,
        name=name,
        resource_kind=resource_kind,
        regime=regime,
        tenderer_id=tenderer_id,
        agency_id=agency_id,
        supervisor_id=supervisor_id,
        commitment_text=commitment_text,
        lots=lots,
    )
    now = _now()
    actor = _actor(principal)
    assert principal.user_id is not None
    with transaction.atomic():
        project = Project.objects.create(
            code=f"pending-{uuid4().hex}",
            industry=(industry or "").strip()[:100],
            state_controlled=bool(state_controlled),
            description=(description or "").strip(),
            commitment_signed_by_id=principal.user_id,
            commitment_signed_at=now,
            intake_status=states.SUBMITTED,
            submitted_at=now,
            updated_at=now,
            **cleaned,
        )
        project.code = f"JC-{now.astimezone(SHANGHAI).year}-{project.pk:06d}"
        project.save(update_fields=["code"])
        _write_lots(project, lots, actor)
        promise = ledger.record_change(
            instance=project,
            action=evidence.PROJECT_SUBMITTED,
            actor=actor,
            visibility=evidence.parties_of(project),
            data={"lots": len(lots), "commitment": True},
        )
        _history(
            project=project,
            tender=None,
            action=evidence.PROJECT_SUBMITTED,
            actor=actor,
            version=project.version,
            to_status=states.SUBMITTED,
            at=now,
            promise=promise,
        )
        publish(events.IntakeSubmitted(project_id=project.pk))
    return project


def update_intake(
    *,
    principal: Principal,
    project_id: int,
    expected_version: int | None,
    name: str,
    resource_kind: str,
    lots: Sequence[LotInput],
    commitment_text: str = DEFAULT_COMMITMENT,
    regime: str | None = None,
    tenderer_id: int | None = None,
    agency_id: int | None = None,
    supervisor_id: int | None = None,
    industry: str = "",
    state_controlled: bool = False,
    description: str = "",
) -> Project:
    """Correct a submitted or returned intake; a returned one is submitted again. The lots are
    replaced (no tender uses them before acceptance); the commitment is signed again."""
    _precheck_project(principal, project_id, "edit")
    with transaction.atomic():
        project = _lock_project(project_id)
        _require_visible_project(principal, project, "edit")
        _check_version(project, expected_version)
        if project.intake_status not in (states.SUBMITTED, states.RETURNED):
            raise Conflict(
                _("An accepted intake can no longer be edited; amend the tender notice instead."),
                code="intake_accepted",
            )
        cleaned, lots = _clean_intake(
            principal=principal,
            name=name,
            resource_kind=resource_kind,
            regime=regime,
            tenderer_id=tenderer_id if tenderer_id is not None else project.tenderer_id,
            agency_id=agency_id if agency_id is not None else project.agency_id,
            supervisor_id=supervisor_id,
            commitment_text=commitment_text,
            lots=lots,
        )
        now = _now()
        actor = _actor(principal)
        before = {name_: getattr(project, name_) for name_ in _PROJECT_FIELDS}
        for key, value in cleaned.items():
            setattr(project, key, value)
        project.industry = (industry or "").strip()[:100]
        project.state_controlled = bool(state_controlled)
        project.description = (description or "").strip()
        old_lots = [
            (lot.name, lot.estimated_price_fen, lot.deposit_fen, lot.deposit_form)
            for lot in project.lots.all()
        ]
        new_lots = [
            (lot.name.strip(), lot.estimated_price_fen, lot.deposit_fen, lot.deposit_form) for lot in lots
        ]
        changed = _changed(before, project) + (["lots"] if old_lots != new_lots else [])
        previous_status = project.intake_status
        project.intake_status = states.SUBMITTED
        project.return_reason = ""
        assert principal.user_id is not None
        project.commitment_signed_by_id = principal.user_id
        project.commitment_signed_at = now
        project.submitted_at = now
        project.updated_at = now
        project.version += 1
        project.save()
        for old in project.lots.all():
            ledger.record(
                action=evidence.LOT_REMOVED,
                actor=actor,
                subject=evidence.lot_subject(old),
                data={"project": project.pk, "number": old.number},
                visibility=evidence.parties_of(project),
            )
            old.delete()
        _write_lots(project, lots, actor)
        action = evidence.PROJECT_RESUBMITTED
        promise = ledger.record_change(
            instance=project,
            action=action,
            actor=actor,
            visibility=evidence.parties_of(project),
            data={"changed": changed},
        )
        _history(
            project=project,
            tender=None,
            action=action,
            actor=actor,
            version=project.version,
            from_status=previous_status,
            to_status=states.SUBMITTED,
            fields=changed,
            at=now,
            promise=promise,
        )
        publish(events.IntakeSubmitted(project_id=project.pk))
    return project


def _review(
    *, principal: Principal, project_id: int, expected_version: int | None, target: str, reason: str
) -> Project:
    with transaction.atomic():
        project = _lock_project(project_id)
        _require_visible_project(principal, project, "review")
        _check_version(project, expected_version)
        if not states.may_move_intake(project.intake_status, target):
            raise Conflict(
                _("This intake is %(status)s and cannot be %(target)s."),
                code="invalid_transition",
                status=project.intake_status,
                target=target,
            )
        now = _now()
        actor = _actor(principal)
        previous = project.intake_status
        project.intake_status = target
        project.return_reason = reason if target == states.RETURNED else ""
        project.reviewed_at = now
        project.reviewed_by_id = principal.user_id
        project.updated_at = now
        project.version += 1
        project.save()
        action = evidence.PROJECT_ACCEPTED if target == states.ACCEPTED else evidence.PROJECT_RETURNED
        promise = ledger.record_change(
            instance=project,
            action=action,
            actor=actor,
            visibility=evidence.parties_of(project),
            data={"reason": reason} if reason else None,
        )
        _history(
            project=project,
            tender=None,
            action=action,
            actor=actor,
            version=project.version,
            from_status=previous,
            to_status=target,
            fields=["intake_status"],
            reason=reason,
            at=now,
            promise=promise,
        )
        recipients = _party_user_ids(project)
        if recipients:
            accepted = target == states.ACCEPTED
            notifications.notify(
                recipients=recipients,
                template=messages.INTAKE_REVIEWED,
                context={
                    "code": project.code,
                    "name": project.name,
                    "outcome_zh": "已受理" if accepted else "被退回",
                    "outcome_en": "accepted" if accepted else "returned",
                    "reason": reason,
                },
                channels=(notifications.INBOX, notifications.EMAIL),
            )
        if target == states.ACCEPTED:
            publish(events.IntakeAccepted(project_id=project.pk))
        else:
            publish(events.IntakeReturned(project_id=project.pk, reason=reason))
    return project


def accept_intake(*, principal: Principal, project_id: int, expected_version: int | None = None) -> Project:
    """Centre staff accept a submitted intake."""
    return _review(
        principal=principal,
        project_id=project_id,
        expected_version=expected_version,
        target=states.ACCEPTED,
        reason="",
    )


def return_intake(
    *, principal: Principal, project_id: int, reason: str, expected_version: int | None = None
) -> Project:
    """Centre staff return a submitted intake with reasons the submitter can act on."""
    _precheck_project(principal, project_id, "review")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise _invalid(
            [
                _detail(
                    "reason", "required", Text(zh="请写明退回理由。", en="Give the reasons for returning it.")
                )
            ]
        )
    return _review(
        principal=principal,
        project_id=project_id,
        expected_version=expected_version,
        target=states.RETURNED,
        reason=reason,
    )


# --- tenders --------------------------------------------------------------------------------------


def _ocid(project: Project, sequence: int) -> str:
    prefix = str(settings.YINGSHANG.get("OCID_PREFIX") or "ocds-yshang")
    return f"{prefix}-{project.code}-{sequence:02d}"


def _next_check(tender: Tender) -> datetime | None:
    if tender.status == states.PUBLISHED:
        candidates = [tender.bid_deadline]
        if not tender.documents_closed:
            candidates.append(tender.documents_until)
        found = [c for c in candidates if c is not None]
        return min(found) if found else None
    if tender.status == states.SUSPENDED:
        return tender.suspended_until
    return None


def _busy_lot_ids(project: Project, exclude: Tender | None = None) -> set[int]:
    qs = Tender.objects.filter(project=project).exclude(status__in=states.FINAL)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return set(qs.values_list("lots__pk", flat=True))


def _check_method(project: Project, method: str) -> None:
    kind = reference.resource_kind(project.resource_kind)
    rule_ = reference.method_rule(method)
    if rule_ is None or kind is None or method not in kind.methods or project.regime not in rule_.regimes:
        allowed = [
            m
            for m in (kind.methods if kind else ())
            if (r := reference.method_rule(m)) is not None and project.regime in r.regimes
        ]
        raise _invalid(
            [
                _detail(
                    "method",
                    "method_not_allowed",
                    Text(
                        zh="此项目不能采用 %(method)s 方式；可选：%(known)s。",
                        en="This project cannot use the method %(method)s; allowed: %(known)s.",
                        params={"method": method, "known": ", ".join(allowed)},
                    ),
                )
            ]
        )


def create_tender(
    *,
    principal: Principal,
    project_id: int,
    method: str,
    lot_ids: Sequence[int] | None = None,
    title: str = "",
) -> Tender:
    """Start a tender (one run of ``method``) for lots of an accepted project (default: every
    lot not in a running tender). It starts as a draft; its ocid is fixed now."""
    with transaction.atomic():
        project = _lock_project(project_id)
        _require_visible_project(principal, project, "manage")
        if project.intake_status != states.ACCEPTED:
            raise Conflict(
                _(
                    "The centre has not accepted this project's intake yet; a tender can start only after that."
                ),
                code="intake_not_accepted",
            )
        _check_method(project, method)
        busy = _busy_lot_ids(project)
        lots = list(project.lots.order_by("number"))
        if lot_ids:
            wanted = set(lot_ids)
            chosen = [lot for lot in lots if lot.pk in wanted]
            if len(chosen) != len(wanted):
                raise _invalid(
                    [
                        _detail(
                            "lot_ids",
                            "unknown_lot",
                            Text(zh="所选标段不属于此项目。", en="A chosen lot is not of this project."),
                        )
                    ]
                )
        else:
            chosen = [lot for lot in lots if lot.pk not in busy]
        if not chosen or any(lot.pk in busy for lot in chosen):
            raise Conflict(
                _("Every chosen lot must be free: a lot can be in only one running tender."), code="lot_busy"
            )
        return _new_tender(
            project=project,
            lots=chosen,
            method=method,
            title=title or project.name,
            actor=_actor(principal),
            previous=None,
        )


def _new_tender(
    *, project: Project, lots: Sequence[Lot], method: str, title: str, actor: Actor, previous: Tender | None
) -> Tender:
    now = _now()
    sequence = (Tender.objects.filter(project=project).count() or 0) + 1
    tender = Tender.objects.create(
        project=project,
        sequence=sequence,
        ocid=_ocid(project, sequence),
        method=method,
        resource_kind=project.resource_kind,
        regime=project.regime,
        status=states.DRAFT,
        title=title.strip()[:300],
        previous=previous,
        created_at=now,
        updated_at=now,
    )
    tender.lots.set(lots)
    data: dict[str, Any] = {"lots": [lot.pk for lot in lots]}
    if previous is not None:
        data["related_process"] = {"relationship": "prior", "ocid": previous.ocid, "id": previous.pk}
    promise = ledger.record_change(
        instance=tender,
        action=evidence.TENDER_CREATED,
        actor=actor,
        visibility=evidence.parties_of(project),
        data=data,
    )
    _history(
        project=project,
        tender=tender,
        action=evidence.TENDER_CREATED,
        actor=actor,
        version=tender.version,
        to_status=states.DRAFT,
        at=now,
        promise=promise,
    )
    publish(events.TenderCreated(project_id=project.pk, tender_id=tender.pk))
    return tender


def _facts(tender: Tender, **override: Any) -> rules.TimelineFacts:
    values = {
        "documents_from": tender.documents_from,
        "documents_until": tender.documents_until,
        "questions_until": tender.questions_until,
        "bid_deadline": tender.bid_deadline,
    }
    values.update(override)
    amendments = tuple((a.amended_at, a.affects_preparation) for a in tender.amendments.all())
    lots = tuple(
        rules.LotFacts(lot.estimated_price_fen, lot.deposit_fen, lot.deposit_form, lot.bid_validity_days)
        for lot in tender.lots.order_by("number")
    )
    return rules.TimelineFacts(
        regime=tender.regime, method=tender.method, amendments=amendments, lots=lots, **values
    )


def _aware(value: datetime | None, field_name: str) -> datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise _invalid(
            [
                _detail(
                    field_name,
                    "naive_datetime",
                    Text(
                        zh="时间必须带时区（例如 +08:00）。",
                        en="Times need a time zone (for example +08:00).",
                    ),
                )
            ]
        )
    return value


def check_timeline_of(tender: Tender, **override: Any) -> list[rules.Finding]:
    """The findings for the tender's timeline (with ``override`` values), blocking first."""
    return rules.check_timeline(_facts(tender, **override))


_TIMELINE_FIELDS = ("documents_from", "documents_until", "questions_until", "bid_deadline")


def save_timeline(
    *,
    principal: Principal,
    tender_id: int,
    expected_version: int | None,
    documents_from: datetime | None,
    documents_until: datetime | None,
    questions_until: datetime | None,
    bid_deadline: datetime | None,
) -> TimelineResult:
    """Set a draft tender's timeline. The statutory checks run on every save: a blocking
    violation refuses the save with every violation listed (``RuleViolation``, details: rule,
    article, message); warnings (a provisional calendar year, say) are returned and recorded.
    After publication the timeline changes only through :func:`amend_tender`."""
    _precheck_tender(principal, tender_id, "manage")
    values = {
        "documents_from": _aware(documents_from, "documents_from"),
        "documents_until": _aware(documents_until, "documents_until"),
        "questions_until": _aware(questions_until, "questions_until"),
        "bid_deadline": _aware(bid_deadline, "bid_deadline"),
    }
    with transaction.atomic():
        tender = _lock_tender(tender_id)
        _require_visible_tender(principal, tender, "manage")
        _check_version(tender, expected_version)
        if tender.status != states.DRAFT:
            raise Conflict(
                _("The notice is published: change the timeline by publishing an amendment."),
                code="published_use_amendment",
            )
        findings = check_timeline_of(tender, **values)
        if any(f.blocking for f in findings):
            raise _findings_error(findings)
        now = _now()
        actor = _actor(principal)
        before = {name: getattr(tender, name) for name in _TIMELINE_FIELDS}
        for key, value in values.items():
            setattr(tender, key, value)
        changed = _changed(before, tender)
        tender.timeline_provisional = any(f.provisional for f in findings)
        tender.version += 1
        tender.updated_at = now
        tender.save()
        promise = ledger.record_change(
            instance=tender,
            action=evidence.TIMELINE_SAVED,
            actor=actor,
            visibility=evidence.parties_of(tender.project),
            data={"warnings": [f.as_dict() for f in findings], "changed": changed},
        )
        _history(
            project=tender.project,
            tender=tender,
            action=evidence.TIMELINE_SAVED,
            actor=actor,
            version=tender.version,
            fields=changed,
            at=now,
            promise=promise,
        )
    return TimelineResult(tender=tender, warnings=findings)


def preview_timeline(
    *,
    principal: Principal,
    tender_id: int,
    documents_from: datetime | None,
    documents_until: datetime | None,
    questions_until: datetime | None,
    bid_deadline: datetime | None,
) -> list[rules.Finding]:
    """The findings :func:`save_timeline` would reach for these times (the same statutory
    checks, blocking first), for the tender's managers, before they save. Writes nothing."""
    tender = Tender.objects.select_related("project").filter(pk=tender_id).first()
    if tender is None:
        raise NotFound()
    _require_visible_tender(principal, tender, "manage")
    return check_timeline_of(
        tender,
        documents_from=_aware(documents_from, "documents_from"),
        documents_until=_aware(documents_until, "documents_until"),
        questions_until=_aware(questions_until, "questions_until"),
        bid_deadline=_aware(bid_deadline, "bid_deadline"),
    )


def _zh_moment(value: datetime | None) -> str:
    if value is None:
        return ""
    local = clock.to_shanghai(value)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _notice_values(tender: Tender, *, version: int, body: str, reason: str, at: datetime) -> dict[str, str]:
    """What the standard notice template prints, from the tender (Chinese, Beijing time)."""
    project = tender.project
    lots = list(tender.lots.order_by("number"))
    lines = []
    for lot in lots:
        line = f"第{lot.number}标段（包）：{lot.name}；估算价/预算 {format_fen(lot.estimated_price_fen)}"
        if lot.deposit_fen:
            form = reference.deposit_form(lot.deposit_form)
            line += (
                f"；投标保证金 {format_fen(lot.deposit_fen)}（{form.label.zh if form else lot.deposit_form}）"
            )
        if lot.qualifications:
            line += f"；资格要求：{lot.qualifications}"
        lines.append(line + "。")
    validity = sorted({lot.bid_validity_days for lot in lots})
    method = reference.method_rule(tender.method)
    kind = reference.resource_kind(tender.resource_kind)
    regime = reference.regime(tender.regime)
    site = str(settings.YINGSHANG.get("SITE_URL", "")).rstrip("/")
    return {
        "project_name": project.name,
        "project_code": project.code,
        "ocid": tender.ocid,
        "tender_title": tender.title or project.name,
        "resource_kind": kind.label.zh if kind else tender.resource_kind,
        "regime": regime.label.zh if regime else tender.regime,
        "method": method.label.zh if method else tender.method,
        "tenderer": project.tenderer.name,
        "agency": project.agency.name if project.agency is not None else "无（招标人自行招标）",
        "supervisor": project.supervisor.name if project.supervisor is not None else "",
        "lots": "\n\n".join(lines),
        "documents_from": _zh_moment(tender.documents_from),
        "documents_until": _zh_moment(tender.documents_until),
        "questions_until": _zh_moment(tender.questions_until) or "投标截止时间",
        "bid_deadline": _zh_moment(tender.bid_deadline),
        "bid_validity": "、".join(f"{days}日" for days in validity) + "（自投标截止之日起算）"
        if validity
        else "",
        "published_on": _zh_moment(at),
        "version": str(version),
        "notice_text": body,
        "reason": reason,
        "previous_ocid": f"本项目为 {tender.previous.ocid} 的重新招标。"
        if tender.previous is not None
        else "",
        "notice_url": f"{site}/trading/notices/{tender.pk}/",
    }


def _store_notice_pdf(
    *, tender: Tender, kind: str, title: str, version: int, body: str, reason: str, actor: Actor, at: datetime
) -> tuple[notice_templates.NoticeTemplate, files.DocumentRef]:
    """Render the notice version from the regime's standard template and store the PDF
    (content-addressed) in the files context, in the name of the acting user (for a platform
    action, the user who signed the project's commitment)."""
    template = notice_templates.latest_for_regime(tender.regime)
    values = _notice_values(tender, version=version, body=body, reason=reason, at=at)
    page = notice_templates.render_notice_html(template, kind, title, values)
    pdf = notice_templates.render_notice_pdf(page, title=title, author=tender.ocid)
    owner = Principal(
        user_id=actor.user_id or tender.project.commitment_signed_by_id,
        organisation_id=actor.organisation_id if actor.user_id else tender.project.tenderer_id,
        roles=frozenset(),
    )
    stored = files.store_document(
        principal=owner,
        name=f"{tender.ocid}-notice-v{version}.pdf",
        stream=io.BytesIO(pdf),
        purpose=messages.NOTICE_PDF_PURPOSE.code,
    )
    return template, stored


def _notice(
    *,
    tender: Tender,
    kind: str,
    title: str,
    body: str,
    reason: str,
    actor: Actor,
    at: datetime,
    visibility: Visibility,
) -> Notice:
    """A new notice version: produced from the regime's standard notice template, rendered to
    PDF, stored through the files facade; its digest and file id go into the ledger entry."""
    version = (tender.notices.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    title = title[:300]
    template, stored = _store_notice_pdf(
        tender=tender, kind=kind, title=title, version=version, body=body, reason=reason, actor=actor, at=at
    )
    notice = Notice.objects.create(
        tender=tender,
        version=version,
        kind=kind,
        title=title,
        body=body,
        reason=reason,
        published_at=at,
        published_by_id=actor.user_id,
        template=template.key,
        pdf_file_id=stored.id,
        pdf_sha256=stored.sha256,
    )
    ledger.record_change(
        instance=notice,
        action=evidence.NOTICE_PUBLISHED,
        actor=actor,
        visibility=visibility,
        data={"ocid": tender.ocid, "kind": kind, "template_sha256": template.content_sha256},
    )
    return notice


def publish_tender(
    *, principal: Principal, tender_id: int, expected_version: int | None, title: str, body: str
) -> Tender:
    """The tenderer or its agency publishes the tender notice (centre staff do not publish for
    them). The timeline must be complete and pass every blocking rule; the documents cannot be
    issued on a day before the notice."""
    _precheck_tender(principal, tender_id, "publish")
    title = (title or "").strip()
    body = (body or "").strip()
    details = []
    if not title or len(title) > 300:
        details.append(
            _detail("title", "required", Text(zh="请填写公告标题。", en="Enter the notice's title."))
        )
    if len(body) < 10:
        details.append(
            _detail("body", "required", Text(zh="请填写公告正文。", en="Enter the notice's text."))
        )
    if details:
        raise _invalid(details)
    with transaction.atomic():
        tender = _lock_tender(tender_id)
        _require_visible_tender(principal, tender, "publish")
        _check_version(tender, expected_version)
        if not states.may_move_tender(tender.status, states.PUBLISHED) or tender.status != states.DRAFT:
            raise Conflict(
                _("This tender is %(status)s; only a draft can be published."),
                code="invalid_transition",
                status=tender.status,
            )
        now = _now()
        missing = [
            name
            for name in ("documents_from", "documents_until", "bid_deadline")
            if getattr(tender, name) is None
        ]
        if missing:
            raise _invalid(
                [
                    _detail(
                        name,
                        "required",
                        Text(zh="发布前请先设定时间安排。", en="Set the timeline before publishing."),
                    )
                    for name in missing
                ]
            )
        assert tender.documents_from is not None and tender.bid_deadline is not None
        problems = []
        if as_day(tender.documents_from) < as_day(now):
            problems.append(
                rules.Finding(
                    rule_id="order.published",
                    blocking=True,
                    effect="block",
                    title=Text(zh="文件发出不能早于公告", en="Documents not before the notice"),
                    article=rules.LOCAL_ARTICLE,
                    message=Text(
                        zh="文件获取期不能早于公告发布之日开始；请重新设定时间安排。",
                        en="The download period cannot start on a day before the notice is published; set the timeline again.",
                    ),
                    field="documents_from",
                )
            )
        if tender.bid_deadline <= now:
            problems.append(
                rules.Finding(
                    rule_id="order.deadline_past",
                    blocking=True,
                    effect="block",
                    title=Text(zh="截止时间已过", en="Deadline in the past"),
                    article=rules.LOCAL_ARTICLE,
                    message=Text(zh="投标截止时间已过。", en="The bid deadline has passed."),
                    field="bid_deadline",
                )
            )
        documents_from = max(tender.documents_from, now)
        findings = problems + check_timeline_of(tender, documents_from=documents_from)
        if any(f.blocking for f in findings):
            raise _findings_error(findings)
        actor = _actor(principal)
        previous = tender.status
        tender.documents_from = documents_from
        tender.status = states.PUBLISHED
        tender.title = title
        tender.published_at = now
        tender.timeline_provisional = any(f.provisional for f in findings)
        tender.version += 1
        tender.updated_at = now
        tender.next_check = _next_check(tender)
        tender.save()
        notice = _notice(
            tender=tender,
            kind=Notice.Kind.TENDER_NOTICE,
            title=title,
            body=body,
            reason="",
            actor=actor,
            at=now,
            visibility=Visibility.public(),
        )
        promise = ledger.record_change(
            instance=tender,
            action=evidence.TENDER_PUBLISHED,
            actor=actor,
            visibility=Visibility.public(),
            data={
                "notice_id": notice.pk,
                "notice_entry": notice.ledger_entry_hash,
                "warnings": [f.as_dict() for f in findings],
            },
        )
        _history(
            project=tender.project,
            tender=tender,
            action=evidence.TENDER_PUBLISHED,
            actor=actor,
            version=tender.version,
            from_status=previous,
            to_status=states.PUBLISHED,
            fields=["status", "title"],
            at=now,
            promise=promise,
        )
        publish(events.TenderPublished(project_id=tender.project_id, tender_id=tender.pk))
    return tender


def _move_deadline_for_amendment(
    *, tender: Tender, amended_at: datetime, affects_preparation: bool
) -> tuple[datetime, str] | None:
    if tender.bid_deadline is None:
        return None
    return rules.deadline_after_amendment(
        regime=tender.regime,
        method=tender.method,
        bid_deadline=tender.bid_deadline,
        amended_at=amended_at,
        affects_preparation=affects_preparation,
    )


def _deadline_moved_text(old: datetime | None, new: datetime, rule_id: str) -> Text:
    r = rule(rule_id)
    return Text(
        zh="因澄清或修改距投标截止不足%(days)s日，投标截止时间（即开标时间）由 %(old)s 顺延至 %(new)s（北京时间，%(article)s）。",
        en="Because a clarification or amendment came less than %(days)s days before the bid deadline, the "
        "deadline (the opening) moves from %(old)s to %(new)s Beijing time (%(article_en)s).",
        params={
            "days": r.days,
            "old": _fmt(old),
            "new": _fmt(new),
            "article": r.article.zh,
            "article_en": r.article.en,
        },
    )


def _amendment_text(reason: str, body: str) -> tuple[str, str]:
    reason = (reason or "").strip()
    body = (body or "").strip()
    details = []
    if len(reason) < 2:
        details.append(
            _detail(
                "reason", "required", Text(zh="请写明变更理由。", en="Give the reason for the amendment.")
            )
        )
    if len(body) < 2:
        details.append(
            _detail("body", "required", Text(zh="请填写变更公告正文。", en="Enter the amendment's text."))
        )
    if details:
        raise _invalid(details)
    return reason, body


def amend_tender(
    *,
    principal: Principal,
    tender_id: int,
    expected_version: int | None,
    reason: str,
    body: str,
    title: str | None = None,
    documents_until: datetime | None = None,
    questions_until: datetime | None = None,
    bid_deadline: datetime | None = None,
    affects_preparation: bool = True,
) -> AmendResult:
    """Change a published tender: never silently, always as a new notice version (an
    amendment, 变更公告) that says what changed and why. New times are checked like any
    timeline save; an amendment affecting bid preparation less than 15 days before the bid
    deadline moves the deadline (T4 / G2.clarification)."""
    _precheck_tender(principal, tender_id, "publish")
    reason, body = _amendment_text(reason, body)
    new_values = {
        "documents_until": _aware(documents_until, "documents_until"),
        "questions_until": _aware(questions_until, "questions_until"),
        "bid_deadline": _aware(bid_deadline, "bid_deadline"),
    }
    with transaction.atomic():
        tender = _lock_tender(tender_id)
        _require_visible_tender(principal, tender, "publish")
        _check_version(tender, expected_version)
        if tender.status not in (states.PUBLISHED, states.SUSPENDED):
            raise Conflict(
                _("Only a published or suspended tender can be amended; this one is %(status)s."),
                code="invalid_transition",
                status=tender.status,
            )
        now = _now()
        actor = _actor(principal)
        override = {k: v for k, v in new_values.items() if v is not None}
        if "bid_deadline" in override and override["bid_deadline"] <= now:
            raise _invalid(
                [
                    _detail(
                        "bid_deadline",
                        "past",
                        Text(zh="投标截止时间已过。", en="The bid deadline has passed."),
                    )
                ]
            )
        before = {name: getattr(tender, name) for name in (*_TIMELINE_FIELDS, "title")}
        candidate = {**{k: getattr(tender, k) for k in _TIMELINE_FIELDS}, **override}
        move = rules.deadline_after_amendment(
            regime=tender.regime,
            method=tender.method,
            bid_deadline=candidate["bid_deadline"],
            amended_at=now,
            affects_preparation=affects_preparation,
        )
        old_deadline = tender.bid_deadline
        if move is not None:
            candidate["bid_deadline"] = move[0]
            if candidate["documents_until"] is not None and candidate["documents_until"] > move[0]:
                candidate["documents_until"] = move[0]
        Amendment.objects.create(
            tender=tender,
            amended_at=now,
            affects_preparation=affects_preparation,
            reason=reason,
            source="notice",
            deadline_before=old_deadline,
            deadline_after=candidate["bid_deadline"],
        )
        findings = check_timeline_of(tender, **{k: candidate[k] for k in _TIMELINE_FIELDS})
        if any(f.blocking for f in findings):
            raise _findings_error(findings)
        for key in _TIMELINE_FIELDS:
            setattr(tender, key, candidate[key])
        if title:
            tender.title = title.strip()[:300]
        if tender.documents_until is not None and tender.documents_until > now:
            tender.documents_closed = False
        changed = _changed(before, tender)
        tender.timeline_provisional = any(f.provisional for f in findings)
        tender.version += 1
        tender.updated_at = now
        tender.next_check = _next_check(tender)
        tender.save()
        text = body
        if move is not None:
            text += "\n\n" + _deadline_moved_text(old_deadline, move[0], move[1]).render("zh")
        notice = _notice(
            tender=tender,
            kind=Notice.Kind.AMENDMENT,
            title=tender.title + "（变更公告）",
            body=text,
            reason=reason,
            actor=actor,
            at=now,
            visibility=Visibility.public(),
        )
        promise = ledger.record_change(
            instance=tender,
            action=evidence.TENDER_AMENDED,
            actor=actor,
            visibility=Visibility.public(),
            data={"notice_id": notice.pk, "version": notice.version, "changed": changed, "reason": reason},
        )
        _history(
            project=tender.project,
            tender=tender,
            action=evidence.TENDER_AMENDED,
            actor=actor,
            version=tender.version,
            fields=changed,
            reason=reason,
            at=now,
            promise=promise,
        )
        if move is not None:
            _record_move(tender=tender, old=old_deadline, new=move[0], rule_id=move[1], actor=actor, at=now)
        publish(
            events.NoticeAmended(project_id=tender.project_id, tender_id=tender.pk, version=notice.version)
        )
    return AmendResult(tender=tender, notice=notice, moved_to=move[0] if move else None, warnings=findings)


def _record_move(
    *, tender: Tender, old: datetime | None, new: datetime, rule_id: str, actor: Actor, at: datetime
) -> None:
    r = rule(rule_id)
    ledger.record(
        action=evidence.DEADLINE_MOVED,
        actor=actor,
        subject=evidence.tender_subject(tender),
        data={"rule": rule_id, "article": r.article.as_dict(), "old": old, "new": new, "at": at},
        visibility=Visibility.public(),
    )
    _history(
        project=tender.project,
        tender=tender,
        action=evidence.DEADLINE_MOVED,
        actor=actor,
        version=tender.version,
        fields=["bid_deadline"],
        reason=rule_id,
        at=at,
    )
    _notify_tender(
        tender,
        Text(zh="投标截止时间顺延", en="Bid deadline moved"),
        _deadline_moved_text(old, new, rule_id),
    )
    publish(
        events.DeadlineMoved(
            project_id=tender.project_id,
            tender_id=tender.pk,
            old_deadline=old,
            new_deadline=new,
            rule=rule_id,
        )
    )


def apply_amendment(
    *, tender_id: int, actor: Actor, amended_at: datetime, affects_preparation: bool, reason: str
) -> datetime | None:
    """For the documents context, inside its own transaction, when a clarification or an
    amendment of the tender documents is published: records the fact and applies T4 (or
    G2.clarification). Returns the new bid deadline when it moved (ledgered, notice version
    published, parties notified, ``DeadlineMoved`` on commit), else None."""
    _aware(amended_at, "amended_at")
    with transaction.atomic():
        tender = _lock_tender(tender_id)
        if tender.status not in (states.PUBLISHED, states.SUSPENDED):
            raise Conflict(
                _("Only a published or suspended tender can be amended; this one is %(status)s."),
                code="invalid_transition",
                status=tender.status,
            )
        move = _move_deadline_for_amendment(
            tender=tender, amended_at=amended_at, affects_preparation=affects_preparation
        )
        old = tender.bid_deadline
        Amendment.objects.create(
            tender=tender,
            amended_at=amended_at,
            affects_preparation=affects_preparation,
            reason=(reason or "").strip(),
            source="documents",
            deadline_before=old,
            deadline_after=move[0] if move else old,
        )
        if move is None:
            return None
        new, rule_id = move
        tender.bid_deadline = new
        if tender.documents_until is not None and tender.documents_until > new:
            tender.documents_until = new
        tender.version += 1
        tender.updated_at = amended_at
        tender.next_check = _next_check(tender)
        tender.save()
        ledger.record_change(
            instance=tender,
            action=evidence.TENDER_AMENDED,
            actor=actor,
            visibility=Visibility.public(),
            data={"source": "documents", "reason": reason, "changed": ["bid_deadline"]},
        )
        text = _deadline_moved_text(old, new, rule_id)
        _notice(
            tender=tender,
            kind=Notice.Kind.AMENDMENT,
            title=(tender.title or tender.project.name) + "（变更公告）",
            body=text.render("zh"),
            reason=reason,
            actor=actor,
            at=amended_at,
            visibility=Visibility.public(),
        )
        _record_move(tender=tender, old=old, new=new, rule_id=rule_id, actor=actor, at=amended_at)
    return new


# --- suspension -------------------------------------------------------------------------------------


def suspend_tender(
    *,
    principal: Principal,
    tender_id: int,
    reason: str,
    ground: str = "objection",
    until: datetime | None = None,
    expected_version: int | None = None,
) -> Tender:
    """Suspend a published tender (an objection to the documents, T5; a supervisor's order; a
    complaint): the deadlines stop, a suspension notice says so. With ``until`` the chronograph
    resumes it at that time; otherwise :func:`resume_tender` does."""
    _precheck_tender(principal, tender_id, "suspend")
    reason = (reason or "").strip()
    details = []
    if len(reason) < 2:
        details.append(
            _detail("reason", "required", Text(zh="请写明暂停理由。", en="Give the reason for suspending."))
        )
    if ground not in SUSPENSION_GROUNDS:
        details.append(
            _detail(
                "ground",
                "unknown",
                Text(zh="未知的暂停事由 %(g)s。", en="Unknown ground %(g)s.", params={"g": ground}),
            )
        )
    _aware(until, "until")
    if details:
        raise _invalid(details)
    with transaction.atomic():
        tender = _lock_tender(tender_id)
        _require_visible_tender(principal, tender, "suspend")
        _check_version(tender, expected_version)
        if not states.may_move_tender(tender.status, states.SUSPENDED):
            raise Conflict(
                _("This tender is %(status)s and cannot be suspended."),
                code="invalid_transition",
                status=tender.status,
            )
        now = _now()
        if until is not None and until <= now:
            raise _invalid(
                [
                    _detail(
                        "until",
                        "past",
                        Text(
                            zh="恢复时间必须晚于现在。", en="The end of the suspension must be in the future."
                        ),
                    )
                ]
            )
        actor = _actor(principal)
        tender.status = states.SUSPENDED
        tender.suspended_at = now
        tender.suspended_until = until
        tender.suspension_reason = reason
        tender.version += 1
        tender.updated_at = now
        tender.next_check = _next_check(tender)
        tender.save()
        body = Text(
            zh="本项目自 %(at)s 起暂停（事由：%(reason)s）。暂停期间各项期限停止计算，恢复后顺延并另行公告。",
            en="This tender is suspended from %(at)s (reason: %(reason)s). Deadlines stop while it is suspended; "
            "they are recomputed and announced when it resumes.",
            params={"at": _fmt(now), "reason": reason},
        )
        _notice(
            tender=tender,
            kind=Notice.Kind.SUSPENSION,
            title=(tender.title or tender.project.name) + "（暂停公告）",
            body=body.render("zh"),
            reason=reason,
            actor=actor,
            at=now,
            visibility=Visibility.public(),
        )
        promise = ledger.record_change(
            instance=tender,
            action=evidence.TENDER_SUSPENDED,
            actor=actor,
            visibility=Visibility.public(),
            data={"ground": ground, "reason": reason, "until": until},
        )
        _history(
            project=tender.project,
            tender=tender,
            action=evidence.TENDER_SUSPENDED,
            actor=actor,
            version=tender.version,
            from_status=states.PUBLISHED,
            to_status=states.SUSPENDED,
            fields=["status"],
            reason=reason,
            at=now,
            promise=promise,
        )
        _notify_tender(tender, Text(zh="招标暂停", en="Tender suspended"), body, oversight=True)
        publish(events.TenderSuspended(project_id=tender.project_id, tender_id=tender.pk))
    return tender


def resume_tender(
    *,
    principal: Principal | None,
    tender_id: int,
    reason: str = "",
    expected_version: int | None = None,
    actor: Actor | None = None,
) -> TimelineResult:
    """Resume a suspended tender: every deadline not yet passed when it was suspended moves by
    the suspended time (whole days, the bid deadline to a working day), a resumption notice
    gives the new times. ``principal=None`` with ``actor``: the chronograph at the end of a
    suspension with an end time."""
    with transaction.atomic():
        tender = _lock_tender(tender_id)
        if principal is not None:
            _require_visible_tender(principal, tender, "suspend")
        _check_version(tender, expected_version)
        if not states.may_move_tender(tender.status, states.PUBLISHED) or tender.status != states.SUSPENDED:
            raise Conflict(
                _("This tender is %(status)s, not suspended."),
                code="invalid_transition",
                status=tender.status,
            )
        now = _now()
        who = actor or _actor(principal)
        assert tender.suspended_at is not None
        shifted = rules.shift_after_suspension(
            {name: getattr(tender, name) for name in _TIMELINE_FIELDS if name != "documents_from"},
            suspended_at=tender.suspended_at,
            resumed_at=now,
        )
        before = {name: getattr(tender, name) for name in _TIMELINE_FIELDS}
        for key, value in shifted.items():
            setattr(tender, key, value)
        changed = _changed(before, tender)
        findings = check_timeline_of(tender)
        suspended_at = tender.suspended_at
        tender.status = states.PUBLISHED
        tender.suspended_at = None
        tender.suspended_until = None
        if tender.documents_until is not None and tender.documents_until > now:
            tender.documents_closed = False
        tender.timeline_provisional = any(f.provisional for f in findings)
        tender.version += 1
        tender.updated_at = now
        tender.next_check = _next_check(tender)
        tender.save()
        body = Text(
            zh="本项目于 %(now)s 恢复（暂停自 %(since)s）。%(reason)s 文件获取截止：%(until)s；提问截止：%(questions)s；投标截止（开标）时间：%(deadline)s（北京时间）。",
            en="This tender resumed at %(now)s (suspended since %(since)s). %(reason)s Download period ends %(until)s; "
            "questions until %(questions)s; bid deadline (opening) %(deadline)s Beijing time.",
            params={
                "now": _fmt(now),
                "since": _fmt(suspended_at),
                "reason": reason,
                "until": _fmt(tender.documents_until),
                "questions": _fmt(tender.questions_until),
                "deadline": _fmt(tender.bid_deadline),
            },
        )
        _notice(
            tender=tender,
            kind=Notice.Kind.RESUMPTION,
            title=(tender.title or tender.project.name) + "（恢复公告）",
            body=body.render("zh"),
            reason=reason,
            actor=who,
            at=now,
            visibility=Visibility.public(),
        )
        promise = ledger.record_change(
            instance=tender,
            action=evidence.TENDER_RESUMED,
            actor=who,
            visibility=Visibility.public(),
            data={
                "changed": changed,
                "suspended_at": suspended_at,
                "warnings": [f.as_dict() for f in findings],
            },
        )
        _history(
            project=tender.project,
            tender=tender,
            action=evidence.TENDER_RESUMED,
            actor=who,
            version=tender.version,
            from_status=states.SUSPENDED,
            to_status=states.PUBLISHED,
            fields=["status", *changed],
            reason=reason,
            at=now,
            promise=promise,
        )
        _notify_tender(tender, Text(zh="招标恢复", en="Tender resumed"), body, oversight=True)
        publish(events.TenderResumed(project_id=tender.project_id, tender_id=tender.pk))
    return TimelineResult(tender=tender, warnings=findings)


# --- termination and re-tender ----------------------------------------------------------------------------


def cancel_tender(
    *, principal: Principal, tender_id: int, reason: str, expected_version: int | None = None
) -> Tender:
    """Terminate a tender with reasons (终止招标, 条例 31). A termination notice is published if
    the notice was; the refund obligation of T18 (document fees, deposits and interest) is
    recorded for the deposits module and announced by ``TenderCancelled``."""
    _precheck_tender(principal, tender_id, "cancel")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise _invalid(
            [
                _detail(
                    "reason",
                    "required",
                    Text(zh="请写明终止理由。", en="Give the reasons for terminating it."),
                )
            ]
        )
    with transaction.atomic():
        tender = _lock_tender(tender_id)
        _require_visible_tender(principal, tender, "cancel")
        _check_version(tender, expected_version)
        if not states.may_move_tender(tender.status, states.CANCELLED):
            raise Conflict(
                _("This tender is %(status)s and cannot be terminated."),
                code="invalid_transition",
                status=tender.status,
            )
        now = _now()
        actor = _actor(principal)
        previous = tender.status
        was_public = tender.published_at is not None
        tender.status = states.CANCELLED
        tender.cancelled_at = now
        tender.cancel_reason = reason
        tender.version += 1
        tender.updated_at = now
        tender.next_check = None
        tender.save()
        visibility = Visibility.public() if was_public else evidence.parties_of(tender.project)
        if was_public:
            _notice(
                tender=tender,
                kind=Notice.Kind.CANCELLATION,
                title=(tender.title or tender.project.name) + "（终止公告）",
                body=Text(
                    zh="本项目招标终止。终止理由：%(reason)s。已收取的资格预审文件、招标文件费用、投标保证金及银行同期存款利息将依法退还。",
                    en="This tender is terminated. Reason: %(reason)s. Document fees, deposits and interest will be refunded.",
                    params={"reason": reason},
                ).render("zh"),
                reason=reason,
                actor=actor,
                at=now,
                visibility=visibility,
            )
        promise = ledger.record_change(
            instance=tender,
            action=evidence.TENDER_CANCELLED,
            actor=actor,
            visibility=visibility,
            data={"reason": reason},
        )
        t18 = rule("T18")
        ledger.record(
            action=evidence.REFUND_OBLIGATION,
            actor=actor,
            subject=evidence.tender_subject(tender),
            data={
                "rule": "T18",
                "article": t18.article.as_dict(),
                "refund": ["document_fees", "deposits", "interest"],
                "lots": list(tender.lots.values_list("pk", flat=True)),
                "since": now,
            },
            visibility=evidence.parties_of(tender.project),
        )
        _history(
            project=tender.project,
            tender=tender,
            action=evidence.TENDER_CANCELLED,
            actor=actor,
            version=tender.version,
            from_status=previous,
            to_status=states.CANCELLED,
            fields=["status"],
            reason=reason,
            at=now,
            promise=promise,
        )
        _notify_tender(
            tender, Text(zh="招标终止", en="Tender terminated"), Text(zh=reason, en=reason), oversight=True
        )
        publish(
            events.TenderCancelled(project_id=tender.project_id, tender_id=tender.pk, refund_required=True)
        )
    return tender


def retender(
    *,
    principal: Principal | None,
    tender_id: int,
    bids_received: int,
    reason: str = "",
    method: str | None = None,
    expected_version: int | None = None,
    actor: Actor | None = None,
    ground: str = "too_few_bids",
) -> Tender:
    """A tender closed for bids with fewer than three bids (T7) fails; a new tender (a new
    contracting process with its own ocid, linked to the old one as a related process) starts
    as a draft for the same lots. Returns the new tender. ``principal=None`` with ``actor``: the
    opening hall's chronograph at the bid deadline (no permission check).

    ``ground="award_failed"``: no candidate could be awarded (招标投标法实施条例 art. 55, T12:
    every candidate passed over for a recorded reason); the award context has checked that and
    calls this through ``facade.retender_after_award``; the bid count is not checked."""
    if ground not in ("too_few_bids", "award_failed"):
        raise ValueError(f"unknown re-tender ground {ground!r}")
    if principal is not None:
        _precheck_tender(principal, tender_id, "manage")
    if isinstance(bids_received, bool) or not isinstance(bids_received, int) or bids_received < 0:
        raise _invalid(
            [
                _detail(
                    "bids_received",
                    "invalid",
                    Text(zh="投标数量必须是非负整数。", en="The number of bids is a whole number."),
                )
            ]
        )
    with transaction.atomic():
        tender = _lock_tender(tender_id)
        if principal is not None:
            _require_visible_tender(principal, tender, "manage")
        _check_version(tender, expected_version)
        if not states.may_move_tender(tender.status, states.FAILED):
            raise Conflict(
                _("Only a tender closed for bids can be re-tendered; this one is %(status)s."),
                code="invalid_transition",
                status=tender.status,
            )
        if ground == "too_few_bids" and enough_bidders(bids_received):
            t7 = rule("T7")
            raise RuleViolation(
                Text(
                    zh="收到 %(n)s 份投标，不少于3份，应当开标（%(article)s），不能重新招标。",
                    en="%(n)s bids were received, not fewer than three: the opening goes ahead (%(article_en)s); "
                    "no re-tender.",
                    params={"n": bids_received, "article": t7.article.zh, "article_en": t7.article.en},
                ).render(_lang()),
                code="enough_bids",
            )
        new_method = method or tender.method
        _check_method(tender.project, new_method)
        now = _now()
        actor = actor or _actor(principal)
        tender.status = states.FAILED
        tender.bids_received = bids_received
        tender.version += 1
        tender.updated_at = now
        tender.next_check = None
        tender.save()
        grounds_rule = rule("T7" if ground == "too_few_bids" else "T12")
        promise = ledger.record_change(
            instance=tender,
            action=evidence.TENDER_FAILED,
            actor=actor,
            visibility=Visibility.public(),
            data={
                "bids_received": bids_received,
                "ground": ground,
                "rule": grounds_rule.id,
                "article": grounds_rule.article.as_dict(),
                "reason": reason,
            },
        )
        _history(
            project=tender.project,
            tender=tender,
            action=evidence.TENDER_FAILED,
            actor=actor,
            version=tender.version,
            from_status=states.BID_DEADLINE_PASSED,
            to_status=states.FAILED,
            fields=["status"],
            reason=reason,
            at=now,
            promise=promise,
        )
        new = _new_tender(
            project=tender.project,
            lots=list(tender.lots.all()),
            method=new_method,
            title=tender.title or tender.project.name,
            actor=actor,
            previous=tender,
        )
        ledger.record(
            action=evidence.TENDER_RETENDERED,
            actor=actor,
            subject=evidence.tender_subject(tender),
            data={"new_tender": new.pk, "new_ocid": new.ocid, "bids_received": bids_received},
            visibility=Visibility.public(),
        )
        publish(
            events.TenderRetendered(project_id=tender.project_id, tender_id=tender.pk, new_tender_id=new.pk)
        )
    return new


# --- chronograph ------------------------------------------------------------------------------------

CHRONOGRAPH = Actor.system("chronograph")


def _close_documents(tender: Tender, *, now: datetime, actor: Actor) -> None:
    """The download period is over (chronograph)."""
    tender.documents_closed = True
    tender.next_check = _next_check(tender)
    tender.save(update_fields=["documents_closed", "next_check"])
    ledger.record(
        action=evidence.DOCUMENTS_CLOSED,
        actor=actor,
        subject=evidence.tender_subject(tender),
        data={"documents_until": tender.documents_until},
        visibility=Visibility.public(),
    )
    _history(
        project=tender.project,
        tender=tender,
        action=evidence.DOCUMENTS_CLOSED,
        actor=actor,
        version=tender.version,
        fields=["documents_closed"],
        at=now,
    )


def apply_due(*, tender_id: int, now: datetime, actor: Actor = CHRONOGRAPH) -> list[str]:
    """Apply what fell due for one tender at ``now`` (download period over, bid deadline
    reached, suspension over); returns the actions recorded."""
    done: list[str] = []
    with transaction.atomic():
        tender = _lock_tender(tender_id)
        if tender.status == states.SUSPENDED:
            if tender.suspended_until is not None and tender.suspended_until <= now:
                resume_tender(
                    principal=None,
                    tender_id=tender.pk,
                    reason=str(Text(zh="暂停期满自动恢复。", en="The suspension ended.").render("zh")),
                    actor=actor,
                )
                done.append(evidence.TENDER_RESUMED)
            else:
                Tender.objects.filter(pk=tender.pk).update(next_check=_next_check(tender))
            return done
        if tender.status != states.PUBLISHED:
            Tender.objects.filter(pk=tender.pk).update(next_check=None)
            return done
        if (
            not tender.documents_closed
            and tender.documents_until is not None
            and tender.documents_until <= now
        ):
            _close_documents(tender, now=now, actor=actor)
            done.append(evidence.DOCUMENTS_CLOSED)
        if tender.bid_deadline is not None and tender.bid_deadline <= now:
            tender.status = states.BID_DEADLINE_PASSED
            tender.documents_closed = True
            tender.version += 1
            tender.updated_at = now
            tender.next_check = None
            tender.save()
            promise = ledger.record_change(
                instance=tender,
                action=evidence.BID_DEADLINE_PASSED,
                actor=actor,
                visibility=Visibility.public(),
                data={"bid_deadline": tender.bid_deadline},
            )
            _history(
                project=tender.project,
                tender=tender,
                action=evidence.BID_DEADLINE_PASSED,
                actor=actor,
                version=tender.version,
                from_status=states.PUBLISHED,
                to_status=states.BID_DEADLINE_PASSED,
                fields=["status"],
                at=now,
                promise=promise,
            )
            publish(events.BidDeadlinePassed(project_id=tender.project_id, tender_id=tender.pk))
            done.append(evidence.BID_DEADLINE_PASSED)
        elif not done:
            Tender.objects.filter(pk=tender.pk).update(next_check=_next_check(tender))
    return done


def due_tender_ids(now: datetime, *, limit: int = 500) -> list[int]:
    return list(
        Tender.objects.filter(next_check__isnull=False, next_check__lte=now)
        .order_by("next_check", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def recheck_provisional(years: frozenset[int]) -> int:
    """After a holiday notice is loaded: recompute the ``timeline_provisional`` flag of every
    running tender whose timeline was provisional and touches one of ``years``; returns how many
    changed. (The flag is derived, not evidence; the deadlines themselves never move silently.)"""
    changed = 0
    running = Tender.objects.filter(timeline_provisional=True).exclude(status__in=states.FINAL)
    for tender in running.select_related("project"):
        touched = {
            value.astimezone(SHANGHAI).year
            for value in (
                tender.documents_from,
                tender.documents_until,
                tender.questions_until,
                tender.bid_deadline,
            )
            if value is not None
        }
        if not touched & set(years):
            continue
        provisional = any(f.provisional for f in check_timeline_of(tender))
        if provisional != tender.timeline_provisional:
            Tender.objects.filter(pk=tender.pk).update(timeline_provisional=provisional)
            changed += 1
    return changed
