"""The catalogue of standard tender-document templates: parsing and checking the data files.

Pure: imports no Django (reads YAML). The templates live in ``standard/*.yaml`` beside this
module, one file per template version (``<code>.v<version>.yaml``), following Xiong'an's
*Standard Tender Documents for Construction Projects* (《雄安新区工程建设项目标准招标文件》, 2020
edition): 12 volumes in 5 categories (works, goods, services, investment, whole-process
consulting). A file declares::

    code: works-construction          # stable across versions
    version: 1                        # a new version is a new file; a used version never changes
    category: works                   # works | goods | services | investment | consulting
    volume: 2                         # the volume number in the 12-volume set
    title: {zh: ..., en: ...}
    basis: 《...》
    fields:                           # fillable fields (see fields.py for the types)
      - {code: project_name, type: text, label: {zh: ..., en: ...}, required: true}
      - {code: estimated_price, type: money, label: ..., min: 0}
      - {code: evaluation_method, type: choice, label: ..., choices: [{value: .., zh: .., en: ..}]}
    sections:                         # the volume's chapters, in order
      - {code: notice, title: {zh: ..., en: ...}, body: "paragraphs with {{project_name}}"}

``content_sha256`` is the digest of the file's bytes: a version that a tender has used is
pinned to that digest (``models.TemplateVersion``) and the platform refuses to use it once the
file no longer matches (change a used template by adding a new version file).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from yingshang.kernel.text import Text
from yingshang.trading.documents.fields import (
    DEFAULT_MAX_LENGTH,
    FIELD_TYPES,
    FieldChoice,
    TemplateField,
    valid_code,
)

__all__ = [
    "CATEGORIES",
    "PLACEHOLDER",
    "Section",
    "StandardTemplate",
    "TemplateError",
    "load_catalogue",
    "parse_template",
]

STANDARD_DIR = Path(__file__).resolve().parent / "standard"
PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")

#: The five categories of the Xiong'an set, in its order.
CATEGORIES: dict[str, Text] = {
    "works": Text(zh="工程", en="Works"),
    "goods": Text(zh="货物", en="Goods"),
    "services": Text(zh="服务", en="Services"),
    "investment": Text(zh="投资", en="Investment"),
    "consulting": Text(zh="全过程咨询服务", en="Whole-process consulting"),
}


class TemplateError(ValueError):
    """A template file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Section:
    code: str
    title: Text
    body: str

    def placeholders(self) -> list[str]:
        return PLACEHOLDER.findall(self.body)


@dataclass(frozen=True)
class StandardTemplate:
    code: str
    version: int
    category: str
    volume: int
    title: Text
    basis: str
    fields: tuple[TemplateField, ...]
    sections: tuple[Section, ...]
    content_sha256: str
    source: str = ""

    @property
    def key(self) -> str:
        return f"{self.code}@v{self.version}"

    @property
    def category_label(self) -> Text:
        return CATEGORIES[self.category]

    def field(self, code: str) -> TemplateField | None:
        return next((item for item in self.fields if item.code == code), None)


def _text(raw: Any, where: str) -> Text:
    zh = raw.get("zh") if isinstance(raw, Mapping) else None
    en = raw.get("en") if isinstance(raw, Mapping) else None
    if isinstance(zh, str) and isinstance(en, str) and zh.strip() and en.strip():
        return Text(zh=zh.strip(), en=en.strip())
    raise TemplateError(f"{where}: needs a title/label with non-empty 'zh' and 'en'")


def _int(raw: Any, where: str, *, minimum: int = 0) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < minimum:
        raise TemplateError(f"{where}: must be an integer of at least {minimum}")
    return raw


def _field(raw: Any, where: str) -> TemplateField:
    if not isinstance(raw, Mapping):
        raise TemplateError(f"{where}: a field is a mapping")
    code = raw.get("code")
    if not isinstance(code, str) or not valid_code(code):
        raise TemplateError(f"{where}: field code {code!r} must be lower-case letters, digits, '_'")
    where = f"{where} ({code})"
    kind = raw.get("type")
    if kind not in FIELD_TYPES:
        raise TemplateError(f"{where}: type {kind!r} is not one of {', '.join(FIELD_TYPES)}")
    unknown = set(raw) - {
        "code",
        "type",
        "label",
        "required",
        "help",
        "max_length",
        "multiline",
        "min",
        "max",
        "choices",
    }
    if unknown:
        raise TemplateError(f"{where}: unknown keys {sorted(unknown)}")
    choices: tuple[FieldChoice, ...] = ()
    if kind == "choice":
        listed = raw.get("choices")
        if not isinstance(listed, list) or not listed:
            raise TemplateError(f"{where}: a choice field lists its choices")
        choices = tuple(
            FieldChoice(value=str(item.get("value")), label=_text(item, f"{where} choice"))
            for item in listed
            if isinstance(item, Mapping)
        )
        if len(choices) != len(listed) or len({c.value for c in choices}) != len(choices):
            raise TemplateError(f"{where}: choices need distinct values and zh/en labels")
    elif "choices" in raw:
        raise TemplateError(f"{where}: only choice fields have choices")
    if kind != "money" and ("min" in raw or "max" in raw):
        raise TemplateError(f"{where}: min/max apply to money fields (in fen)")
    required = raw.get("required", True)
    if not isinstance(required, bool):
        raise TemplateError(f"{where}: required is true or false")
    return TemplateField(
        code=code,
        type=kind,
        label=_text(raw.get("label"), where),
        required=required,
        help=_text(raw["help"], f"{where} help") if "help" in raw else None,
        max_length=_int(raw.get("max_length", DEFAULT_MAX_LENGTH), f"{where} max_length", minimum=1),
        multiline=bool(raw.get("multiline", False)),
        min_fen=_int(raw["min"], f"{where} min") if "min" in raw else None,
        max_fen=_int(raw["max"], f"{where} max") if "max" in raw else None,
        choices=choices,
    )


