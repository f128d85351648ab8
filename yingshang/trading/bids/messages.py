"""The bids context's upload purpose and the bilingual texts of its refusals.

Every refusal of an upload has a stable code (the API's ``code``) and a message in Chinese and
English; the envelope's own error codes (``yingshang.envelope``) are translated here.
"""

from __future__ import annotations

from yingshang.files.rules import SEALED_BID, UploadPurpose
from yingshang.kernel.text import Text

SEALED_BID_PURPOSE = UploadPurpose(
    "sealed_bid",
    Text(zh="密封投标文件", en="Sealed bid"),
    frozenset({SEALED_BID}),
    restricted=True,
)

ENVELOPE_ERRORS: dict[str, Text] = {
    "not_an_envelope": Text(
        zh="上传的文件不是加密的投标文件（未加密的文件一律拒收，电子招标投标办法第二十七条）。",
        en="The upload is not a sealed (encrypted) bid; unencrypted bids are refused "
        "(Measures for Electronic Tendering and Bidding, art. 27).",
    ),
    "unsupported_version": Text(
        zh="投标文件的格式版本不受支持，请升级投标工具后重新加密。",
        en="The envelope's format version is not supported; update the bidder tool and seal again.",
    ),
    "malformed_header": Text(zh="投标文件的头部结构损坏。", en="The envelope's header is malformed."),
    "truncated": Text(zh="投标文件不完整（被截断）。", en="The envelope is incomplete (truncated)."),
    "hash_mismatch": Text(
        zh="密文与投标文件头部记录的摘要不一致（文件被改动或损坏）。",
        en="The ciphertext does not match the hash in the envelope's header (changed or damaged).",
    ),
    "bad_signature": Text(zh="投标人的数字签名无效。", en="The bidder's signature is not valid."),
    "chunk_order": Text(
        zh="密文分块的顺序或数量不正确。", en="The ciphertext's chunks are out of order or missing."
    ),
    "tampered": Text(zh="投标文件被篡改。", en="The envelope has been tampered with."),
    "trailing_data": Text(zh="投标文件末尾有多余的数据。", en="The envelope has extra data after its end."),
    "bad_certificate": Text(
        zh="投标文件中的签名证书无法解析。", en="The signing certificate in the envelope cannot be read."
    ),
    "unsupported_algorithm": Text(
        zh="投标文件使用了不受支持的算法。", en="The envelope uses an algorithm that is not supported."
    ),
    "algorithm_mismatch": Text(
        zh="签名算法与证书的密钥类型不符。",
        en="The signature algorithm does not match the certificate's key.",
    ),
    "weak_key": Text(
        zh="签名证书的密钥强度不足（RSA 至少 2048 位）。",
        en="The signing certificate's key is too weak (RSA needs at least 2048 bits).",
    ),
}

GENERIC_ENVELOPE_ERROR = Text(
    zh="投标文件未通过检查：%(detail)s", en="The sealed bid failed its checks: %(detail)s"
)


def envelope_refusal(code: str, detail: str) -> Text:
    text = ENVELOPE_ERRORS.get(code)
    if text is not None:
        return text
    return Text(zh=GENERIC_ENVELOPE_ERROR.zh, en=GENERIC_ENVELOPE_ERROR.en, params={"detail": detail})


DECLARED_HASH_MISMATCH = Text(
    zh="收到的字节与声明的 SHA-256 不一致，请重新上传。",
    en="The bytes received do not match the declared SHA-256; upload again.",
)
WRONG_TENDER = Text(
    zh="该投标文件是为其他招标项目或标段加密的（文件内：项目 %(tender)s，标段 %(lot)s）。",
    en="This sealed bid was made for another tender or lot (inside: tender %(tender)s, lot %(lot)s).",
)
WRONG_BIDDER = Text(
    zh="投标文件中的投标人（%(uscc)s）不是当前登录的单位。",
    en="The bidder named in the envelope (%(uscc)s) is not the organisation signed in.",
)
CERTIFICATE_OTHER_ENTERPRISE = Text(
    zh="签名证书属于其他单位（%(name)s）。",
    en="The signing certificate belongs to another organisation (%(name)s).",
)
LATE = Text(
    zh="投标截止时间（%(deadline)s）已过：本次上传于 %(arrived)s（北京时间）到达，不予接收。",
    en="The bid deadline (%(deadline)s) has passed: this upload arrived at %(arrived)s "
    "(Beijing time) and is refused.",
)
NOT_OPEN = Text(
    zh="该招标项目当前不接收投标（状态：%(status)s）。",
    en="This tender does not accept bids now (status: %(status)s).",
)
LOT_NOT_IN_TENDER = Text(zh="标段 %(lot)s 不属于该招标项目。", en="Lot %(lot)s is not part of this tender.")
TOO_LARGE = Text(
    zh="投标文件（%(size)s 字节）超过该项目的大小上限 %(limit)s 字节。",
    en="The sealed bid (%(size)s bytes) exceeds this tender's limit of %(limit)s bytes.",
)
CHUNK_TOO_LARGE = Text(
    zh="每个分块最多 %(limit)s 字节，本块 %(size)s 字节。",
    en="A chunk may hold at most %(limit)s bytes; this one has %(size)s.",
)
CHUNK_BEYOND_END = Text(
    zh="分块超出了声明的文件大小（%(size)s 字节）。",
    en="The chunk goes beyond the declared size (%(size)s bytes).",
)
WRONG_OFFSET = Text(
    zh="分块的起始位置应为 %(expected)s，而不是 %(offset)s（请从已确认的位置续传）。",
    en="The chunk should start at byte %(expected)s, not %(offset)s (resume from the acknowledged position).",
)
EMPTY_CHUNK = Text(zh="分块是空的。", en="The chunk is empty.")
DUPLICATE = Text(
    zh="同一份投标文件已经递交（投标编号 %(bid)s），无需重复递交；回执可随时查询。",
    en="This very envelope is already submitted (bid %(bid)s); there is nothing to send again. "
    "Its receipt can be looked up at any time.",
)
IDEMPOTENCY_REUSED = Text(
    zh="该幂等键已用于另一次上传（不同的项目、标段、大小或摘要）。",
    en="This idempotency key was used for a different upload (tender, lot, size or hash differ).",
)
UPLOAD_REFUSED = Text(zh="该上传已被拒收：%(reason)s", en="This upload was refused: %(reason)s")
NOT_A_BIDDER = Text(
    zh="只有以投标人身份登录的单位才能投标。",
    en="Only an organisation signed in as a bidder can submit bids.",
)
NOT_WITHDRAWABLE = Text(
    zh="该投标文件已是“%(status)s”状态，不能撤回。",
    en="This bid is already %(status)s and cannot be withdrawn.",
)
AFTER_DEADLINE_WITHDRAW = Text(
    zh="投标截止时间已过，不能再撤回投标文件。",
    en="The bid deadline has passed; the bid can no longer be withdrawn.",
)
AFTER_DEADLINE_LIMIT = Text(
    zh="投标截止时间已过，不能再修改投标文件大小上限。",
    en="The bid deadline has passed; the limit can no longer change.",
)
LIMIT_RANGE = Text(
    zh="投标文件大小上限须在 1 MiB 到 64 GiB 之间。", en="The limit must be between 1 MiB and 64 GiB."
)
LIMIT_BELOW_UPLOAD = Text(
    zh="已有投标人声明了 %(size)s 字节的投标文件，上限不能低于它。",
    en="A bidder has already declared a sealed bid of %(size)s bytes; the limit cannot go below it.",
)
