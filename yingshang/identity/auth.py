"""How API callers authenticate: an API token (``Authorization: Bearer ys_...``) or the browser
session (with Django's CSRF check on unsafe methods). Every router of the platform uses
:data:`API_AUTH` (through ``identity.facade``); ``request.auth`` is then the ``ApiToken`` or the
``User``, and ``facade.principal_for(request)`` the acting principal.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from yingshang.identity import services
from yingshang.identity.models import ApiToken


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer ys_<prefix>_<secret>``. A token that is malformed, unknown,
    expired or revoked gets a 401 problem document (no fallback to the session)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        api_token = services.authenticate_api_token(raw=token)
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token


class SessionAuth(APIKeyCookie):
    """The signed-in browser session. CSRF is checked for unsafe methods (send the
    ``X-CSRFToken`` header). Users who still owe a second factor are not signed in (the
    identity middleware keeps them half-signed-in), so they get 401 here."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


#: The authentication every router uses: a token first, else the session.
API_AUTH = [ApiTokenAuth(), SessionAuth()]
