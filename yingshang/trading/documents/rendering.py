"""Rendering filled templates to HTML and PDF. Pure: imports no Django.

PDF by WeasyPrint (pango underneath) with the Noto CJK fonts of Debian's ``fonts-noto-cjk``
(``make system-deps``), so Chinese text is embedded as real text: a reader can search and
copy it, and ``pypdf`` extracts it. (The tender notice is the projects context's: ``trading.projects.notice_templates``.)

The output is deterministic for the same input (no "now" inside: the caller passes the times
it wants printed), which keeps re-renders of the same version byte-identical where WeasyPrint
allows it (it stamps no creation date when ``metadata`` carries none).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from yingshang.trading.documents.catalogue import PLACEHOLDER, StandardTemplate
from yingshang.trading.documents.fields import display_value

__all__ = ["Change", "QuestionAnswer", "RenderInfo", "render_html", "render_pdf"]

#: The font stack: Debian's Noto CJK (serif for the body, sans for headings).
FONTS_SERIF = '"Noto Serif CJK SC", "Noto Serif CJK", "Noto Sans CJK SC", serif'
FONTS_SANS = '"Noto Sans CJK SC", "Noto Sans CJK", sans-serif'

CSS = f"""
@page {{ size: A4; margin: 22mm 20mm 22mm 20mm;
  @bottom-center {{ content: counter(page) " / " counter(pages); font-family: {FONTS_SANS}; font-size: 9pt; color: #555; }}
  @top-right {{ content: string(doc-ref); font-family: {FONTS_SANS}; font-size: 8pt; color: #555; }} }}
body {{ font-family: {FONTS_SERIF}; font-size: 11pt; line-height: 1.7; color: #111; }}
h1, h2, h3 {{ font-family: {FONTS_SANS}; }}
h1 {{ font-size: 20pt; text-align: center; margin: 40mm 0 6mm; }}
.ref {{ string-set: doc-ref content(); }}
.cover p {{ text-align: center; }}
h2 {{ font-size: 14pt; margin-top: 10mm; page-break-after: avoid; }}
p {{ text-indent: 2em; margin: 0 0 3mm; }}
table {{ border-collapse: collapse; width: 100%; font-size: 10pt; }}
td, th {{ border: 0.5pt solid #444; padding: 2mm; vertical-align: top; }}
.meta td:first-child {{ width: 35%; }}
.blank {{ color: #a00; }}
"""


@dataclass(frozen=True)
class Change:
    """One field changed by an amendment: its label and both values as shown."""

    label: str
    old: str
    new: str


@dataclass(frozen=True)
class QuestionAnswer:
    number: int
    question: str
    answer: str


@dataclass(frozen=True)
class RenderInfo:
    """What the document prints besides the template: its reference and version history."""

    tender_code: str
    tender_title: str
    version: int
    kind: str  # original | amendment | clarification
    issued_on: str  # as printed, e.g. "2026年12月1日"
    reason: str = ""
    changes: Sequence[Change] = field(default_factory=tuple)
    answers: Sequence[QuestionAnswer] = field(default_factory=tuple)
    deadline_note: str = ""


_KIND_ZH = {"original": "原件", "amendment": "修改", "clarification": "澄清"}


def _paragraphs(text: str) -> str:
    parts = [part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip()]
    return "\n".join(f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>" for part in parts)


def fill(template: StandardTemplate, body: str, values: Mapping[str, Any]) -> str:
    """``body`` with each ``{{field}}`` replaced by the value as shown (blank: ``________``)."""

    def replace(match: Any) -> str:
        item = template.field(match.group(1))
        value = values.get(match.group(1))
        if item is None or value in (None, ""):
            return "________"
        return display_value(item, value)

    return PLACEHOLDER.sub(replace, body)


def render_html(template: StandardTemplate, values: Mapping[str, Any], info: RenderInfo) -> str:
    """The whole document as one HTML page (cover, version history, chapters)."""
    esc = html.escape
    ref = f"{info.tender_code} · {template.title.zh} · 第{info.version}版"
    out = [
        "<!DOCTYPE html><html lang='zh-Hans'><head><meta charset='utf-8'>",
        f"<title>{esc(info.tender_title)} {esc(template.title.zh)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<div class='ref' style='display:none'>{esc(ref)}</div>",
        "<section class='cover'>",
        f"<h1>{esc(info.tender_title)}<br>{esc(template.title.zh)}</h1>",
        f"<p>招标编号：{esc(info.tender_code)}</p>",
        f"<p>第 {info.version} 版（{esc(_KIND_ZH.get(info.kind, info.kind))}） {esc(info.issued_on)}</p>",
        f"<p>依据：{esc(template.basis)}　模板：{esc(template.code)} 第{template.version}版</p>",
        "</section>",
    ]
    if info.version > 1 or info.changes or info.answers:
        out.append("<h2>澄清与修改（本版说明）</h2>")
        if info.reason:
            out.append(_paragraphs(f"原因：{info.reason}"))
        if info.deadline_note:
            out.append(_paragraphs(info.deadline_note))
        if info.changes:
            out.append("<table><tr><th>内容</th><th>原为</th><th>现改为</th></tr>")
            out.extend(
                f"<tr><td>{esc(c.label)}</td><td>{esc(c.old)}</td><td>{esc(c.new)}</td></tr>"
                for c in info.changes
            )
            out.append("</table>")
        for qa in info.answers:
            out.append(f"<p><b>问题 {qa.number}：</b>{esc(qa.question)}</p>")
            out.append(f"<p><b>答复：</b>{esc(qa.answer)}</p>")
    for section in template.sections:
        out.append(f"<h2>{esc(section.title.zh)}</h2>")
        out.append(_paragraphs(fill(template, section.body, values)))
    out.append("</body></html>")
    return "\n".join(out)


def render_pdf(page: str, *, title: str = "", author: str = "") -> bytes:
    """The HTML page as PDF bytes (fonts embedded)."""
    from weasyprint import HTML  # heavy import: only when a PDF is made

    document = HTML(string=page).render()
    document.metadata.title = title or None
    document.metadata.authors = [author] if author else []
    document.metadata.created = None
    document.metadata.modified = None
    return bytes(document.write_pdf())
