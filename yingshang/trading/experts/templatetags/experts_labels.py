"""Words for the codes the experts pages show: ``{{ status|expert_state }}``,
``{{ code|specialty }}``, ``{{ tender_id|tender_title }}``, ``{{ tender_id|lot_name:lot_id }}``."""

from __future__ import annotations

from django import template

from yingshang.kernel.errors import DomainError
from yingshang.kernel.text import Text
from yingshang.trading.experts import reference, states
from yingshang.trading.projects import facade as projects

register = template.Library()

STATE_LABELS: dict[str, Text] = {
    states.APPLIED: Text(zh="待审核", en="awaiting review"),
    states.APPROVED: Text(zh="已入库", en="approved"),
    states.REJECTED: Text(zh="已驳回", en="rejected"),
    states.INVITED: Text(zh="待答复", en="invited"),
    states.CONFIRMED: Text(zh="已确认参加", en="accepted"),
    states.DECLINED: Text(zh="已拒绝", en="declined"),
    states.EXPIRED: Text(zh="超时未答复", en="no answer in time"),
    states.PREPARED: Text(zh="已承诺，待抽取", en="committed, awaiting the draw"),
    states.MATERIALISED: Text(zh="已抽取", en="drawn"),
    states.DRAWING: Text(zh="抽取中", en="drawing"),
    states.COMPLETE: Text(zh="已组建", en="complete"),
}


@register.filter
def expert_state(code: str) -> str:
    label = STATE_LABELS.get(str(code))
    return label.render() if label is not None else str(code)


@register.filter
def specialty(code: str) -> str:
    code = str(code or "")
    if not code or not reference.is_specialty(code):
        return code
    return f"{code} {reference.specialty_label(code).render()}"


@register.filter
def tender_title(tender_id: int) -> str:
    try:
        return projects.tender_summary(int(tender_id)).title
    except (DomainError, TypeError, ValueError):
        return str(tender_id)


@register.filter
def lot_name(tender_id: int, lot_id: int) -> str:
    return projects.lot_name(int(tender_id), int(lot_id))