def parse_template(content: bytes, *, source: str = "<template>") -> StandardTemplate:
    """Parse and check one template file; :class:`TemplateError` names what is wrong."""
    try:
        raw = yaml.safe_load(content.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TemplateError(f"{source}: not valid UTF-8 YAML ({exc})") from None
    if not isinstance(raw, Mapping):
        raise TemplateError(f"{source}: the file is a mapping")
    unknown = set(raw) - {"code", "version", "category", "volume", "title", "basis", "fields", "sections"}
    if unknown:
        raise TemplateError(f"{source}: unknown keys {sorted(unknown)}")
    code = raw.get("code")
    if not isinstance(code, str) or not re.fullmatch(r"[a-z][a-z0-9-]{1,62}", code):
        raise TemplateError(f"{source}: code {code!r} must be lower-case letters, digits and '-'")
    category = raw.get("category")
    if category not in CATEGORIES:
        raise TemplateError(f"{source}: category {category!r} is not one of {', '.join(CATEGORIES)}")
    fields_raw = raw.get("fields")
    sections_raw = raw.get("sections")
    if not isinstance(fields_raw, list) or not isinstance(sections_raw, list) or not sections_raw:
        raise TemplateError(f"{source}: 'fields' and 'sections' are lists (at least one section)")
    fields = tuple(_field(item, f"{source} field {n}") for n, item in enumerate(fields_raw, 1))
    codes = [item.code for item in fields]
    if len(set(codes)) != len(codes):
        raise TemplateError(f"{source}: field codes repeat")
    sections = []
    for n, item in enumerate(sections_raw, 1):
        if not isinstance(item, Mapping) or not isinstance(item.get("body"), str):
            raise TemplateError(f"{source} section {n}: needs code, title and body")
        section = Section(
            code=str(item.get("code") or f"section-{n}"),
            title=_text(item.get("title"), f"{source} section {n}"),
            body=item["body"].strip(),
        )
        missing = [name for name in section.placeholders() if name not in codes]
        if missing:
            raise TemplateError(f"{source} section {n}: placeholders without a field: {sorted(set(missing))}")
        sections.append(section)
    return StandardTemplate(
        code=code,
        version=_int(raw.get("version"), f"{source} version", minimum=1),
        category=category,
        volume=_int(raw.get("volume"), f"{source} volume", minimum=1),
        title=_text(raw.get("title"), f"{source} title"),
        basis=str(raw.get("basis") or ""),
        fields=fields,
        sections=tuple(sections),
        content_sha256=hashlib.sha256(content).hexdigest(),
        source=source,
    )


def parse_files(paths: Iterable[Path]) -> dict[tuple[str, int], StandardTemplate]:
    found: dict[tuple[str, int], StandardTemplate] = {}
    for path in sorted(paths):
        template = parse_template(path.read_bytes(), source=path.name)
        expected = f"{template.code}.v{template.version}.yaml"
        if path.name != expected:
            raise TemplateError(f"{path.name}: name the file {expected}")
        found[(template.code, template.version)] = template
    return found


@cache
def load_catalogue() -> dict[tuple[str, int], StandardTemplate]:
    """Every template version shipped with the platform, by ``(code, version)`` (read once)."""
    return parse_files(STANDARD_DIR.glob("*.yaml"))


def latest(code: str) -> StandardTemplate | None:
    versions = [t for (c, _v), t in load_catalogue().items() if c == code]
    return max(versions, key=lambda t: t.version) if versions else None


def current_templates() -> list[StandardTemplate]:
    """The latest version of every template, in the set's volume order."""
    codes = {code for code, _version in load_catalogue()}
    templates = [t for t in (latest(code) for code in codes) if t is not None]
    return sorted(templates, key=lambda t: (list(CATEGORIES).index(t.category), t.volume))
