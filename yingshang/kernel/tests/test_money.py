"""Money as integer fen: formatting, parsing, Chinese capitals, allocation, percentages."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yingshang.kernel.money import (
    MAX_UPPERCASE_FEN,
    InvalidAmount,
    allocate,
    fen_to_yuan,
    format_fen,
    parse_yuan,
    percent_of,
    to_chinese_uppercase,
)


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "¥0.00"),
        (5, "¥0.05"),
        (50, "¥0.50"),
        (123456, "¥1,234.56"),
        (100000000, "¥1,000,000.00"),
        (-123456, "-¥1,234.56"),
        (-5, "-¥0.05"),
    ],
)
def test_format_fen(fen: int, text: str) -> None:
    assert format_fen(fen) == text


def test_fen_to_yuan() -> None:
    assert fen_to_yuan(123456) == Decimal("1234.56")
    assert str(fen_to_yuan(100)) == "1.00"
    assert str(fen_to_yuan(-5)) == "-0.05"


@pytest.mark.parametrize(
    ("given", "fen"),
    [
        ("1234.56", 123456),
        ("1,234.56", 123456),
        ("¥1,234.56", 123456),
        ("￥1234.5", 123450),
        ("-¥1,234.56", -123456),
        ("¥-3", -300),
        ("+7", 700),
        (" 0.05 ", 5),
        (".5", 50),
        ("1.230", 123),  # exactly 1.23 yuan
        ("1,000,000", 100000000),
        (Decimal("12.34"), 1234),
        (Decimal("1E+2"), 10000),
        (12, 1200),
        (-1, -100),
    ],
)
def test_parse_yuan(given: str | Decimal | int, fen: int) -> None:
    assert parse_yuan(given) == fen


@pytest.mark.parametrize(
    "given",
    ["", "abc", "1,23.45", "12,3456", "1.2.3", "--1", "-¥-1", "1e5", "¥", ".", "1.", "١٢", "NaN", "1 000"],
)
def test_parse_yuan_refuses_garbage(given: str) -> None:
    with pytest.raises(InvalidAmount) as info:
        parse_yuan(given)
    assert info.value.code == "not_an_amount"
    assert isinstance(info.value, ValueError)
    assert "is not an amount" in info.value.message.render("en")


@pytest.mark.parametrize("given", ["1.234", "0.001", Decimal("0.005"), Decimal("1.2345")])
def test_parse_yuan_refuses_fractions_of_a_fen(given: str | Decimal) -> None:
    with pytest.raises(InvalidAmount) as info:
        parse_yuan(given)
    assert info.value.code == "too_many_decimals"
    assert "最多只能有两位小数" in info.value.message.render("zh-hans")


@pytest.mark.parametrize("given", [Decimal("NaN"), Decimal("Infinity")])
def test_parse_yuan_refuses_non_finite_decimals(given: Decimal) -> None:
    with pytest.raises(InvalidAmount):
        parse_yuan(given)


@pytest.mark.parametrize("given", [1.5, 0.1, True])
def test_parse_yuan_refuses_floats_and_bools(given: object) -> None:
    with pytest.raises(TypeError):
        parse_yuan(given)  # type: ignore[arg-type]


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_format_and_parse_round_trip(fen: int) -> None:
    assert parse_yuan(format_fen(fen)) == fen
    assert parse_yuan(fen_to_yuan(fen)) == fen


# The examples of the People's Bank rules (正确填写票据和结算凭证的基本规定) and more.
UPPERCASE = [
    (0, "零元整"),
    (10000, "壹佰元整"),
    (123456, "壹仟贰佰叁拾肆元伍角陆分"),
    (168032, "壹仟陆佰捌拾元零叁角贰分"),
    (140950, "壹仟肆佰零玖元伍角"),
    (600714, "陆仟零柒元壹角肆分"),
    (10700053, "壹拾万柒仟元零伍角叁分"),
    (32504, "叁佰贰拾伍元零肆分"),
    (1580, "壹拾伍元捌角"),
    (1000, "壹拾元整"),
    (100, "壹元整"),
    (1, "壹分"),
    (50, "伍角"),
    (54, "伍角肆分"),
    (4, "肆分"),
    (1068002, "壹万零陆佰捌拾元零贰分"),
    (1000050, "壹万元零伍角"),
    (101000, "壹仟零壹拾元整"),
    (11000000, "壹拾壹万元整"),
    (10070000, "壹拾万零柒佰元整"),
    (10000500, "壹拾万零伍元整"),
    (150000000, "壹佰伍拾万元整"),
    (10000000000, "壹亿元整"),
    (10000500000, "壹亿零伍仟元整"),
    (10007000000, "壹亿零柒万元整"),
    (12000000000, "壹亿贰仟万元整"),
    (100000000000000, "壹万亿元整"),
    (100010000000000, "壹万零壹亿元整"),
    (123450000000000, "壹万贰仟叁佰肆拾伍亿元整"),
    (100000001000000, "壹万亿零壹万元整"),
    (1000000000000000, "壹拾万亿元整"),
    (-10000, "负壹佰元整"),
    (-123456, "负壹仟贰佰叁拾肆元伍角陆分"),
    (MAX_UPPERCASE_FEN, "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
]


@pytest.mark.parametrize(("fen", "text"), UPPERCASE)
def test_to_chinese_uppercase(fen: int, text: str) -> None:
    assert to_chinese_uppercase(fen) == text


def test_to_chinese_uppercase_refuses_amounts_beyond_its_range() -> None:
    with pytest.raises(InvalidAmount) as info:
        to_chinese_uppercase(MAX_UPPERCASE_FEN + 1)
    assert info.value.code == "too_large"


@pytest.mark.parametrize("given", [1.0, Decimal(1), "100", True])
def test_to_chinese_uppercase_takes_int_fen_only(given: object) -> None:
    with pytest.raises(TypeError):
        to_chinese_uppercase(given)  # type: ignore[arg-type]


_CAPITAL_VALUES = dict(zip("零壹贰叁肆伍陆柒捌玖", range(10), strict=True))
_UNITS = {"拾": 10, "佰": 100, "仟": 1000}


def _read_uppercase(text: str) -> int:
    """Read the capitals back into fen: an independent check of the writer's digits and units."""
    sign = -1 if text.startswith("负") else 1
    text = text.removeprefix("负").removesuffix("整")
    yuan_text, _, cents_text = text.partition("元")
    if not _:
        yuan_text, cents_text = "", text
    yi_part = wan_part = section = digit = 0
    for char in yuan_text:
        if char in _CAPITAL_VALUES:
            digit = _CAPITAL_VALUES[char]
        elif char in _UNITS:
            section += digit * _UNITS[char]
            digit = 0
        elif char == "万":
            wan_part += (section + digit) * 10_000
            section = digit = 0
        elif char == "亿":
            yi_part = (wan_part + section + digit) * 10**8
            wan_part = section = digit = 0
        else:
            raise AssertionError(f"unexpected {char!r} in {text!r}")
    yuan = yi_part + wan_part + section + digit
    jiao = fen = 0
    cents_text = cents_text.removeprefix("零")
    if "角" in cents_text:
        jiao = _CAPITAL_VALUES[cents_text[cents_text.index("角") - 1]]
    if "分" in cents_text:
        fen = _CAPITAL_VALUES[cents_text[cents_text.index("分") - 1]]
    return sign * (yuan * 100 + jiao * 10 + fen)


