"""Bilingual messages for the pure modules of the kernel, which import no Django.

A pure module cannot call Django's gettext, yet its messages (a wrong credit code, a statutory
rule broken) reach people in their language. It builds a :class:`Text` with both versions;
``str(text)`` picks the active language. The kernel's Django app plugs Django's active
language into :data:`language_getter` at start-up; without Django, Chinese is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def _default_language() -> str:
    return "zh-hans"


language_getter: Callable[[], str | None] = _default_language


@dataclass(frozen=True)
class Text:
    """A message in Chinese and English, with %-style parameters filled in both."""

    zh: str
    en: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, language: str | None = None) -> str:
        lang = (language or language_getter() or "zh-hans").lower()
        template = self.en if lang.startswith("en") else self.zh
        return template % dict(self.params) if self.params else template

    def __str__(self) -> str:
        return self.render()

    def as_dict(self) -> dict[str, str]:
        return {"zh-hans": self.render("zh-hans"), "en": self.render("en")}
