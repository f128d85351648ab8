"""What identity keeps in the browser session, in one place.

- ``identity.pending``: the half-signed-in state between a correct password and a correct
  one-time code (or a finished authenticator set-up): the user id, when it started (wall clock,
  Unix seconds) and where to go afterwards. It lasts :data:`PENDING_SECONDS`. The user is *not*
  signed in meanwhile (``request.user`` stays anonymous).
- ``identity.second_factor_at``: set when the session passed a second factor.
- ``identity.organisation_id``: the active organisation for users with several memberships.
- ``identity.certificate``: the fingerprint of the certificate a QR sign-in used.
- ``identity.qr_challenge``: the id of the QR challenge this browser is waiting for.
"""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest

PENDING = "identity.pending"
SECOND_FACTOR = "identity.second_factor_at"
ORGANISATION = "identity.organisation_id"
CERTIFICATE = "identity.certificate"
QR_CHALLENGE = "identity.qr_challenge"
PENDING_SECONDS = 300


def start_pending(request: HttpRequest, *, user_id: int, next_url: str) -> None:
    request.session[PENDING] = {"user_id": user_id, "since": int(time.time()), "next": next_url}


def pending(request: HttpRequest) -> dict[str, Any] | None:
    """The half-signed-in state if it is still fresh (expired state is dropped)."""
    state = request.session.get(PENDING)
    if not isinstance(state, dict):
        return None
    if int(time.time()) - int(state.get("since", 0)) > PENDING_SECONDS:
        clear_pending(request)
        return None
    return state


def clear_pending(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)


def mark_second_factor(request: HttpRequest) -> None:
    request.session[SECOND_FACTOR] = int(time.time())


def has_second_factor(request: HttpRequest) -> bool:
    return SECOND_FACTOR in request.session


def active_organisation_id(request: HttpRequest) -> int | None:
    store = getattr(request, "session", None)
    value = store.get(ORGANISATION) if store is not None else None
    return value if isinstance(value, int) else None


def set_active_organisation(request: HttpRequest, organisation_id: int) -> None:
    request.session[ORGANISATION] = organisation_id


def set_certificate_fingerprint(request: HttpRequest, fingerprint: str) -> None:
    request.session[CERTIFICATE] = fingerprint


def certificate_fingerprint(request: HttpRequest) -> str | None:
    store = getattr(request, "session", None)
    value = store.get(CERTIFICATE) if store is not None else None
    return value if isinstance(value, str) and value else None
