"""Bilingual texts of the evaluation: refusals (the API's problem ``code`` is given where each is
raised), the no-conflict declaration and the notification template."""

from __future__ import annotations

from typing import Any

from yingshang.kernel.text import Text
from yingshang.notifications import facade as notifications
from yingshang.notifications.contracts import MessageTemplate

NOTICE = "trading.evaluation.notice"


def text(template: Text, **params: Any) -> Text:
    return Text(zh=template.zh, en=template.en, params=params)


DECLARATION = Text(
    zh="本人承诺：与本项目的招标人、各投标人均无利害关系，不存在应当回避的情形；将客观、公正地履行职责，"
    "遵守职业道德，对评标情况保密。",
    en="I declare that I have no interest in the tenderer or any bidder of this tender and no reason to "
    "recuse myself; I will evaluate objectively and fairly and keep the evaluation confidential.",
)

NOT_MANAGER = Text(
    zh="只有该项目的招标人、代理机构或交易中心工作人员可以组织评标。",
    en="Only the tender's tenderer or agency, or centre staff, can organise the evaluation.",
)
#: Labels the pages show for codes.
STATUS_LABELS: dict[str, Text] = {
    "scoring": Text(zh="评审中", en="scoring"),
    "signing": Text(zh="签署评标报告", en="signing the report"),
    "finished": Text(zh="评标完成", en="finished"),
}
METHOD_LABELS: dict[str, Text] = {
    "qualification": Text(zh="资格审查（合格制）", en="qualification review (pass/fail)"),
    "comprehensive": Text(zh="综合评估法", en="comprehensive scoring"),
    "lowest_evaluated_price": Text(zh="经评审的最低投标价法", en="lowest evaluated price"),
}
BOQ_LABELS: dict[str, Text] = {
    "": Text(zh="—", en="—"),
    "none": Text(zh="未附工程量清单", en="no bill of quantities"),
    "ok": Text(zh="清标无异常", en="cleared, nothing found"),
    "findings": Text(zh="清标发现问题", en="clearing findings"),
    "invalid": Text(zh="清单格式无效", en="bill not readable"),
}
TOTAL_LABEL = Text(zh="主观分合计", en="subjective total")

