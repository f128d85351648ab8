"""Where credit scores come from (信用评价联动).

:class:`CreditSource` is the interface the evaluation uses: a credit score on 0..100 by unified
social credit code (USCC), or None where the source has no record. :class:`FileCreditSource` is
the **file-based stand-in for the city credit platform**: a JSON file named by the setting
``YINGSHANG["CREDIT_SCORES_FILE"]`` (environment ``YINGSHANG_CREDIT_SCORES_FILE`` where the
lead wires it), keyed by USCC::

    {"91620100MA71ABCDE1": {"score": "92.5", "grade": "A", "as_of": "2026-10-01"},
     "91620100MA71ABCDE2": 78}

A value is either a number (integer or decimal string) or an object with ``score``. A real
credit-platform client implements the same interface; ``credit_source()`` picks the configured one.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Protocol

from django.conf import settings

__all__ = ["CreditSource", "FileCreditSource", "credit_source"]


class CreditSource(Protocol):
    name: str

    def score(self, uscc: str) -> Decimal | None: ...


class FileCreditSource:
    """Credit scores from a JSON file (the stand-in for the city credit platform)."""

    name = "file"

    def __init__(self, path: Path | str | None) -> None:
        self.path = Path(path) if path else None
        self._scores: dict[str, Decimal] | None = None

    def _load(self) -> dict[str, Decimal]:
        if self._scores is None:
            scores: dict[str, Decimal] = {}
            if self.path is not None and self.path.is_file():
                try:
                    raw = json.loads(self.path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    raw = {}
                if isinstance(raw, dict):
                    for uscc, entry in raw.items():
                        value = entry.get("score") if isinstance(entry, dict) else entry
                        if isinstance(value, bool) or value is None:
                            continue
                        try:
                            number = Decimal(str(value))
                        except (InvalidOperation, ValueError):
                            continue
                        if number.is_finite() and 0 <= number <= 100:
                            scores[str(uscc).strip().upper()] = number
            self._scores = scores
        return self._scores

    def score(self, uscc: str) -> Decimal | None:
        return self._load().get(uscc.strip().upper())


def credit_source() -> CreditSource:
    path = settings.YINGSHANG.get("CREDIT_SCORES_FILE") or getattr(settings, "CREDIT_SCORES_FILE", None)
    return FileCreditSource(str(path) if path else None)
