"""Money as integer fen (分, 0.01 yuan). Pure: imports no Django.

Amounts are stored and computed as ``int`` fen; :class:`~decimal.Decimal` only at the edges
(parsing, shares of a percentage). Floats are refused everywhere (``TypeError``): a float cannot
hold 0.10 exactly.

- :func:`format_fen` -> ``¥1,234.56`` (negative ``-¥1,234.56``)
- :func:`parse_yuan` -> fen, exact, from ``"1,234.56"``, ``"¥1234.5"``, ``Decimal`` or ``int`` yuan
- :func:`fen_to_yuan` -> ``Decimal("1234.56")``
- :func:`to_chinese_uppercase` -> ``壹仟贰佰叁拾肆元伍角陆分`` for official forms
- :func:`allocate` splits an amount by weights without losing a fen (largest remainder)
- :func:`percent_of` a percentage of an amount, rounded half up to whole fen
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from yingshang.kernel.text import Text

__all__ = [
    "MAX_UPPERCASE_FEN",
    "InvalidAmount",
    "allocate",
    "fen_to_yuan",
    "format_fen",
    "parse_yuan",
    "percent_of",
    "to_chinese_uppercase",
]

FEN_PER_YUAN = 100
_HUNDRED = Decimal(100)


class InvalidAmount(ValueError):
    """An amount that cannot be read or used. ``str()`` is the message in the active language."""

    def __init__(self, message: Text, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


def _require_int(fen: int, name: str = "fen") -> int:
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"{name} must be an int number of fen, not {type(fen).__name__}")
    return fen


def format_fen(fen: int) -> str:
    """``123456`` -> ``¥1,234.56``; ``-5`` -> ``-¥0.05``."""
    _require_int(fen)
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def fen_to_yuan(fen: int) -> Decimal:
    """``123456`` -> ``Decimal("1234.56")`` (always two decimal places)."""
    _require_int(fen)
    return (Decimal(fen) / _HUNDRED).quantize(Decimal("0.01"))


# An optional sign, an optional yuan sign (half- or full-width), digits with or without correct
# thousands separators, an optional fraction. The sign may stand before or after the yuan sign.
_AMOUNT = re.compile(
    r"""^(?P<sign1>[-+]?)[¥￥]?(?P<sign2>[-+]?)
        (?P<int>\d{1,3}(?:,\d{3})+|\d+)?
        (?:\.(?P<frac>\d+))?$""",
    re.VERBOSE | re.ASCII,
)


def parse_yuan(text: str | Decimal | int) -> int:
    """Read an amount of yuan and return it exactly as fen.

    Accepts ``"1234.56"``, ``"1,234.56"`` (correctly grouped), ``"¥1,234.56"``, ``"-¥3.5"``, a
    :class:`~decimal.Decimal` or an ``int`` (whole yuan). Surrounding white space is ignored.
    An amount that is not a whole number of fen (``"1.234"``, ``Decimal("0.005")``) is refused,
    never rounded; ``"1.230"`` is exactly 1.23 yuan and accepted. Raises ``TypeError`` for
    floats (and bools), :class:`InvalidAmount` (a ``ValueError``) for anything unreadable.
    """
    if isinstance(text, bool | float):
        raise TypeError(f"amounts must not be given as {type(text).__name__}; use str, Decimal or int")
    if isinstance(text, int):
        return text * FEN_PER_YUAN
    if isinstance(text, Decimal):
        return _decimal_yuan_to_fen(text, shown=str(text))
    if not isinstance(text, str):
        raise TypeError(f"cannot read an amount from {type(text).__name__}")
    stripped = text.strip()
    match = _AMOUNT.match(stripped)
    if (
        match is None
        or (match["int"] is None and match["frac"] is None)
        or (match["sign1"] and match["sign2"])
    ):
        raise InvalidAmount(
            Text(
                zh="“%(text)s”不是有效的金额：请填写如 1234.56 或 1,234.56 的数字，最多两位小数。",
                en="'%(text)s' is not an amount: enter a number such as 1234.56 or 1,234.56, with at "
                "most two decimal places.",
                params={"text": stripped[:40]},
            ),
            code="not_an_amount",
        )
    sign = "-" if "-" in (match["sign1"] + match["sign2"]) else ""
    digits = (match["int"] or "0").replace(",", "")
    number = Decimal(f"{sign}{digits}.{match['frac'] or '0'}")
    return _decimal_yuan_to_fen(number, shown=stripped)


def _decimal_yuan_to_fen(yuan: Decimal, *, shown: str) -> int:
    if not yuan.is_finite():
        raise InvalidAmount(
            Text(
                zh="“%(text)s”不是有效的金额。",
                en="'%(text)s' is not an amount.",
                params={"text": shown[:40]},
            ),
            code="not_an_amount",
        )
    numerator, denominator = yuan.as_integer_ratio()
    fen, remainder = divmod(numerator * FEN_PER_YUAN, denominator)
    if remainder:
        raise InvalidAmount(
            Text(
                zh="金额“%(text)s”最多只能有两位小数（精确到分）。",
                en="The amount '%(text)s' has more than two decimal places; amounts are exact to the fen.",
                params={"text": shown[:40]},
            ),
            code="too_many_decimals",
        )
    return fen


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
#: The largest amount :func:`to_chinese_uppercase` writes: just under 1亿亿 yuan (10**16).
MAX_UPPERCASE_FEN = 10**18 - 1


def to_chinese_uppercase(fen: int) -> str:
    """The amount in Chinese capitals for official forms (中文大写金额).

    Follows the People's Bank rules for writing amounts on bills and settlement vouchers
    (《支付结算办法》附件一《正确填写票据和结算凭证的基本规定》), choosing where they allow a choice:

    - 整 after 元 when there are no 角 and 分 (壹佰元整, 零元整); none after 角 (壹仟肆佰零玖元伍角,
      the rule allows leaving it out) or 分.
    - A run of zeros between non-zero digits is one 零 (陆仟零柒元壹角肆分, 壹亿零伍仟元整).
    - A zero in the 万 or 亿 place followed by a non-zero 仟 writes no 零: the unit separates
      (壹拾万柒仟元零伍角叁分).
    - When yuan are written and the 元 place or the 角 is zero but something follows, 零 comes
      after 元 (壹仟陆佰捌拾元零叁角贰分, 叁佰贰拾伍元零肆分).
    - Amounts below one yuan start with their 角 or 分 (伍角, 肆分), not 零元.
    - A leading 1 in the tens place keeps 壹 (壹拾元整, 壹拾伍万元整), as the rules require.
    - Negative amounts are prefixed 负.

    Amounts up to 9999万9999亿 yuan (:data:`MAX_UPPERCASE_FEN`); beyond that ``ValueError``.
    """
    _require_int(fen)
    if abs(fen) > MAX_UPPERCASE_FEN:
        raise InvalidAmount(
            Text(
                zh="金额过大，无法写成中文大写。",
                en="The amount is too large to write in Chinese capitals.",
            ),
            code="too_large",
        )
    sign = "负" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    jiao, fen_digit = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "零元整"
    parts = [sign]
    if yuan:
        parts.append(_integer_uppercase(yuan) + "元")
        if cents == 0:
            parts.append("整")
            return "".join(parts)
        if yuan % 10 == 0 or jiao == 0:
            parts.append("零")
    if jiao:
        parts.append(_DIGITS[jiao] + "角")
    if fen_digit:
        parts.append(_DIGITS[fen_digit] + "分")
    return "".join(parts)


def _integer_uppercase(n: int) -> str:
    """A positive whole number below 10**16 in capitals, without 元."""
    digits = str(n)
    top = len(digits) - 1
    out: list[str] = []
    zero_pending = False
    for place in range(top, -1, -1):
        digit = int(digits[top - place])
        if digit:
            if zero_pending:
                out.append("零")
            zero_pending = False
            out.append(_DIGITS[digit] + _SMALL_UNITS[place % 4])
        elif out:
            zero_pending = True
        group_unit = _group_unit(n, place)
        if group_unit:
            out.append(group_unit)
            # A zero in the 万/亿 place is covered by the unit when the next digit is not zero.
            zero_pending = False
    return "".join(out)


def _group_unit(n: int, place: int) -> str:
    """万 or 亿 to write at ``place`` (0 = 元 place), or "" when none is due there."""
    if place == 8 and n // 10**8:
        return "亿"
    if place in (4, 12) and (n // 10**place) % 10**4:
        return "万"
    return ""


def allocate(fen: int, weights: Sequence[int | Decimal]) -> list[int]:
    """Split ``fen`` into parts proportional to ``weights`` that add up to exactly ``fen``.

    Largest remainder method: each part gets the floor of its exact share, and the fen left over
    go one each to the parts with the largest remainders (ties to the earlier part). Weights are
    non-negative ``int`` or ``Decimal``, not all zero; a zero weight gets nothing. A negative
    amount is split like its absolute value, with every part negated.
    """
    _require_int(fen)
    if not weights:
        raise ValueError("allocate needs at least one weight")
    exact: list[Fraction] = []
    for weight in weights:
        if isinstance(weight, bool) or not isinstance(weight, int | Decimal):
            raise TypeError(f"weights must be int or Decimal, not {type(weight).__name__}")
        if not Decimal(weight).is_finite() or weight < 0:
            raise ValueError("weights must be finite and not negative")
        exact.append(Fraction(weight))
    total_weight = sum(exact, Fraction(0))
    if total_weight == 0:
        raise ValueError("at least one weight must be positive")
    amount = abs(fen)
    shares = [amount * weight / total_weight for weight in exact]
    parts = [math.floor(share) for share in shares]
    left = amount - sum(parts)
    order = sorted(range(len(parts)), key=lambda i: (-(shares[i] - parts[i]), i))
    for index in order[:left]:
        parts[index] += 1
    return [-p for p in parts] if fen < 0 else parts


def percent_of(fen: int, percent: Decimal | int) -> int:
    """``percent`` per cent of ``fen``, rounded to whole fen with ROUND_HALF_UP.

    Halves round away from zero (0.5 fen -> 1 fen, -0.5 fen -> -1 fen), the rounding people
    expect on Chinese financial forms. ``percent`` is a ``Decimal`` or ``int`` (``Decimal("2")``
    is 2 %); floats are refused. Callers that need "at most" (a deposit no larger than 2 % of the
    estimated price) compare with the result, which may be half a fen above the exact share.
    """
    _require_int(fen)
    if isinstance(percent, bool) or not isinstance(percent, int | Decimal):
        raise TypeError(f"percent must be a Decimal or int, not {type(percent).__name__}")
    if not Decimal(percent).is_finite():
        raise ValueError(f"cannot take {percent} per cent")
    # Exact rational arithmetic: fen * p / q / 100, rounded half away from zero.
    numerator, denominator = Decimal(percent).as_integer_ratio()
    top = abs(fen * numerator)
    bottom = denominator * FEN_PER_YUAN
    rounded = (2 * top + bottom) // (2 * bottom)
    return -rounded if (fen < 0) != (numerator < 0) else rounded
