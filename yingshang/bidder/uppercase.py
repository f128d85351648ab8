"""Amounts in Chinese uppercase (人民币大写金额), as written on an opening sheet.

Rules (the People's Bank of China's rules for writing amounts on bills, 正确填写票据和结算凭证的基本规定),
with the choices this module makes where the rules allow two forms:

- digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟 inside a group of four digits, 万 and 亿 between groups
  (1 0000 0000 0000 yuan is 壹万亿); 拾 always carries its digit: 10 yuan is 壹拾元整;
- one or more zeros between non-zero digits are written as a single 零 (1409 -> 壹仟肆佰零玖);
  a group that starts with zeros after a higher non-zero group is preceded by 零
  (100500 -> 壹拾万零伍佰), zeros at the end of a group are not written (107000 -> 壹拾万柒仟);
- 整 after 元 when there are no 角 or 分, and after 角 when there is no 分 (壹元贰角整: the rules
  allow leaving it out after 角; writing it stops anyone adding a 分 later); never after 分;
- 角 zero and 分 non-zero: 零 after 元 (325.04 -> 叁佰贰拾伍元零肆分);
- 元 digit zero and 角 non-zero: no 零 (1680.32 -> 壹仟陆佰捌拾元叁角贰分);
- less than one yuan: no 元 part (0.50 -> 伍角整, 0.05 -> 伍分); zero is 零元整.
"""

from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
WAN = 10_000
YI = 100_000_000


def _group(value: int) -> str:
    """0 < value < 10000, without leading 零."""
    out: list[str] = []
    zero_pending = False
    for position in range(3, -1, -1):
        digit = value // 10**position % 10
        if digit == 0:
            if out:
                zero_pending = True
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(DIGITS[digit] + SMALL_UNITS[position])
    return "".join(out)


def _integer(value: int) -> str:
    """value > 0, in 万/亿 groups."""
    if value >= YI:
        high, low = divmod(value, YI)
        text = _integer(high) + "亿"
        if low:
            text += ("零" if low < YI // 10 else "") + _integer(low)
        return text
    if value >= WAN:
        high, low = divmod(value, WAN)
        text = _group(high) + "万"
        if low:
            text += ("零" if low < WAN // 10 else "") + _group(low)
        return text
    return _group(value)


def uppercase_yuan(fen: int) -> str:
    """The uppercase form of an amount given in integer fen (分)."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("the amount must be an integer number of fen")
    if fen < 0:
        raise ValueError("the amount must not be negative")
    if fen == 0:
        return "零元整"
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    text = _integer(yuan) + "元" if yuan else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif fen_digit and yuan:
        text += "零"
    if fen_digit:
        text += DIGITS[fen_digit] + "分"
    else:
        text += "整"
    return text
