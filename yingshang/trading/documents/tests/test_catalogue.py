"""The template catalogue and field checking (pure: no database)."""

from __future__ import annotations

from datetime import date

import pytest

from yingshang.kernel.text import Text
from yingshang.trading.documents import catalogue
from yingshang.trading.documents.fields import FieldChoice, TemplateField, check_values, display_value

MINIMAL = """
code: sample
version: 1
category: goods
volume: 5
title: {zh: "样本", en: "Sample"}
fields:
  - {code: name, type: text, label: {zh: "名称", en: "Name"}}
sections:
  - {code: one, title: {zh: "第一章", en: "Chapter 1"}, body: "{{name}} 的说明"}
""".encode()


def test_the_catalogue_has_the_twelve_volumes_in_five_categories() -> None:
    templates = catalogue.current_templates()
    assert len(templates) == 12
    assert sorted(t.volume for t in templates) == list(range(1, 13))
    assert {t.category for t in templates} == set(catalogue.CATEGORIES)
    titles = {t.title.zh for t in templates}
    assert {
        "标准施工招标文件",
        "选择投资人标准招标文件",
        "全过程咨询服务标准招标文件",
        "标准勘察招标文件",
    } <= titles
    for t in templates:  # every placeholder has its field, every template has a notice chapter
        assert t.sections[0].code == "notice"
        assert all(t.field(name) for s in t.sections for name in s.placeholders())
        assert len(t.content_sha256) == 64


def test_a_template_file_parses_and_its_digest_is_of_the_bytes() -> None:
    t = catalogue.parse_template(MINIMAL)
    assert (t.code, t.version, t.category, t.volume) == ("sample", 1, "goods", 5)
    assert t.sections[0].placeholders() == ["name"]
    assert catalogue.parse_template(MINIMAL + b"\n").content_sha256 != t.content_sha256


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("{{name}}", "{{nobody}}"), "placeholders without a field"),
        (("type: text", "type: number"), "is not one of"),
        (("category: goods", "category: land"), "category"),
        (("version: 1", "version: 0"), "version"),
        (('en: "Name"', 'en: ""'), "non-empty"),
        (("code: sample", "code: Sample!"), "code"),
        (("volume: 5", "volume: 5\nextra: 1"), "unknown keys"),
    ],
)
def test_broken_template_files_are_refused_with_the_reason(change: tuple[str, str], message: str) -> None:
    with pytest.raises(catalogue.TemplateError, match=message):
        catalogue.parse_template(MINIMAL.replace(change[0].encode(), change[1].encode()))


def test_not_yaml_is_refused() -> None:
    with pytest.raises(catalogue.TemplateError):
        catalogue.parse_template(b"\xff\xfe: [")
    with pytest.raises(catalogue.TemplateError):
        catalogue.parse_template(b"- just a list")


FIELDS = (
    TemplateField("name", "text", Text("名称", "Name"), max_length=10),
    TemplateField("notes", "text", Text("说明", "Notes"), required=False, multiline=True),
    TemplateField("price", "money", Text("限价", "Ceiling"), min_fen=100, max_fen=10_000),
    TemplateField("day", "date", Text("日期", "Day")),
    TemplateField(
        "method",
        "choice",
        Text("方法", "Method"),
        choices=(FieldChoice("a", Text("甲", "A")), FieldChoice("b", Text("乙", "B"))),
    ),
)


def test_good_values_are_cleaned() -> None:
    cleaned, problems = check_values(
        FIELDS, {"name": " 道路 ", "price": "500", "day": date(2026, 12, 1), "method": "b"}, complete=True
    )
    assert problems == []
    assert cleaned == {"name": "道路", "price": 500, "day": "2026-12-01", "method": "b"}


def test_every_problem_is_reported_at_once() -> None:
    _cleaned, problems = check_values(
        FIELDS,
        {"name": "x" * 11, "price": 12.5, "day": "2026-02-30", "method": "c", "typo": 1},
        complete=True,
    )
    codes = {(p.field, p.code) for p in problems}
    assert codes == {
        ("typo", "unknown_field"),
        ("name", "too_long"),
        ("price", "not_fen"),
        ("day", "not_date"),
        ("method", "unknown_choice"),
    }
    assert all(p.message.zh and p.message.en for p in problems)


@pytest.mark.parametrize(
    ("value", "code"),
    [(99, "too_small"), (10_001, "too_large"), (True, "not_fen"), ("1.5", "not_fen"), ([1], "not_fen")],
)
def test_money_is_whole_fen_within_limits(value: object, code: str) -> None:
    _cleaned, problems = check_values(FIELDS, {"price": value}, complete=False)
    assert [p.code for p in problems] == [code]


def test_a_draft_may_leave_required_fields_empty_but_publication_may_not() -> None:
    assert check_values(FIELDS, {"name": ""}, complete=False) == ({}, [])
    _cleaned, problems = check_values(FIELDS, {}, complete=True)
    assert {p.field for p in problems if p.code == "required"} == {"name", "price", "day", "method"}


def test_text_rules() -> None:
    _c, problems = check_values(FIELDS, {"name": "a\nb", "notes": "a\x00"}, complete=False)
    assert {(p.field, p.code) for p in problems} == {("name", "one_line"), ("notes", "invalid_characters")}
    _c, problems = check_values(FIELDS, {"name": 5}, complete=False)
    assert [p.code for p in problems] == ["not_text"]


def test_values_as_shown_in_the_document() -> None:
    price, day, method = FIELDS[2], FIELDS[3], FIELDS[4]
    assert display_value(price, 123456) == "¥1,234.56（人民币壹仟贰佰叁拾肆元伍角陆分）"
    assert display_value(price, 123456, "en") == "¥1,234.56"
    assert display_value(day, "2026-12-01") == "2026年12月1日"
    assert display_value(method, "a") == "甲"
    assert display_value(method, "a", "en") == "A"
