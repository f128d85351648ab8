"""The message templates, by code. Pure: no Django.

Each context registers its templates (from its ``AppConfig.ready`` or at import of its
``facade``) through ``notifications.facade.register_template``, which also checks that they
compile. Codes are ``<context>.<event>``, for example ``trading.bid.received``.
"""

from __future__ import annotations

from yingshang.notifications.contracts import MessageTemplate

TEMPLATES: dict[str, MessageTemplate] = {}


def register(template: MessageTemplate) -> MessageTemplate:
    if not template.code or template.code != template.code.strip():
        raise ValueError(f"invalid template code {template.code!r}")
    TEMPLATES[template.code] = template
    return template


def get(code: str) -> MessageTemplate:
    try:
        return TEMPLATES[code]
    except KeyError:
        raise LookupError(f"no message template {code!r}; known: {sorted(TEMPLATES)}") from None


# The platform's own templates; later contexts add theirs.
register(
    MessageTemplate(
        code="platform.notice",
        subject_zh="{{ title }}",
        subject_en="{{ title }}",
        body_zh="{{ text }}\n\n—— 营商平台",
        body_en="{{ text }}\n\n— Yingshang platform",
        sms_zh="【营商】{{ title }}",
        sms_en="[Yingshang] {{ title }}",
        required=frozenset({"title", "text"}),
    )
)
