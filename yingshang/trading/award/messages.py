"""Bilingual texts of the award context: refusals (with the problem ``code`` where raised),
notification templates, upload purposes, and the T12 reasons."""

from __future__ import annotations

from typing import Any

from yingshang.files.rules import DOCX, JPEG, OFD, PDF, PNG, UploadPurpose
from yingshang.kernel.text import Text
from yingshang.notifications import facade as notifications
from yingshang.notifications.contracts import MessageTemplate
from yingshang.trading.award import states

#: Evidence of a T12 reason (a written waiver, a force-majeure certificate, ...).
EVIDENCE_PURPOSE = UploadPurpose(
    "award_evidence",
    Text(zh="不能确定排名第一的中标候选人为中标人的证明材料", en="Evidence for passing over a candidate"),
    frozenset({PDF, OFD, PNG, JPEG, DOCX}),
)
#: The signed contract.
CONTRACT_PURPOSE = UploadPurpose(
    "award_contract", Text(zh="合同文本", en="Signed contract"), frozenset({PDF, OFD})
)
#: The written report to the supervisor.
REPORT_PURPOSE = UploadPurpose(
    "award_report",
    Text(zh="招标投标情况书面报告", en="Written report to the supervisor"),
    frozenset({PDF, OFD, DOCX}),
)

AWARD_NOTICE = "award.award_notice"
RESULT_NOTICE = "award.result_notice"
REPORT_FILED = "award.report_filed"

STATUS_LABELS: dict[str, Text] = {
    states.RECEIVED: Text(zh="已收到评标报告", en="report received"),
    states.PUBLICITY: Text(zh="中标候选人公示中", en="candidates in publicity"),
    states.SUSPENDED: Text(zh="因异议暂停", en="suspended by an objection"),
    states.PUBLICITY_ENDED: Text(zh="公示期满，待定标", en="publicity ended, award pending"),
    states.AWARDED: Text(zh="已定标", en="awarded"),
    states.CONTRACTED: Text(zh="已签订合同", en="contract signed"),
    states.REPORTED: Text(zh="已提交书面报告", en="reported to the supervisor"),
    states.COMPLETED: Text(zh="已完成（合同与书面报告）", en="completed (contract and report)"),
    states.RETENDER: Text(zh="重新招标", en="re-tendered"),
}

CLOCK_LABELS: dict[str, Text] = {
    states.OPEN: Text(zh="进行中", en="running"),
    states.OVERDUE: Text(zh="已逾期", en="overdue"),
    states.MET: Text(zh="按时完成", en="met in time"),
    states.MET_LATE: Text(zh="逾期完成", en="met late"),
}

REASONS: dict[str, Text] = {
    states.GAVE_UP: Text(zh="放弃中标", en="gave up the award"),
    states.FORCE_MAJEURE: Text(zh="因不可抗力不能履行合同", en="cannot perform because of force majeure"),
    states.NO_PERFORMANCE_BOND: Text(
        zh="不按照招标文件要求提交履约保证金", en="did not provide the performance bond"
    ),
    states.BROKE_THE_LAW: Text(
        zh="被查实存在影响中标结果的违法行为", en="found to have broken the law in a way affecting the result"
    ),
}


def text(template: Text, **params: Any) -> Text:
    return Text(zh=template.zh, en=template.en, params=params)


