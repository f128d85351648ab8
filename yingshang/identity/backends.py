"""The authentication backend named in settings: password sign-in with lockout.

Django calls it from ``authenticate()`` (the admin's login form, ``Client.login`` in tests).
It goes through the same service as the sign-in page, so lockout and the attempt record
apply everywhere. It cannot ask for a second factor; the identity middleware does that on the
next request for users who need one.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from yingshang.identity import services
from yingshang.identity.models import User
from yingshang.kernel.errors import DomainError


class PasswordBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
        try:
            return services.sign_in_with_password(
                username=username, password=password, client_address=address
            ).user
        except DomainError:
            return None
