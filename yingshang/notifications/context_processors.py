"""``unread_notifications`` for every template: the signed-in user's unread inbox count.

Lazy: the count is queried only when a template uses it. Add
``"yingshang.notifications.context_processors.unread"`` to ``TEMPLATES[...]["OPTIONS"]
["context_processors"]``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from yingshang.notifications.facade import unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user_id))}
