"""The registry of ledger action codes, each with a Chinese and an English label. Pure: no Django.

Every fact recorded in the evidence ledger names what happened with a dotted code owned by the
context that does it (``identity.user.signed_in``, ``trading.bid.submitted``). The owning context
registers its codes when its app loads (``AppConfig.ready``); ``record()`` refuses any code that
is not registered, so a typo can never reach the log.
"""

from __future__ import annotations

import re

from yingshang.kernel.text import Text

__all__ = ["ActionError", "UnknownAction", "label", "register", "registered", "require"]

#: Lower-case dotted segments, at least three of them: context.aggregate.verb (past tense).
CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,}$")

_registry: dict[str, Text] = {}


class ActionError(ValueError):
    """A code that is malformed or registered twice with different labels (a programming error)."""


class UnknownAction(LookupError):
    """``record()`` was given an action code nobody registered (a programming error)."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.text = Text(
            zh="账本动作“%(code)s”未登记：请在所属上下文中用 ledger.facade.register_action 登记。",
            en="Ledger action %(code)r is not registered: register it in its context with "
            "ledger.facade.register_action.",
            params={"code": code},
        )
        super().__init__(self.text.render("en"))


def register(code: str, zh: str, en: str) -> None:
    """Register ``code`` with its labels. Registering the same code again with the same labels
    is allowed (apps may load twice in tests); different labels are an :class:`ActionError`."""
    if not CODE.match(code):
        raise ActionError(
            f"ledger action code {code!r} must be lower-case dotted segments, at least three "
            "(context.aggregate.verb), e.g. 'trading.bid.submitted'"
        )
    if not zh.strip() or not en.strip():
        raise ActionError(f"ledger action {code!r} needs both a Chinese and an English label")
    text = Text(zh=zh, en=en)
    existing = _registry.get(code)
    if existing is not None and existing != text:
        raise ActionError(f"ledger action {code!r} is already registered with other labels")
    _registry[code] = text


def require(code: str) -> Text:
    """The label of ``code``; :class:`UnknownAction` if it is not registered."""
    try:
        return _registry[code]
    except KeyError:
        raise UnknownAction(code) from None


def label(code: str) -> Text:
    """The bilingual label of a registered code (``str(label(code))`` is in the active language)."""
    return require(code)


def registered() -> dict[str, Text]:
    """Every registered code and its label (a copy, sorted by code)."""
    return dict(sorted(_registry.items()))
