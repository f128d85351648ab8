"""The evaluation's evidence: ledger action codes and who may read each entry.

Entries name committee members by their code only (T9.secret): never a user id in ``data``.
The actor of a member's act is recorded as a system actor ``evaluation-member`` plus the code in
``data``, so that the ledger's actor field does not reveal the account either. Everything is
oversight-visible (centre and supervisors); clarifications are also visible to the bidder asked.
"""

from __future__ import annotations

from yingshang.kernel.policy import Principal
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Subject, Visibility

STARTED = "trading.evaluation.started"
CHAIR = "trading.evaluation.chair_designated"
DECLARED = "trading.evaluation.declared"
BIDS_OPENED = "trading.evaluation.bids_opened"
SCORES_SAVED = "trading.evaluation.scores_saved"
EXPLAINED = "trading.evaluation.anomaly_explained"
SUBMITTED = "trading.evaluation.submitted"
CLARIFICATION_ASKED = "trading.evaluation.clarification_asked"
CLARIFICATION_REPLIED = "trading.evaluation.clarification_replied"
REPORT_FINISHED = "trading.evaluation.report_finished"
REPORT_SIGNED = "trading.evaluation.report_signed"
FINISHED = "trading.evaluation.finished"

ACTIONS: dict[str, tuple[str, str]] = {
    STARTED: ("评标开始", "Evaluation started"),
    CHAIR: ("确定评标委员会主任委员", "Committee chair designated"),
    DECLARED: ("评标专家签署无利害关系声明", "Member signed the no-conflict declaration"),
    BIDS_OPENED: ("评标专家开始查阅投标文件", "Member opened the bids"),
    SCORES_SAVED: ("评标专家保存评分", "Member saved scores"),
    EXPLAINED: ("评分畸高畸低说明", "Abnormal score explained"),
    SUBMITTED: ("评标专家提交评分", "Member submitted scores"),
    CLARIFICATION_ASKED: ("评标委员会要求投标人澄清", "Clarification requested from a bidder"),
    CLARIFICATION_REPLIED: ("投标人签名答复澄清", "Bidder's signed clarification reply"),
    REPORT_FINISHED: ("主任委员完成评标报告", "Chair finished the evaluation report"),
    REPORT_SIGNED: ("评标专家签署评标报告", "Member signed the evaluation report"),
    FINISHED: ("评标报告全体签署，推送监督部门", "Evaluation report signed by all, sent to the supervisor"),
}

MEMBER_ACTOR = Actor.system("evaluation-member")


def subject(evaluation_id: int) -> Subject:
    return Subject("trading", "evaluation", str(evaluation_id))


def oversight() -> Visibility:
    return Visibility.oversight()


def actor_of(principal: Principal) -> Actor:
    if principal.user_id is None:
        return Actor.system("evaluation")
    roles = ",".join(sorted(principal.roles)) or None
    return Actor.user(principal.user_id, organisation_id=principal.organisation_id, role=roles)


def register() -> None:
    for code, (zh, en) in ACTIONS.items():
        ledger.register_action(code, zh, en)
