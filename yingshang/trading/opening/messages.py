"""Bilingual texts of the opening hall: refusals (the API's problem ``code`` is given where each
is raised) and the reasons recorded for failed decryptions."""

from __future__ import annotations

from typing import Any

from yingshang.files.rules import PDF, ZIP, UploadPurpose
from yingshang.kernel.text import Text

#: The decrypted bid package, stored at the opening: restricted (only the bidder's organisation
#: sees it through the files context; evaluation reads it through the opening facade).
OPENED_BID_PURPOSE = UploadPurpose(
    "opened_bid",
    Text(zh="已解密的投标文件", en="Opened bid package"),
    frozenset({ZIP}),
    restricted=True,
)

#: The opening record as a PDF (public once the opening has finished).
RECORD_PDF_PURPOSE = UploadPurpose(
    "opening_record",
    Text(zh="开标记录表（平台生成）", en="Opening record (rendered by the platform)"),
    frozenset({PDF}),
)


def text(template: Text, **params: Any) -> Text:
    return Text(zh=template.zh, en=template.en, params=params)


NO_SESSION = Text(zh="该标段没有开标会。", en="There is no opening session for this lot.")
WRONG_STATUS = Text(
    zh="开标会当前处于“%(status)s”状态，不能执行此操作。",
    en="The opening session is %(status)s; this cannot be done now.",
)
PAUSED = Text(
    zh="开标会已暂停（%(reason)s），恢复后才能继续。",
    en="The opening is paused (%(reason)s); it continues once resumed.",
)
NOT_PAUSED = Text(zh="开标会没有暂停。", en="The opening is not paused.")
ALREADY_PAUSED = Text(zh="开标会已经暂停。", en="The opening is already paused.")
NOT_HOST = Text(
    zh="只有开标主持人（交易中心工作人员或该项目的招标人、代理机构）可以执行此操作。",
    en="Only the opening host (centre staff, or the tender's tenderer or agency) can do this.",
)
NOT_PARTICIPANT = Text(
    zh="只有递交了投标文件的投标人、主持人和监督人员可以签到。",
    en="Only bidders who submitted a bid, the host and supervisors can sign in.",
)
NOT_YOUR_BID = Text(
    zh="该投标文件不属于您的单位，不能为它提交密钥。",
    en="This bid is not your organisation's; you cannot release its key.",
)
NOT_A_BIDDER_HERE = Text(
    zh="您的单位在本标段没有递交投标文件。", en="Your organisation has no bid on this lot."
)
LATE_KEY = Text(
    zh="解密时间已于 %(until)s（北京时间）结束，密钥不再接收。",
    en="The decryption window ended at %(until)s (Beijing time); the key is no longer accepted.",
)
NOT_DECRYPTING = Text(
    zh="解密尚未开始（开标会状态：%(status)s）。",
    en="Decryption has not started (the session is %(status)s).",
)
ALREADY_DECRYPTED = Text(zh="该投标文件已解密。", en="This bid is already decrypted.")
ALREADY_FAILED = Text(
    zh="该投标文件解密已失败（%(reason)s），结果已记录。",
    en="This bid's decryption already failed (%(reason)s); the outcome is recorded.",
)
BAD_KEY_ENCODING = Text(
    zh="密钥须为 32 字节，Base64 编码。", en="The content key must be 32 bytes, base64-encoded."
)
KEY_MISMATCH = Text(
    zh="密钥与投标文件中签名承诺的密钥不符（可能是其他投标文件的密钥）。",
    en="The key is not the one the bid's signed commitment names (perhaps another bid's key).",
)
NOT_SIGNED_IN = Text(zh="请先在开标会签到。", en="Sign in to the opening first.")
SIGN_IN_CLOSED = Text(
    zh="签到时间已于 %(until)s（北京时间）结束。", en="Sign-in ended at %(until)s (Beijing time)."
)
CONTROL_PRICE_LATE = Text(
    zh="解密开始后不能再公布控制价。", en="The control price cannot be published once decryption has started."
)
COEFFICIENT_VALUES = Text(
    zh="浮动系数须为 2 至 50 个互不相同的小数（大于 0、不大于 2，如 0.95）。",
    en="The coefficients must be 2 to 50 distinct decimals above 0 and at most 2 (such as 0.95).",
)
COEFFICIENT_LATE = Text(
    zh="浮动系数须在解密开始前抽取，且每场开标只抽取一次。",
    en="The coefficient is drawn once per opening, before decryption starts.",
)
COEFFICIENT_NONE = Text(zh="本场开标没有浮动系数抽取。", en="This opening has no coefficient draw.")
CONTRIBUTION_BY = Text(
    zh="只有监督人员可以为浮动系数抽取提供随机值。",
    en="Only supervisors may contribute a value to the coefficient draw.",
)
CONTROL_PRICE_RANGE = Text(
    zh="控制价须为正的整数分。", en="The control price must be a positive number of fen."
)
KEYS_OUTSTANDING = Text(
    zh="解密时间未到，还有 %(n)s 份投标文件未解密，不能提前结束。",
    en="The window is still open and %(n)s bids are not decrypted; it cannot close early.",
)
NO_ROW = Text(
    zh="您的单位在本次开标记录表中没有记录。", en="Your organisation has no row in this opening record."
)
ALREADY_CONFIRMED = Text(zh="您已确认开标记录。", en="You have already confirmed the record.")
EMPTY_TEXT = Text(zh="请填写内容。", en="Please write something.")
NO_OBJECTION = Text(zh="没有这项异议。", en="There is no such objection.")
ALREADY_ANSWERED = Text(zh="该异议已经答复。", en="This objection is already answered.")
UNANSWERED = Text(
    zh="还有 %(n)s 项异议未答复，答复后才能结束开标。",
    en="%(n)s objections are not answered yet; answer them before finishing.",
)
MINUTES_RANGE = Text(zh="时长须在 1 到 1440 分钟之间。", en="The duration must be 1 to 1440 minutes.")
CONFIGURE_LATE = Text(
    zh="解密开始后不能再修改开标会设置。", en="Settings cannot change once decryption has started."
)

