from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    return {"site_url": settings.YINGSHANG["SITE_URL"], "debug": settings.DEBUG}
