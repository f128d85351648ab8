"""The experts context's evidence: ledger action codes and who may read each entry.

Entries carry expert codes (pseudonyms), never names: the draw and its seats may be public,
the identities stay secret until ``IDENTITIES_PUBLISHED`` (T9.secret, 招标投标法 art. 37).
"""

from __future__ import annotations

from yingshang.kernel.policy import Principal
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Subject, Visibility

REGISTERED = "trading.expert.registered"
REVIEWED = "trading.expert.reviewed"
IMPORTED = "trading.expert.imported"
SUSPENDED = "trading.expert.suspended"
BLACKLISTED = "trading.expert.blacklisted"
PROFILE_CHANGED = "trading.expert.profile_changed"
CREDIT_RECORDED = "trading.expert.credit_recorded"
NEED_STATED = "trading.expert_draw.need_stated"
DRAW_PREPARED = "trading.expert_draw.prepared"
SEATS_INVITED = "trading.expert_draw.seats_invited"
SHORTAGE = "trading.expert_draw.shortage"
ACCEPTED = "trading.expert_draw.accepted"
DECLINED = "trading.expert_draw.declined"
EXPIRED = "trading.expert_draw.expired"
REPRESENTATIVE = "trading.expert_draw.representative_appointed"
IDENTITIES_PUBLISHED = "trading.expert_draw.identities_published"

ACTIONS: dict[str, tuple[str, str]] = {
    REGISTERED: ("专家入库申请", "Expert registered"),
    REVIEWED: ("专家入库审核", "Expert reviewed"),
    IMPORTED: ("导入异地专家", "Expert imported from another pool"),
    SUSPENDED: ("暂停专家评标资格", "Expert suspended"),
    BLACKLISTED: ("专家列入黑名单", "Expert blacklisted"),
    PROFILE_CHANGED: ("专家信息变更（回避关系、不可参评时间）", "Expert profile changed"),
    CREDIT_RECORDED: ("专家信用记录", "Expert credit recorded"),
    NEED_STATED: ("提出评标专家需求", "Expert need stated"),
    DRAW_PREPARED: ("评标专家抽取：承诺已记录", "Expert draw committed"),
    SEATS_INVITED: ("评标专家抽取结果，已通知专家", "Experts drawn and invited"),
    SHORTAGE: ("可抽取专家不足", "Too few eligible experts"),
    ACCEPTED: ("专家确认参加评标", "Expert accepted the seat"),
    DECLINED: ("专家拒绝参加评标", "Expert declined the seat"),
    EXPIRED: ("专家未在规定时间内答复", "Expert did not answer in time"),
    REPRESENTATIVE: ("指定招标人代表", "Tenderer representative appointed"),
    IDENTITIES_PUBLISHED: ("公布评标委员会成员名单", "Committee identities published"),
}


def expert_subject(code: str) -> Subject:
    return Subject("trading", "expert", code)


def lot_subject(tender_id: int, lot_id: int) -> Subject:
    return Subject("trading", "expert_need", f"{tender_id}:{lot_id}")


def tender_subject(tender_id: int) -> Subject:
    return Subject("trading", "tender", str(tender_id))


def pool_visibility() -> Visibility:
    """Pool entries (codes, regions, specialties): oversight and the centre."""
    return Visibility.oversight(centre=True)


def actor_of(principal: Principal | None) -> Actor:
    if principal is None or principal.user_id is None:
        return Actor.system("chronograph")
    roles = ",".join(sorted(principal.roles)) or None
    return Actor.user(principal.user_id, organisation_id=principal.organisation_id, role=roles)


def register() -> None:
    for code, (zh, en) in ACTIONS.items():
        ledger.register_action(code, zh, en)
