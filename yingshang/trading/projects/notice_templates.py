"""Standard notice templates (招标公告 / 采购公告) and their rendering to HTML and PDF.

Pure: imports no Django (reads YAML; WeasyPrint only when a PDF is made). The templates live
in ``notice_standard/<code>.v<version>.yaml`` beside this module, one file per version, in the
style of the documents context's catalogue: a used version never changes, a change is a new
file. One template per regime::

    code: tendering-notice            # stable across versions
    version: 1
    regime: tendering                 # tendering | procurement (reference.REGIMES)
    title: {zh: 招标公告, en: Tender notice}
    basis: 《...》
    kinds:                            # the heading of each notice kind (models.Notice.Kind)
      tender_notice: {zh: 招标公告, en: Tender notice}
      amendment: {zh: 变更公告, en: Amendment notice}
      ...
    sections:                         # in order; ``kinds`` limits a section to some kinds
      - {code: project, title: {zh: ..., en: ...}, body: "text with {{project_name}}", kinds: [tender_notice]}

The placeholders are not filled by a person: the platform fills them from the tender
(:data:`PLACEHOLDERS`); a template that names any other is refused. The rendering is
deterministic for the same values (no "now" inside; no creation date in the PDF).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from yingshang.kernel.text import Text

__all__ = [
    "KINDS",
    "PLACEHOLDERS",
    "NoticeSection",
    "NoticeTemplate",
    "NoticeTemplateError",
    "latest_for_regime",
    "load_notice_templates",
    "parse_notice_template",
    "render_notice_html",
    "render_notice_pdf",
]

STANDARD_DIR = Path(__file__).resolve().parent / "notice_standard"
PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")

#: The notice kinds (``models.Notice.Kind`` values); each template names a heading for each.
KINDS = ("tender_notice", "amendment", "suspension", "resumption", "cancellation")

#: What the platform fills in (all values are text as printed; Beijing time for moments).
PLACEHOLDERS = frozenset(
    {
        "project_name",
        "project_code",
        "ocid",
        "tender_title",
        "resource_kind",
        "regime",
        "method",
        "tenderer",
        "agency",
        "supervisor",
        "lots",  # one line per lot: name, estimated price or budget, deposit, qualifications
        "documents_from",
        "documents_until",
        "questions_until",
        "bid_deadline",
        "bid_validity",
        "published_on",
        "version",
        "notice_text",  # the publisher's text (tender notice) or the platform's (other kinds)
        "reason",
        "previous_ocid",
        "notice_url",
    }
)


class NoticeTemplateError(ValueError):
    """A notice template file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class NoticeSection:
    code: str
    title: Text
    body: str
    kinds: frozenset[str]


@dataclass(frozen=True)
class NoticeTemplate:
    code: str
    version: int
    regime: str
    title: Text
    basis: str
    kind_titles: Mapping[str, Text]
    sections: tuple[NoticeSection, ...]
    content_sha256: str

    @property
    def key(self) -> str:
        return f"{self.code}@v{self.version}"


def _text(raw: Any, where: str) -> Text:
    zh = raw.get("zh") if isinstance(raw, Mapping) else None
    en = raw.get("en") if isinstance(raw, Mapping) else None
    if isinstance(zh, str) and isinstance(en, str) and zh.strip() and en.strip():
        return Text(zh=zh.strip(), en=en.strip())
    raise NoticeTemplateError(f"{where}: needs a title with non-empty 'zh' and 'en'")


