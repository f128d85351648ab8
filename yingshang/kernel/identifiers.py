"""Unified social credit codes (统一社会信用代码, GB 32100-2015). Pure: imports no Django.

A code has 18 characters from a 31-character set (the digits and the capital letters without
I, O, S, V and Z)::

    position  1     registration authority (登记管理部门代码)
    position  2     entity type within that authority (机构类别代码)
    positions 3-8   administrative division of the registering office (GB/T 2260)
    positions 9-17  organisation code (组织机构代码, GB 11714); position 17 is its own check
                    character (0-9 or X)
    position  18    check character over positions 1-17 (mod 31)

:func:`check_uscc` normalises a code and checks all of this, raising :class:`InvalidIdentifier`
with a message that names exactly what is wrong. :func:`make_uscc` builds a valid code from its
parts (demo data, tests).
"""

from __future__ import annotations

from dataclasses import dataclass

from yingshang.kernel.text import Text

__all__ = [
    "AUTHORITIES",
    "CHARSET",
    "PROVINCE_PREFIXES",
    "USCC_LENGTH",
    "InvalidIdentifier",
    "USCCParts",
    "check_uscc",
    "make_uscc",
    "normalise_uscc",
    "organisation_code_check",
    "parse_uscc",
    "uscc_check_character",
]

USCC_LENGTH = 18

#: The 31 characters a code may use, in the order that gives each its value (0-30).
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {char: value for value, char in enumerate(CHARSET)}

#: Weights of positions 1-17 for the final check character: 3**i mod 31.
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

#: Weights of the eight body characters of a GB 11714 organisation code.
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class Authority:
    """A registration authority (position 1) and the entity types (position 2) it assigns."""

    code: str
    zh: str
    en: str
    types: dict[str, tuple[str, str]]

    @property
    def name(self) -> Text:
        return Text(zh=self.zh, en=self.en)

    def type_name(self, entity_type: str) -> Text:
        zh, en = self.types[entity_type]
        return Text(zh=zh, en=en)


_OTHER = ("其他", "other")

#: GB 32100-2015 table 1 with its later additions (A: 中央军委改革和编制办公室, N: 农业).
AUTHORITIES: dict[str, Authority] = {
    a.code: a
    for a in (
        Authority(
            "1",
            "机构编制",
            "institutional staffing",
            {
                "1": ("机关", "government organ"),
                "2": ("事业单位", "public institution"),
                "3": (
                    "中央编办直接管理机构编制的群众团体",
                    "mass organisation staffed by the central office",
                ),
                "9": _OTHER,
            },
        ),
        Authority(
            "2",
            "外交",
            "foreign affairs",
            {"1": ("外国常驻新闻机构", "resident foreign news agency"), "9": _OTHER},
        ),
        Authority(
            "3",
            "司法行政",
            "justice administration",
            {
                "1": ("律师执业机构", "law firm"),
                "2": ("公证处", "notary office"),
                "3": ("基层法律服务所", "grassroots legal service office"),
                "4": ("司法鉴定机构", "forensic appraisal institution"),
                "5": ("仲裁委员会", "arbitration commission"),
                "9": _OTHER,
            },
        ),
        Authority(
            "4",
            "文化",
            "culture",
            {"1": ("外国在华文化中心", "foreign cultural centre in China"), "9": _OTHER},
        ),
        Authority(
            "5",
            "民政",
            "civil affairs",
            {
                "1": ("社会团体", "social organisation"),
                "2": ("民办非企业单位", "private non-enterprise unit"),
                "3": ("基金会", "foundation"),
                "9": _OTHER,
            },
        ),
        Authority(
            "6",
            "旅游",
            "tourism",
            {
                "1": ("外国旅游部门常驻代表机构", "resident office of a foreign tourism authority"),
                "2": (
                    "港澳台地区旅游部门常驻内地（大陆）代表机构",
                    "resident office of a Hong Kong, Macao or Taiwan tourism authority",
                ),
                "9": _OTHER,
            },
        ),
        Authority(
            "7",
            "宗教",
            "religious affairs",
            {
                "1": ("宗教活动场所", "place of religious activity"),
                "2": ("宗教院校", "religious school"),
                "9": _OTHER,
            },
        ),
        Authority("8", "工会", "trade unions", {"1": ("基层工会", "grassroots trade union"), "9": _OTHER}),
        Authority(
            "9",
            "工商",
            "industry and commerce (market regulation)",
            {
                "1": ("企业", "enterprise"),
                "2": ("个体工商户", "individual business"),
                "3": ("农民专业合作社", "farmers' cooperative"),
            },
        ),
        Authority(
            "A",
            "中央军委改革和编制办公室",
            "Central Military Commission reform and staffing office",
            {"1": ("军队事业单位", "military public institution"), "9": _OTHER},
        ),
        Authority(
            "N",
            "农业",
            "agriculture",
            {
                "1": ("组级集体经济组织", "group-level collective economic organisation"),
                "2": ("村级集体经济组织", "village-level collective economic organisation"),
                "3": ("乡镇级集体经济组织", "township-level collective economic organisation"),
                "9": _OTHER,
            },
        ),
        Authority("Y", "其他", "other", {"1": _OTHER}),
    )
}

