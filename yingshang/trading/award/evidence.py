"""The award context's evidence: ledger action codes, subjects and actors.

Public: the publicity (candidates, prices, scores), its end, the award, the result announcement
(with the experts' names, after the result is fixed), the coded scores and the contract.
Parties and oversight: objections and answers, passed-over candidates and their evidence, the
award notices. Oversight (with the tenderer and agency): report received, overdue clocks, the
report to the supervisor."""

from __future__ import annotations

from typing import Any

from yingshang.kernel.policy import Principal
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Subject

REPORT_RECEIVED = "trading.award.report_received"
PUBLICITY_STARTED = "trading.publicity.started"
OBJECTION_RAISED = "trading.publicity.objection_raised"
OBJECTION_ANSWERED = "trading.publicity.objection_answered"
PUBLICITY_RESUMED = "trading.publicity.resumed"
PUBLICITY_ENDED = "trading.publicity.ended"
CANDIDATE_PASSED_OVER = "trading.award.candidate_passed_over"
DECIDED = "trading.award.decided"
NOTICES_ISSUED = "trading.award.notices_issued"
RESULT_ANNOUNCED = "trading.award.result_announced"
SCORES_PUBLISHED = "trading.award.scores_published"
RETENDER = "trading.award.retender"
CLOCK_OVERDUE = "trading.award.clock_overdue"
CONTRACT_REGISTERED = "trading.contract.registered"
REPORTED = "trading.award.reported_to_supervisor"

ACTIONS: dict[str, tuple[str, str]] = {
    REPORT_RECEIVED: ("收到评标报告", "Evaluation report received"),
    PUBLICITY_STARTED: ("中标候选人公示开始", "Candidate publicity started"),
    OBJECTION_RAISED: ("对评标结果提出异议", "Objection to the evaluation result raised"),
    OBJECTION_ANSWERED: ("答复评标结果异议", "Objection to the evaluation result answered"),
    PUBLICITY_RESUMED: ("异议答复后公示程序恢复", "Publicity resumed after the answers"),
    PUBLICITY_ENDED: ("中标候选人公示结束", "Candidate publicity ended"),
    CANDIDATE_PASSED_OVER: (
        "记录排名第一的中标候选人不能中标的理由",
        "Candidate passed over (T12 reason recorded)",
    ),
    DECIDED: ("确定中标人", "Winner fixed"),
    NOTICES_ISSUED: ("发出中标通知书和中标结果通知书", "Award notice and result notices issued"),
    RESULT_ANNOUNCED: ("发布中标结果公告", "Result announced"),
    SCORES_PUBLISHED: ("公开评标专家评分（匿名编号）", "Experts' scores published (coded)"),
    RETENDER: ("决定重新招标", "Re-tender decided"),
    CLOCK_OVERDUE: ("法定期限已过", "Statutory period overdue"),
    CONTRACT_REGISTERED: ("合同登记", "Contract registered"),
    REPORTED: ("向行政监督部门提交招标投标情况书面报告", "Written report to the supervisor filed"),
}


def award_subject(award: Any) -> Subject:
    return Subject("trading", "award", str(award.pk))


def contract_subject(award: Any) -> Subject:
    return Subject("trading", "contract", str(award.pk))


def actor_of(principal: Principal | None) -> Actor:
    if principal is None or principal.user_id is None:
        return Actor.system("chronograph")
    roles = ",".join(sorted(principal.roles)) or None
    return Actor.user(principal.user_id, organisation_id=principal.organisation_id, role=roles)


def register() -> None:
    for code, (zh, en) in ACTIONS.items():
        ledger.register_action(code, zh, en)