def parse_notice_template(content: bytes, *, source: str = "<notice template>") -> NoticeTemplate:
    """Parse and check one notice template; :class:`NoticeTemplateError` names what is wrong."""
    try:
        raw = yaml.safe_load(content.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise NoticeTemplateError(f"{source}: not valid UTF-8 YAML ({exc})") from None
    if not isinstance(raw, Mapping):
        raise NoticeTemplateError(f"{source}: the file is a mapping")
    unknown = set(raw) - {"code", "version", "regime", "title", "basis", "kinds", "sections"}
    if unknown:
        raise NoticeTemplateError(f"{source}: unknown keys {sorted(unknown)}")
    code = raw.get("code")
    if not isinstance(code, str) or not re.fullmatch(r"[a-z][a-z0-9-]{1,62}", code):
        raise NoticeTemplateError(f"{source}: code {code!r} must be lower-case letters, digits and '-'")
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise NoticeTemplateError(f"{source}: version must be an integer of at least 1")
    regime = raw.get("regime")
    if regime not in ("tendering", "procurement"):
        raise NoticeTemplateError(f"{source}: regime {regime!r} is not tendering or procurement")
    kinds_raw = raw.get("kinds")
    if not isinstance(kinds_raw, Mapping) or set(kinds_raw) != set(KINDS):
        raise NoticeTemplateError(f"{source}: 'kinds' names a heading for each of {', '.join(KINDS)}")
    kind_titles = {kind: _text(kinds_raw[kind], f"{source} kind {kind}") for kind in KINDS}
    sections_raw = raw.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        raise NoticeTemplateError(f"{source}: 'sections' is a list (at least one section)")
    sections = []
    for n, item in enumerate(sections_raw, 1):
        where = f"{source} section {n}"
        if not isinstance(item, Mapping) or not isinstance(item.get("body"), str):
            raise NoticeTemplateError(f"{where}: needs code, title and body")
        extra = set(item) - {"code", "title", "body", "kinds"}
        if extra:
            raise NoticeTemplateError(f"{where}: unknown keys {sorted(extra)}")
        listed = item.get("kinds", list(KINDS))
        if not isinstance(listed, list) or not listed or not set(listed) <= set(KINDS):
            raise NoticeTemplateError(f"{where}: kinds is a non-empty list of {', '.join(KINDS)}")
        section = NoticeSection(
            code=str(item.get("code") or f"section-{n}"),
            title=_text(item.get("title"), where),
            body=item["body"].strip(),
            kinds=frozenset(listed),
        )
        missing = sorted(set(PLACEHOLDER.findall(section.body)) - PLACEHOLDERS)
        if missing:
            raise NoticeTemplateError(f"{where}: unknown placeholders {missing}")
        sections.append(section)
    return NoticeTemplate(
        code=code,
        version=version,
        regime=regime,
        title=_text(raw.get("title"), f"{source} title"),
        basis=str(raw.get("basis") or ""),
        kind_titles=kind_titles,
        sections=tuple(sections),
        content_sha256=hashlib.sha256(content).hexdigest(),
    )


@cache
def load_notice_templates() -> dict[tuple[str, int], NoticeTemplate]:
    """Every notice template version shipped with the platform, by ``(code, version)``."""
    found: dict[tuple[str, int], NoticeTemplate] = {}
    for path in sorted(STANDARD_DIR.glob("*.yaml")):
        template = parse_notice_template(path.read_bytes(), source=path.name)
        expected = f"{template.code}.v{template.version}.yaml"
        if path.name != expected:
            raise NoticeTemplateError(f"{path.name}: name the file {expected}")
        found[(template.code, template.version)] = template
    return found


def latest_for_regime(regime: str) -> NoticeTemplate:
    """The latest version of the regime's notice template (``NoticeTemplateError`` if none)."""
    candidates = [t for t in load_notice_templates().values() if t.regime == regime]
    if not candidates:
        raise NoticeTemplateError(f"no notice template for the regime {regime!r}")
    return max(candidates, key=lambda t: (t.code, t.version))


#: Debian's Noto CJK fonts (``fonts-noto-cjk``), as the tender documents use.
FONTS_SERIF = '"Noto Serif CJK SC", "Noto Serif CJK", "Noto Sans CJK SC", serif'
FONTS_SANS = '"Noto Sans CJK SC", "Noto Sans CJK", sans-serif'

CSS = f"""
@page {{ size: A4; margin: 22mm 20mm 22mm 20mm;
  @bottom-center {{ content: counter(page) " / " counter(pages); font-family: {FONTS_SANS}; font-size: 9pt; color: #555; }} }}
body {{ font-family: {FONTS_SERIF}; font-size: 11pt; line-height: 1.7; color: #111; }}
h1, h2 {{ font-family: {FONTS_SANS}; }}
h1 {{ font-size: 18pt; text-align: center; margin: 6mm 0 4mm; }}
h2 {{ font-size: 13pt; margin-top: 7mm; page-break-after: avoid; }}
p {{ text-indent: 2em; margin: 0 0 3mm; }}
p.ref {{ text-align: center; text-indent: 0; color: #333; font-size: 10pt; }}
"""


def fill(body: str, values: Mapping[str, str]) -> str:
    """``body`` with each ``{{placeholder}}`` replaced by its value (blank: ``——``)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or "——", body)


def _paragraphs(text: str) -> str:
    parts = [part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip()]
    return "\n".join(f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>" for part in parts)


def render_notice_html(template: NoticeTemplate, kind: str, title: str, values: Mapping[str, str]) -> str:
    """One notice version as an HTML page: heading, reference line, the kind's sections."""
    esc = html.escape
    heading = template.kind_titles[kind].zh
    out = [
        "<!DOCTYPE html><html lang='zh-Hans'><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p class='ref'>{esc(heading)} · {esc(values.get('ocid', ''))} · "
        f"第 {esc(values.get('version', ''))} 版 · {esc(values.get('published_on', ''))}</p>",
    ]
    for section in template.sections:
        if kind in section.kinds:
            out.append(f"<h2>{esc(section.title.zh)}</h2>")
            out.append(_paragraphs(fill(section.body, values)))
    out.append(
        f"<p class='ref'>依据：{esc(template.basis)}　模板：{esc(template.code)} 第{template.version}版</p>"
    )
    out.append("</body></html>")
    return "\n".join(out)


def render_notice_pdf(page: str, *, title: str = "", author: str = "") -> bytes:
    """The HTML page as PDF bytes (fonts embedded, no creation date)."""
    from weasyprint import HTML  # heavy import: only when a PDF is made

    document = HTML(string=page).render()
    document.metadata.title = title or None
    document.metadata.authors = [author] if author else []
    document.metadata.created = None
    document.metadata.modified = None
    return bytes(document.write_pdf())
