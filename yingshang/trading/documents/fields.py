"""Fillable fields of a standard tender-document template and the checking of their values.

Pure: imports no Django. Four types:

- ``text``: a string, trimmed; ``max_length`` (default 2000), optional ``multiline``;
- ``money``: an integer number of fen (分); ``min``/``max`` in fen; shown as ``¥1,234.56``
  with the amount in Chinese capitals (``壹仟贰佰叁拾肆元伍角陆分``);
- ``date``: an ISO date ``YYYY-MM-DD``; shown as ``2026年12月1日``;
- ``choice``: one of the declared values; shown by its Chinese label.

``check_values(fields, values, complete=...)`` checks every field at once and returns the
cleaned values and every problem (never only the first), each with the field's code, a stable
error code and a bilingual :class:`~yingshang.kernel.text.Text`. A draft may leave fields empty
(``complete=False``); publishing needs every required field (``complete=True``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from typing import Any

from yingshang.kernel.money import format_fen, to_chinese_uppercase
from yingshang.kernel.text import Text

__all__ = [
    "FIELD_TYPES",
    "FieldChoice",
    "FieldProblem",
    "TemplateField",
    "check_values",
    "display_value",
]

FIELD_TYPES = ("text", "money", "date", "choice")
DEFAULT_MAX_LENGTH = 2000
#: The largest amount a template accepts (a trillion yuan): beyond it a value is a typo.
MAX_FEN = 10**14
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class FieldChoice:
    value: str
    label: Text


@dataclass(frozen=True)
class TemplateField:
    """One fillable field: its code (used as ``{{code}}`` in section bodies), type and limits."""

    code: str
    type: str
    label: Text
    required: bool = True
    help: Text | None = None
    max_length: int = DEFAULT_MAX_LENGTH
    multiline: bool = False
    min_fen: int | None = None
    max_fen: int | None = None
    choices: tuple[FieldChoice, ...] = ()

    def choice_label(self, value: str) -> Text | None:
        return next((choice.label for choice in self.choices if choice.value == value), None)


@dataclass(frozen=True)
class FieldProblem:
    field: str
    code: str
    message: Text = dataclass_field(compare=False)

    def as_detail(self, language: str | None = None) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message.render(language)}


def _problem(item: TemplateField, code: str, zh: str, en: str, **params: Any) -> FieldProblem:
    label = item.label
    return FieldProblem(
        field=item.code,
        code=code,
        message=Text(zh=zh, en=en, params={"label_zh": label.zh, "label_en": label.en, **params}),
    )


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_text(item: TemplateField, value: Any) -> tuple[Any, FieldProblem | None]:
    if not isinstance(value, str):
        return None, _problem(item, "not_text", "“%(label_zh)s”应为文字。", "“%(label_en)s” must be text.")
    cleaned = value.strip().replace("\r\n", "\n")
    if "\x00" in cleaned:
        return None, _problem(
            item,
            "invalid_characters",
            "“%(label_zh)s”含有无效字符。",
            "“%(label_en)s” has invalid characters.",
        )
    if not item.multiline and "\n" in cleaned:
        return None, _problem(
            item, "one_line", "“%(label_zh)s”只能填写一行。", "“%(label_en)s” must be one line."
        )
    if len(cleaned) > item.max_length:
        return None, _problem(
            item,
            "too_long",
            "“%(label_zh)s”最多 %(max)s 个字符（现有 %(length)s 个）。",
            "“%(label_en)s” takes at most %(max)s characters (%(length)s given).",
            max=item.max_length,
            length=len(cleaned),
        )
    return cleaned, None


def _check_money(item: TemplateField, value: Any) -> tuple[Any, FieldProblem | None]:
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        return None, _problem(
            item,
            "not_fen",
            "“%(label_zh)s”应为以分为单位的整数金额。",
            "“%(label_en)s” must be a whole number of fen (0.01 yuan).",
        )
    low = item.min_fen if item.min_fen is not None else 0
    high = item.max_fen if item.max_fen is not None else MAX_FEN
    if value < low:
        return None, _problem(
            item,
            "too_small",
            "“%(label_zh)s”不得低于 %(limit)s。",
            "“%(label_en)s” must be at least %(limit)s.",
            limit=format_fen(low),
        )
    if value > high:
        return None, _problem(
            item,
            "too_large",
            "“%(label_zh)s”不得超过 %(limit)s。",
            "“%(label_en)s” must be at most %(limit)s.",
            limit=format_fen(high),
        )
    return value, None


def _check_date(item: TemplateField, value: Any) -> tuple[Any, FieldProblem | None]:
    if isinstance(value, date):
        return value.isoformat(), None
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat(), None
        except ValueError:
            pass
    return None, _problem(
        item,
        "not_date",
        "“%(label_zh)s”应为有效日期，格式如 2026-12-01。",
        "“%(label_en)s” must be a valid date such as 2026-12-01.",
    )


def _check_choice(item: TemplateField, value: Any) -> tuple[Any, FieldProblem | None]:
    if isinstance(value, str) and item.choice_label(value.strip()) is not None:
        return value.strip(), None
    return None, _problem(
        item,
        "unknown_choice",
        "“%(label_zh)s”请从以下选项中选择：%(known)s。",
        "Choose “%(label_en)s” from: %(known)s.",
        known=", ".join(choice.value for choice in item.choices),
    )


_CHECKERS = {"text": _check_text, "money": _check_money, "date": _check_date, "choice": _check_choice}


def check_values(
    fields: Sequence[TemplateField], values: Mapping[str, Any], *, complete: bool
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Check ``values`` against ``fields``: ``(cleaned, problems)``.

    Empty values are dropped from ``cleaned``; with ``complete`` a missing required field is a
    problem. A key that names no field is a problem (a typo must not vanish silently).
    """
    cleaned: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    known = {item.code for item in fields}
    for key in values:
        if key not in known:
            problems.append(
                FieldProblem(
                    field=str(key)[:64],
                    code="unknown_field",
                    message=Text(
                        zh="模板中没有字段“%(key)s”。",
                        en="The template has no field “%(key)s”.",
                        params={"key": str(key)[:64]},
                    ),
                )
            )
    for item in fields:
        value = values.get(item.code)
        if _is_empty(value):
            if complete and item.required:
                problems.append(
                    _problem(item, "required", "请填写“%(label_zh)s”。", "Fill in “%(label_en)s”.")
                )
            continue
        result, problem = _CHECKERS[item.type](item, value)
        if problem is not None:
            problems.append(problem)
        else:
            cleaned[item.code] = result
    return cleaned, problems


def display_value(item: TemplateField, value: Any, language: str = "zh-hans") -> str:
    """A checked value as it appears in the rendered document."""
    if value is None or value == "":
        return ""
    if item.type == "money":
        if language.startswith("zh"):
            return f"{format_fen(int(value))}（人民币{to_chinese_uppercase(int(value))}）"
        return format_fen(int(value))
    if item.type == "date":
        day = date.fromisoformat(str(value))
        if language.startswith("zh"):
            return f"{day.year}年{day.month}月{day.day}日"
        return day.isoformat()
    if item.type == "choice":
        label = item.choice_label(str(value))
        return label.render(language) if label is not None else str(value)
    return str(value)


def valid_code(code: str) -> bool:
    return bool(_CODE.fullmatch(code))
