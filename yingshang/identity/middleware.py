"""Second factor enforcement for browser sessions.

A signed-in user who needs a second factor (holds centre_staff, supervisor or auditor, or has
enrolled an authenticator) and whose session has not passed one (signed in through the admin's
login form, or granted such a role mid-session) is signed out into the half-signed-in state and
sent to the code step, or to the authenticator set-up if they have none. API calls in that
state are simply not authenticated (401). Only the sign-in steps, sign-out, the language switch
and static files stay reachable.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from yingshang.identity import selectors, session


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not session.has_second_factor(request)
            and selectors.needs_second_factor(user.pk)
        ):
            user_id = user.pk
            next_url = (
                request.get_full_path() if request.method == "GET" else reverse(settings.LOGIN_REDIRECT_URL)
            )
            logout(request)
            session.start_pending(request, user_id=user_id, next_url=next_url)
            if not self._exempt(request.path):
                step = (
                    "identity:sign_in_code" if selectors.confirmed_device(user_id) else "identity:two_factor"
                )
                return HttpResponseRedirect(reverse(step))
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        exempt = [
            reverse("identity:sign_in"),
            reverse("identity:sign_in_code"),
            reverse("identity:two_factor"),
            reverse("identity:sign_out"),
            reverse("set_language"),
            "/api/",
            "/" + settings.STATIC_URL.lstrip("/"),
        ]
        return any(path.startswith(prefix) for prefix in exempt)