# Reasons recorded for rows (art. 31)
REASON_NO_KEY = Text(
    zh="投标人在解密时间内未提交密钥（视为撤销投标文件）。",
    en="The bidder did not release its key within the decryption window (counts as revoked).",
)
REASON_ENVELOPE = Text(
    zh="投标文件无法用承诺的密钥解密或校验失败（%(code)s），原因在投标人（视为撤销）。",
    en="The bid does not open or verify under its committed key (%(code)s): the bidder's cause "
    "(counts as revoked).",
)
REASON_STORAGE = Text(
    zh="平台存储的投标文件与回执不一致或无法读取（%(code)s），原因不在投标人（视为撤回）。",
    en="The stored bid differs from its receipt or cannot be read (%(code)s): not the bidder's "
    "cause (counts as withdrawn).",
)
REASON_PLATFORM = Text(
    zh="平台解密时出错（%(code)s），原因不在投标人（视为撤回）。",
    en="The platform failed while decrypting (%(code)s): not the bidder's cause (counts as withdrawn).",
)
REASON_PACKAGE = Text(
    zh="解密后的投标文件包缺少开标一览表（manifest.json）或内容不合规（%(detail)s），原因在投标人（视为撤销）。",
    en="The opened package has no valid opening sheet (manifest.json) (%(detail)s): the bidder's "
    "cause (counts as revoked).",
)
REASON_PLATFORM_DOWN = Text(
    zh="开标会暂停期间平台无法接收密钥（%(detail)s），原因不在投标人（视为撤回）。",
    en="The platform could not take keys (%(detail)s): not the bidder's cause (counts as withdrawn).",
)
NO_BACKUP = Text(zh="该投标文件没有托管备份（招标文件未要求）。", en="This bid has no custodian backup.")
BAD_SHARE = Text(
    zh="分片编号或内容无效（编号 1–255，内容为 32 字节 Base64）。",
    en="The share is not valid (index 1-255, value 32 bytes base64).",
)
SHARE_NOT_IN_ENVELOPE = Text(
    zh="投标文件的托管备份中没有编号为 %(index)s 的分片。",
    en="The bid's backup has no share with index %(index)s.",
)
NOT_THIS_CUSTODIAN = Text(
    zh="编号为 %(index)s 的分片托管给 %(name)s，只能由该单位的人员提交。",
    en="Share %(index)s is held in custody by %(name)s; only its staff may submit it.",
)
CUSTODIAN_UNKNOWN = Text(
    zh="编号为 %(index)s 的分片的托管证书无法核验（%(reason)s），不能据此解密。",
    en="The custodian certificate of share %(index)s cannot be verified (%(reason)s); it cannot be used.",
)
SHARE_TWICE = Text(zh="编号为 %(index)s 的分片已经提交。", en="Share %(index)s is already in.")
BACKUP_NOT_NOW = Text(
    zh="只能在解密时间内、对尚未提交密钥的投标文件使用托管备份解密。",
    en="Backup decryption is for a bid whose key has not come, within the decryption window.",
)
