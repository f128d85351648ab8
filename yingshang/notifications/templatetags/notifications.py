"""``{% load notifications %}{% unread_count %}``: the signed-in user's unread inbox count."""

from __future__ import annotations

from typing import Any

from django import template

from yingshang.notifications.facade import unread_count as count_unread

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_count(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    return count_unread(user.pk if user is not None and user.is_authenticated else None)
