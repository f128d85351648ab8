"""The opening context's evidence: ledger action codes, subjects and who may read each entry.

Bidders' identities become public when the tender is opened (``trading.tender.opened`` is marked
when a lot's session opens with at least three bids; the bids context's entries follow it). A
row's content (price, duration, ...) is recorded when the decryption window closes, readable by
the parties and oversight, and public from the moment its bidder confirms it or the opening
finishes (``trading.opening.row_published`` for the row).
"""

from __future__ import annotations

from typing import Any

from yingshang.kernel.policy import Principal
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Subject, Visibility

STARTED = "trading.opening.started"
FAILED_TOO_FEW = "trading.opening.failed_too_few"
CONFIGURED = "trading.opening.configured"
SIGNED_IN = "trading.opening.signed_in"
CONTROL_PRICE = "trading.opening.control_price_published"
DECRYPTION_STARTED = "trading.opening.decryption_started"
KEY_RELEASED = "trading.opening.key_released"
KEY_REFUSED = "trading.opening.key_refused"
BID_DECRYPTED = "trading.opening.bid_decrypted"
DECRYPTION_FAILED = "trading.opening.decryption_failed"
WINDOW_CLOSED = "trading.opening.window_closed"
ROW_CLASSIFIED = "trading.opening.row_classified"
CONFIRMING = "trading.opening.confirming"
ROW_CONFIRMED = "trading.opening.row_confirmed"
OBJECTION_RAISED = "trading.opening.objection_raised"
OBJECTION_ANSWERED = "trading.opening.objection_answered"
PAUSED = "trading.opening.paused"
RESUMED = "trading.opening.resumed"
FINISHED = "trading.opening.finished"
SHARE_RELEASED = "trading.opening.share_released"
COEFFICIENT_COMMITTED = "trading.opening.coefficient_committed"
COEFFICIENT_DRAWN = "trading.opening.coefficient_drawn"
BACKUP_RECOVERED = "trading.opening.backup_recovered"

#: Marked (``ledger.mark_event``) for the tender when it is opened: the bids context's entries
#: become public (yingshang.trading.bids.evidence.OPENED_EVENT).
TENDER_OPENED = "trading.tender.opened"
#: Marked for a row when its content becomes public (confirmed, or the opening finished).
ROW_PUBLISHED = "trading.opening.row_published"

ACTIONS: dict[str, tuple[str, str]] = {
    STARTED: ("开标会开始（签到）", "Opening session started (sign-in)"),
    FAILED_TOO_FEW: ("投标人少于3个，不予开标", "Fewer than three bids: no opening"),
    CONFIGURED: ("设置开标会", "Opening session configured"),
    SIGNED_IN: ("开标签到", "Signed in to the opening"),
    CONTROL_PRICE: ("公布控制价", "Control price published"),
    COEFFICIENT_COMMITTED: ("浮动系数抽取：承诺已记录", "Coefficient draw committed"),
    COEFFICIENT_DRAWN: ("浮动系数抽取结果", "Coefficient drawn"),
    DECRYPTION_STARTED: ("开始解密", "Decryption started"),
    KEY_RELEASED: ("投标人提交解密密钥", "Bidder released its content key"),
    KEY_REFUSED: ("拒收解密密钥", "Content key refused"),
    BID_DECRYPTED: ("投标文件解密成功", "Bid decrypted"),
    DECRYPTION_FAILED: ("投标文件解密失败", "Bid decryption failed"),
    WINDOW_CLOSED: ("解密时间结束，生成开标记录表", "Decryption window closed, opening sheet prepared"),
    ROW_CLASSIFIED: ("投标文件视为撤销或撤回", "Bid counted as revoked or withdrawn"),
    CONFIRMING: ("开标记录表交投标人确认", "Opening record put to the bidders"),
    ROW_CONFIRMED: ("投标人确认开标记录", "Bidder confirmed the opening record"),
    OBJECTION_RAISED: ("开标现场异议", "Objection raised at the opening"),
    OBJECTION_ANSWERED: ("开标现场异议答复", "Objection answered at the opening"),
    PAUSED: ("开标会暂停", "Opening paused"),
    RESUMED: ("开标会恢复", "Opening resumed"),
    FINISHED: ("开标结束，公布开标记录", "Opening finished, record published"),
    SHARE_RELEASED: ("托管人提交密钥分片", "Custodian released a key share"),
    BACKUP_RECOVERED: ("托管人分片恢复解密密钥", "Content key recovered from custodian shares"),
}


def session_subject(session: Any) -> Subject:
    return Subject("trading", "opening", str(session.pk))


def row_subject(row: Any) -> Subject:
    return Subject("trading", "opening_row", str(row.pk))


def tender_subject(tender_id: int) -> Subject:
    return Subject("trading", "tender", str(tender_id))


def row_content(row: Any, *, organisation_ids: tuple[int, ...] = ()) -> Visibility:
    """A row's content: the bidder and oversight now, everyone once the row is published."""
    return Visibility.public_from(
        ROW_PUBLISHED, row_subject(row), organisation_ids=(row.organisation_id, *organisation_ids)
    )


def actor_of(principal: Principal | None) -> Actor:
    if principal is None or principal.user_id is None:
        return Actor.system("chronograph")
    roles = ",".join(sorted(principal.roles)) or None
    return Actor.user(principal.user_id, organisation_id=principal.organisation_id, role=roles)


def register() -> None:
    for code, (zh, en) in ACTIONS.items():
        ledger.register_action(code, zh, en)