#: Province-level prefixes of GB/T 2260 (positions 3-4), plus 10 for national registration (100000).
PROVINCE_PREFIXES = frozenset(
    [f"{n}" for n in range(11, 16)]
    + [f"{n}" for n in range(21, 24)]
    + [f"{n}" for n in range(31, 38)]
    + [f"{n}" for n in range(41, 47)]
    + [f"{n}" for n in range(50, 55)]
    + [f"{n}" for n in range(61, 66)]
    + ["71", "81", "82"]
)
NATIONAL_DIVISION = "100000"

_FULL_WIDTH_OFFSET = 0xFEE0  # "Ａ" (U+FF21) - "A" (U+0041)


class InvalidIdentifier(ValueError):
    """A credit code that is not valid. ``str()`` is the message in the active language.

    ``code`` says what kind of problem it is (``empty``, ``length``, ``character``, ``authority``,
    ``entity_type``, ``division``, ``org_check``, ``check_digit``); ``position`` is the 1-based
    position of the offending character, or ``None`` when the problem is not one character.
    """

    def __init__(self, message: Text, *, code: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.position = position

    def __str__(self) -> str:
        return str(self.message)


def normalise_uscc(code: str) -> str:
    """Trim surrounding white space, turn full-width ASCII (ＡＢ１２) into half-width, upper-case.

    Nothing else is removed or replaced: inner spaces and hyphens stay and are reported by
    :func:`check_uscc` with their position.
    """
    if not isinstance(code, str):
        raise TypeError(f"a credit code must be a str, not {type(code).__name__}")
    chars = []
    for original in code.strip():
        point = ord(original)
        char = chr(point - _FULL_WIDTH_OFFSET) if 0xFF01 <= point <= 0xFF5E else original
        chars.append(char.upper() if "a" <= char <= "z" else char)
    return "".join(chars)


def organisation_code_check(body: str) -> str:
    """The GB 11714 check character (0-9 or X) of an organisation code's 8 body characters."""
    if len(body) != 8:
        raise ValueError("an organisation code body has 8 characters")
    total = sum(_org_value(char) * weight for char, weight in zip(body, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _org_value(char: str) -> int:
    # GB 11714 values: digits as themselves, letters A=10 ... Z=35 (the full alphabet).
    if "0" <= char <= "9":
        return ord(char) - ord("0")
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    raise ValueError(f"not an organisation code character: {char!r}")


def uscc_check_character(first17: str) -> str:
    """The final (18th) check character of a code whose first 17 characters are given."""
    if len(first17) != USCC_LENGTH - 1 or any(char not in _VALUE for char in first17):
        raise ValueError("expected 17 characters of the credit code character set")
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def check_uscc(code: str) -> str:
    """Validate a unified social credit code and return it normalised (see :func:`normalise_uscc`).

    Checks, in this order, reporting the first problem found: not empty; 18 characters; every
    character in the 31-character set; position 1 a known registration authority; position 2 an
    entity type that authority assigns; positions 3-8 six digits whose first two are a
    province-level code (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81, 82) or the national
    100000; position 17 the GB 11714 check character of positions 9-16; position 18 the mod-31
    check character of positions 1-17.
    """
    value = normalise_uscc(code)
    if not value:
        raise InvalidIdentifier(
            Text(zh="请填写统一社会信用代码。", en="Enter the unified social credit code."), code="empty"
        )
    if len(value) != USCC_LENGTH:
        raise InvalidIdentifier(
            Text(
                zh="统一社会信用代码应为18位，实际为%(given)d位。",
                en="A unified social credit code has 18 characters; %(given)d were given.",
                params={"given": len(value)},
            ),
            code="length",
        )
    for index, char in enumerate(value):
        if char not in _VALUE:
            raise InvalidIdentifier(
                Text(
                    zh="第%(position)d位的字符“%(char)s”不允许使用：统一社会信用代码只使用数字0-9和"
                    "除I、O、S、V、Z以外的大写英文字母。",
                    en="The character '%(char)s' at position %(position)d is not allowed: a unified "
                    "social credit code uses only the digits 0-9 and the capital letters except I, O, "
                    "S, V and Z.",
                    params={"char": char, "position": index + 1},
                ),
                code="character",
                position=index + 1,
            )
    _check_authority_and_type(value[0], value[1])
    _check_division(value[2:8])
    _check_organisation_code(value[8:17])
    expected = uscc_check_character(value[:17])
    if value[17] != expected:
        raise InvalidIdentifier(
            Text(
                zh="第18位校验码应为“%(expected)s”，实际为“%(found)s”：请核对代码是否抄错。",
                en="The check character at position 18 should be '%(expected)s' but is '%(found)s': "
                "check the code for a typing error.",
                params={"expected": expected, "found": value[17]},
            ),
            code="check_digit",
            position=18,
        )
    return value


def _check_authority_and_type(authority_code: str, entity_type: str) -> None:
    authority = AUTHORITIES.get(authority_code)
    if authority is None:
        raise InvalidIdentifier(
            Text(
                zh="第1位登记管理部门代码“%(found)s”不存在；有效代码为：%(valid)s。",
                en="The registration authority code '%(found)s' at position 1 does not exist; valid "
                "codes are: %(valid)s.",
                params={"found": authority_code, "valid": ", ".join(AUTHORITIES)},
            ),
            code="authority",
            position=1,
        )
    if entity_type not in authority.types:
        raise InvalidIdentifier(
            Text(
                zh="第2位机构类别代码“%(found)s”不属于登记管理部门“%(authority)s”（%(authority_zh)s）；"
                "该部门的机构类别代码为：%(valid)s。",
                en="The entity type code '%(found)s' at position 2 is not used by registration "
                "authority '%(authority)s' (%(authority_en)s); its entity type codes are: %(valid)s.",
                params={
                    "found": entity_type,
                    "authority": authority.code,
                    "authority_zh": authority.zh,
                    "authority_en": authority.en,
                    "valid": ", ".join(authority.types),
                },
            ),
            code="entity_type",
            position=2,
        )


def _check_division(division: str) -> None:
    for offset, char in enumerate(division):
        if not "0" <= char <= "9":
            raise InvalidIdentifier(
                Text(
                    zh="第%(position)d位“%(char)s”应为数字：第3-8位是登记管理机关的行政区划代码。",
                    en="Position %(position)d ('%(char)s') must be a digit: positions 3-8 are the "
                    "administrative division code of the registering office.",
                    params={"position": offset + 3, "char": char},
                ),
                code="division",
                position=offset + 3,
            )
    if division != NATIONAL_DIVISION and division[:2] not in PROVINCE_PREFIXES:
        raise InvalidIdentifier(
            Text(
                zh="第3-8位行政区划代码“%(division)s”无效：前两位“%(prefix)s”不是省级行政区划代码。",
                en="The administrative division code '%(division)s' at positions 3-8 is not valid: "
                "'%(prefix)s' is not a province-level code.",
                params={"division": division, "prefix": division[:2]},
            ),
            code="division",
            position=3,
        )


def _check_organisation_code(org_code: str) -> None:
    found = org_code[8]
    if not ("0" <= found <= "9" or found == "X"):
        raise InvalidIdentifier(
            Text(
                zh="第17位是组织机构代码的校验码，只能是数字或X，实际为“%(found)s”。",
                en="Position 17 is the organisation code's check character and must be a digit or X, "
                "not '%(found)s'.",
                params={"found": found},
            ),
            code="org_check",
            position=17,
        )
    expected = organisation_code_check(org_code[:8])
    if found != expected:
        raise InvalidIdentifier(
            Text(
                zh="第17位组织机构代码校验码应为“%(expected)s”，实际为“%(found)s”：请核对第9-17位。",
                en="The organisation code check character at position 17 should be '%(expected)s' but "
                "is '%(found)s': check positions 9-17.",
                params={"expected": expected, "found": found},
            ),
            code="org_check",
            position=17,
        )


def make_uscc(authority: str, entity_type: str, division: str, org_code_body8: str) -> str:
    """Build a valid code from its parts, computing both check characters.

    ``org_code_body8`` is the 8-character body of the organisation code (positions 9-16), from
    the credit code character set. Raises :class:`InvalidIdentifier` when a part is not valid.
    """
    body = normalise_uscc(org_code_body8)
    if len(body) != 8 or any(char not in _VALUE for char in body):
        raise InvalidIdentifier(
            Text(
                zh="组织机构代码本体应为8位数字或大写字母（不含I、O、S、V、Z），实际为“%(body)s”。",
                en="An organisation code body is 8 digits or capital letters (without I, O, S, V, Z), "
                "not '%(body)s'.",
                params={"body": body},
            ),
            code="org_body",
        )
    authority, entity_type, division = (
        normalise_uscc(authority),
        normalise_uscc(entity_type),
        division.strip(),
    )
    if len(authority) != 1 or len(entity_type) != 1 or len(division) != 6:
        raise ValueError("authority and entity type are one character each, the division six digits")
    _check_authority_and_type(authority, entity_type)
    _check_division(division)
    first16 = authority + entity_type + division + body
    first17 = first16 + organisation_code_check(body)
    return check_uscc(first17 + uscc_check_character(first17))


@dataclass(frozen=True)
class USCCParts:
    """The parts of a valid code, with the names of its authority and entity type."""

    code: str
    authority: str
    authority_name: Text
    entity_type: str
    entity_type_name: Text
    division: str
    organisation_code: str  # GB 11714 form: 8 body characters, hyphen, check character


def parse_uscc(code: str) -> USCCParts:
    """Validate ``code`` (see :func:`check_uscc`) and split it into its parts."""
    value = check_uscc(code)
    authority = AUTHORITIES[value[0]]
    return USCCParts(
        code=value,
        authority=authority.code,
        authority_name=authority.name,
        entity_type=value[1],
        entity_type_name=authority.type_name(value[1]),
        division=value[2:8],
        organisation_code=f"{value[8:16]}-{value[16]}",
    )