NO_AWARD = Text(zh="该标段还没有评标结果。", en="This lot has no evaluation result yet.")
NO_OBJECTION = Text(zh="没有这项异议。", en="There is no such objection.")
WRONG_STATUS = Text(
    zh="定标程序当前处于“%(status)s”状态，不能执行此操作。",
    en="The award procedure is %(status)s; this cannot be done now.",
)
DURING_PUBLICITY = Text(
    zh="中标候选人公示期间（至 %(until)s 北京时间）不能确定中标人；公示结束后再定标。",
    en="A winner cannot be fixed during the candidate publicity (until %(until)s Beijing time); "
    "award once it has ended.",
)
OBJECTION_PENDING = Text(
    zh="有 %(count)s 项异议尚未答复，定标程序暂停（《招标投标法实施条例》第五十四条）；答复后才能继续。",
    en="%(count)s objection(s) await an answer; the procedure is suspended (Regulations art. 54) "
    "until answered.",
)
NO_PUBLICITY_YET = Text(
    zh="依法必须进行招标的项目，应当先公示中标候选人，公示结束后才能确定中标人。",
    en="The candidates must be published first; a winner can be fixed only after the publicity.",
)
NO_PUBLICITY_IN_PROCUREMENT = Text(
    zh="政府采购项目不进行中标候选人公示，直接确定中标人并发布结果公告。",
    en="Government procurement has no candidate publicity: fix the winner and announce the result.",
)
OUTSIDE_PUBLICITY = Text(
    zh="只能在中标候选人公示期间对评标结果提出异议。",
    en="Objections to the evaluation result can be raised only during the candidate publicity.",
)
NOT_A_BIDDER = Text(
    zh="只有本标段的投标人可以对评标结果提出异议。",
    en="Only bidders on this lot can object to the evaluation result.",
)
NOT_MANAGER = Text(
    zh="只有该项目的招标人或招标代理机构可以执行此操作。",
    en="Only the tender's tenderer or agency can do this.",
)
ALREADY_ANSWERED = Text(zh="该异议已经答复。", en="This objection has already been answered.")
EMPTY_TEXT = Text(zh="请填写内容。", en="Please write something.")
NO_CANDIDATE = Text(zh="没有排名第 %(rank)s 的中标候选人。", en="There is no candidate ranked %(rank)s.")
CANDIDATE_EXCUSED = Text(
    zh="排名第 %(rank)s 的中标候选人已记录不能中标的理由，不能确定其为中标人。",
    en="The candidate ranked %(rank)s was passed over for a recorded reason; it cannot be awarded.",
)
ALREADY_EXCUSED = Text(
    zh="排名第 %(rank)s 的中标候选人已记录理由。",
    en="A reason is already recorded for the candidate ranked %(rank)s.",
)
BAD_REASON = Text(
    zh="理由必须是：放弃中标、不可抗力、未提交履约保证金、被查实存在影响中标结果的违法行为之一。",
    en="The reason must be one of: gave up, force majeure, no performance bond, broke the law.",
)
NO_EVIDENCE = Text(
    zh="找不到证明材料（文件 %(document)s），请先上传。",
    en="The evidence document %(document)s was not found; upload it first.",
)
WRONG_PURPOSE = Text(
    zh="文件 %(document)s 不是以“%(purpose)s”用途上传的。",
    en="Document %(document)s was not uploaded as %(purpose)s.",
)
RETENDER_REFUSED = Text(
    zh="国有资金占控股或者主导地位的项目，只有排名第一的中标候选人不能中标（已记录理由）时才能重新招标。",
    en="A state-controlled project may re-tender only once the first-ranked candidate was passed over "
    "for a recorded reason.",
)
BAD_PRICE = Text(
    zh="合同金额必须是正整数（分）。", en="The contract price must be a positive whole number of fen."
)
BAD_SIGNED_ON = Text(
    zh="签订日期必须在定标（%(from)s）之后、今天（%(today)s）之前。",
    en="The signing date must be between the award (%(from)s) and today (%(today)s).",
)
ALREADY_CONTRACTED = Text(zh="合同已经登记。", en="The contract is already registered.")
ALREADY_REPORTED = Text(zh="书面报告已经提交。", en="The report has already been filed.")
CONTRACT_FIRST = Text(
    zh="政府采购合同应当先签订并登记，再向财政部门备案。",
    en="In procurement the contract is registered first, then filed with the supervisor.",
)
BAD_REPORT = Text(zh="评标报告不完整：%(problem)s", en="The evaluation report is incomplete: %(problem)s")
TOO_MANY_CANDIDATES = Text(
    zh="中标候选人不得超过3个（收到 %(count)s 个）。", en="At most 3 candidates (got %(count)s)."
)
EXPERTS_NOT_LISTED = Text(
    zh="结果公告必须列明评审专家名单，但专家名单暂不可用：%(why)s",
    en="The result announcement must list the experts, but the list is not available: %(why)s",
)
STALE = Text(
    zh="定标信息已被他人更新，请刷新后重试。",
    en="The award was changed by someone else; reload and try again.",
)


def register_templates() -> None:
    notifications.register_template(
        MessageTemplate(
            code=AWARD_NOTICE,
            subject_zh="中标通知书：{{ title }}",
            subject_en="Award notice: {{ title }}",
            body_zh="{{ bidder }}：你单位在{{ title }}（标段 {{ lot }}）中被确定为中标人，中标价 {{ price }}。"
            "请在中标通知书发出之日起30日内签订合同（截止 {{ contract_due }}）。\n\n—— 营商平台",
            body_en="{{ bidder }}: you were awarded {{ title }} (lot {{ lot }}) at {{ price }}. Sign the "
            "contract within 30 days of this notice (by {{ contract_due }}).\n\n— Yingshang platform",
            sms_zh="【营商】{{ title }} 中标通知书已发出",
            sms_en="[Yingshang] Award notice for {{ title }}",
            required=frozenset({"title", "lot", "bidder", "price", "contract_due"}),
        )
    )
    notifications.register_template(
        MessageTemplate(
            code=RESULT_NOTICE,
            subject_zh="中标结果通知书：{{ title }}",
            subject_en="Result notice: {{ title }}",
            body_zh="{{ bidder }}：{{ title }}（标段 {{ lot }}）的中标人为 {{ winner }}。\n\n—— 营商平台",
            body_en="{{ bidder }}: the winner of {{ title }} (lot {{ lot }}) is {{ winner }}.\n\n"
            "— Yingshang platform",
            sms_zh="【营商】{{ title }} 中标结果已确定",
            sms_en="[Yingshang] Result of {{ title }}",
            required=frozenset({"title", "lot", "bidder", "winner"}),
        )
    )
    notifications.register_template(
        MessageTemplate(
            code=REPORT_FILED,
            subject_zh="招标投标情况书面报告：{{ title }}",
            subject_en="Written report: {{ title }}",
            body_zh="{{ title }}（标段 {{ lot }}）的招标人已提交招标投标情况书面报告。\n\n—— 营商平台",
            body_en="The tenderer of {{ title }} (lot {{ lot }}) filed its written report.\n\n— Yingshang platform",
            required=frozenset({"title", "lot"}),
        )
    )