NOT_MEMBER = Text(zh="您不是该评标委员会的成员。", en="You are not a member of this committee.")
NOT_CHAIR = Text(zh="只有主任委员可以执行此操作。", en="Only the committee chair can do this.")
NO_EVALUATION = Text(zh="没有这次评标。", en="There is no such evaluation.")
ALREADY_STARTED = Text(zh="该标段的评标已经开始。", en="The evaluation of this lot has already started.")
COMMITTEE_INCOMPLETE = Text(
    zh="评标委员会尚未组建完成（%(confirmed)s/%(size)s 名成员已确认）。",
    en="The committee is not complete (%(confirmed)s of %(size)s members confirmed).",
)
OPENING_NOT_FINISHED = Text(
    zh="开标尚未结束，不能开始评标。", en="The opening has not finished; the evaluation cannot start."
)
NO_BIDS = Text(zh="没有可评审的投标文件。", en="There is no opened bid to evaluate.")
UNKNOWN_CHAIR = Text(
    zh="“%(code)s”不是本评标委员会的成员代码。", en="“%(code)s” is not a member code of this committee."
)
WRONG_STATUS = Text(
    zh="评标当前处于“%(status)s”阶段，不能执行此操作。",
    en="The evaluation is at the %(status)s stage; this cannot be done now.",
)
NOT_DECLARED = Text(
    zh="请先签署无利害关系声明，再查阅投标文件。",
    en="Sign the no-conflict declaration before you see the bids.",
)
MUST_CONFIRM = Text(zh="须勾选确认无利害关系声明。", en="Confirm the no-conflict declaration to sign it.")
ALREADY_SUBMITTED = Text(
    zh="您已提交评分，不能再修改。", en="You have submitted your scores; they cannot change."
)
UNKNOWN_BID = Text(zh="投标文件 %(bid)s 不在本次评标中。", en="Bid %(bid)s is not part of this evaluation.")
UNKNOWN_CRITERION = Text(
    zh="“%(code)s”不是本评标办法的审查标准。", en="“%(code)s” is not a criterion of the method."
)
REASON_NEEDED = Text(zh="判定不合格须写明理由（%(code)s）。", en="A fail needs a reason (%(code)s).")
NOT_A_NUMBER = Text(zh="“%(value)s”不是数字。", en="“%(value)s” is not a number.")
INCOMPLETE = Text(
    zh="评分尚未完成：还有 %(n)s 项未填写。", en="Your scores are not complete: %(n)s entries are missing."
)
WAITING = Text(
    zh="还有 %(n)s 名成员未完成评分，全体评分完成后才能计算委员会平均分并提交。",
    en="%(n)s members have not finished scoring yet; the committee mean (and so your submission) "
    "needs every member's scores.",
)
EXPLANATION_NEEDED = Text(
    zh="以下评分偏离委员会平均分超过 %(percent)s%%，须书面说明理由后才能提交：%(items)s。",
    en="These scores deviate from the committee mean by more than %(percent)s%%; explain them in writing "
    "before submitting: %(items)s.",
)
UNEXPLAINED = Text(
    zh="成员 %(codes)s 还有畸高畸低评分未作说明，不能完成评标报告。",
    en="Members %(codes)s have abnormal scores without an explanation; the report cannot be finished.",
)
NO_ANOMALY = Text(
    zh="该评分没有偏离委员会平均分，无须说明。",
    en="This score does not deviate from the mean; no explanation is needed.",
)
EMPTY_TEXT = Text(zh="请填写内容。", en="Please write something.")
NOT_ALL_SUBMITTED = Text(
    zh="还有 %(n)s 名成员未提交评分。", en="%(n)s members have not submitted their scores."
)
TOO_MANY_CANDIDATES = Text(
    zh="中标候选人不得超过 3 名（T10）。", en="There can be at most three candidates (T10)."
)
REPORT_CHANGED = Text(
    zh="评标报告已变化，请刷新后重新签署。", en="The report has changed; reload it and sign again."
)
ALREADY_SIGNED = Text(zh="您已签署评标报告。", en="You have already signed the report.")
REPORT_NOT_FINISHED = Text(
    zh="评标报告尚未经全体成员签署。", en="The evaluation report is not signed by every member yet."
)
NOT_THE_BIDDER = Text(
    zh="该澄清要求不是发给您的单位的。",
    en="This clarification request is not addressed to your organisation.",
)
NO_CLARIFICATION = Text(zh="没有这项澄清要求。", en="There is no such clarification request.")
ALREADY_REPLIED = Text(zh="该澄清已答复。", en="This clarification is already answered.")
BAD_SIGNATURE = Text(
    zh="答复的签名无法验证（%(reason)s）。签名内容须为：%(payload)s",
    en="The reply's signature does not verify (%(reason)s). Sign exactly: %(payload)s",
)
CERTIFICATE_REFUSED = Text(
    zh="签名证书不被接受：%(reason)s", en="The signing certificate is refused: %(reason)s"
)
CERTIFICATE_OTHER = Text(
    zh="签名证书属于其他单位（%(name)s）。",
    en="The signing certificate belongs to another organisation (%(name)s).",
)
BAD_BOQ = Text(
    zh="控制价工程量清单有误：%(reason)s", en="The control bill of quantities is not valid: %(reason)s"
)


def register() -> None:
    notifications.register_template(
        MessageTemplate(
            code=NOTICE,
            subject_zh="评标：{{ what_zh }}（{{ title }}）",
            subject_en="Evaluation: {{ what_en }} ({{ title }})",
            body_zh="{{ title }}：{{ what_zh }}。{{ detail_zh }}\n\n—— 营商平台",
            body_en="{{ title }}: {{ what_en }}. {{ detail_en }}\n\n— Yingshang platform",
            sms_zh="【营商】评标：{{ what_zh }}",
            sms_en="[Yingshang] Evaluation: {{ what_en }}",
            required=frozenset({"title", "what_zh", "what_en", "detail_zh", "detail_en"}),
        )
    )


NO_PACKAGE = Text(zh="该投标文件没有可查阅的解密文件。", en="This bid has no decrypted package to read.")