@given(st.integers(min_value=-MAX_UPPERCASE_FEN, max_value=MAX_UPPERCASE_FEN))
def test_uppercase_reads_back_to_the_same_amount(fen: int) -> None:
    text = to_chinese_uppercase(fen)
    assert _read_uppercase(text) == fen
    assert "零零" not in text
    assert not text.removeprefix("负").startswith("零") or text == "零元整"
    assert text.endswith(("整", "角", "分"))


@pytest.mark.parametrize(("fen", "text"), UPPERCASE)
def test_reader_agrees_with_the_table(fen: int, text: str) -> None:
    assert _read_uppercase(text) == fen


@pytest.mark.parametrize(
    ("fen", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (10, [Decimal("0.5"), 1], [3, 7]),
        (1, [1, 1], [1, 0]),
        (0, [1, 2], [0, 0]),
        (100, [0, 1], [0, 100]),
        (101, [2, 1, 1], [51, 25, 25]),
        (7, [3, 3, 1], [3, 3, 1]),
    ],
)
def test_allocate(fen: int, weights: list[int | Decimal], parts: list[int]) -> None:
    assert allocate(fen, weights) == parts


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(any),
)
def test_allocate_never_loses_a_fen(fen: int, weights: list[int]) -> None:
    parts = allocate(fen, weights)
    assert sum(parts) == fen
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(fen * weight, total)
        assert abs(part - exact) < 1  # each part is its exact share rounded down or up
        if weight == 0:
            assert part == 0


@pytest.mark.parametrize(
    ("weights", "error"),
    [
        ([], ValueError),
        ([0, 0], ValueError),
        ([1, -1], ValueError),
        ([1.5], TypeError),
        ([Decimal("NaN")], ValueError),
    ],
)
def test_allocate_refuses_bad_weights(weights: list[object], error: type[Exception]) -> None:
    with pytest.raises(error):
        allocate(100, weights)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fen", "percent", "result"),
    [
        (12345, Decimal(2), 247),  # 246.9
        (25, 2, 1),  # 0.5 rounds half up
        (75, Decimal(2), 2),  # 1.5 -> 2
        (-25, 2, -1),  # halves round away from zero
        (24, 2, 0),  # 0.48
        (100_000_000_00, Decimal("2"), 2_000_000_00),  # 2 % of one hundred million yuan
        (333, Decimal("33.3333"), 111),
        (100, Decimal("0.5"), 1),  # 0.5
        (10**18, Decimal("0.000000000000000001"), 0),  # exact even far beyond 28 digits
        (10**30, Decimal("1E-28"), 1),
        (15 * 10**29 + 1, Decimal("1E-28"), 2),  # 1.5000...1, not rounded to 28 digits first
        (10**29 * 25 - 1, Decimal("1E-28"), 2),  # 2.4999...9 stays below the half
    ],
)
def test_percent_of(fen: int, percent: Decimal | int, result: int) -> None:
    assert percent_of(fen, percent) == result


@pytest.mark.parametrize("percent", [2.0, "2", True])
def test_percent_of_refuses_floats_and_strings(percent: object) -> None:
    with pytest.raises(TypeError):
        percent_of(100, percent)  # type: ignore[arg-type]


def test_percent_of_refuses_non_finite() -> None:
    with pytest.raises(ValueError):
        percent_of(100, Decimal("Infinity"))
