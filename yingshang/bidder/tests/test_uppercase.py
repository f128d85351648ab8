import pytest

from yingshang.bidder.uppercase import uppercase_yuan

CASES = [
    (0, "零元整"),
    (1, "壹分"),
    (5, "伍分"),
    (10, "壹角整"),
    (25, "贰角伍分"),
    (50, "伍角整"),
    (100, "壹元整"),
    (101, "壹元零壹分"),
    (110, "壹元壹角整"),
    (1000, "壹拾元整"),
    (1600, "壹拾陆元整"),
    (10000, "壹佰元整"),
    (10100, "壹佰零壹元整"),
    (32504, "叁佰贰拾伍元零肆分"),
    (140950, "壹仟肆佰零玖元伍角整"),
    (168032, "壹仟陆佰捌拾元叁角贰分"),
    (1000000, "壹万元整"),
    (1001000, "壹万零壹拾元整"),
    (1640902, "壹万陆仟肆佰零玖元零贰分"),
    (10050000, "壹拾万零伍佰元整"),
    (10700053, "壹拾万柒仟元伍角叁分"),
    (100000100, "壹佰万零壹元整"),
    (123456789, "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
    (10000000000, "壹亿元整"),
    (10000000100, "壹亿零壹元整"),
    (10000100000, "壹亿零壹仟元整"),
    (10100000000, "壹亿零壹佰万元整"),
    (100010000000, "壹拾亿零壹拾万元整"),
    (12345678901234, "壹仟贰佰叁拾肆亿伍仟陆佰柒拾捌万玖仟零壹拾贰元叁角肆分"),
    (100000000000000, "壹万亿元整"),
    (110000000000100, "壹万壹仟亿零壹元整"),
]


@pytest.mark.parametrize(("fen", "expected"), CASES)
def test_uppercase(fen: int, expected: str) -> None:
    assert uppercase_yuan(fen) == expected


def test_no_zero_doubling_or_trailing_zero() -> None:
    for fen in range(0, 2_000_000, 997):
        text = uppercase_yuan(fen)
        assert "零零" not in text
        assert not text.endswith("零整")
        assert "零元" not in text or fen == 0
        assert text.count("整") <= 1 and (text.endswith("整") or text.endswith("分"))


@pytest.mark.parametrize("bad", [-1, 1.5, "100", True, None])
def test_refuses_what_is_not_fen(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        uppercase_yuan(bad)  # type: ignore[arg-type]
