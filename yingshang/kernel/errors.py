"""Errors the domain raises, each with a stable code, an HTTP status and a message for people.

Services raise these; the API turns them into ``application/problem+json`` (RFC 9457) and the
pages into form errors or an error page, in the request's language. Messages are lazy
translations so they render in whichever language is active when they are shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every error a person can act on. Never a 500."""

    status: int = 400
    code: str = "invalid"
    default_message: Any = _("The request could not be carried out.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        details: Sequence[Mapping[str, Any]] | None = None,
        **params: Any,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        self.details = list(details or [])
        self.params = params
        super().__init__(str(self.message))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class InvalidInput(DomainError):
    status = 400
    code = "invalid_input"
    default_message = _("Some of the information given is not valid.")


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    default_message = _("Please sign in first.")


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    default_message = _("You do not have permission to do this.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _("The requested item does not exist or is not visible to you.")


class Conflict(DomainError):
    """The object is not in a state that allows the command (a lost compare-and-set, say)."""

    status = 409
    code = "conflict"
    default_message = _("The item was changed by someone else; reload and try again.")


class RuleViolation(DomainError):
    """A business or statutory rule forbids the command."""

    status = 422
    code = "rule_violation"
    default_message = _("A rule forbids this.")


class TooLarge(DomainError):
    status = 413
    code = "too_large"
    default_message = _("The upload is too large.")


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    default_message = _("This kind of file is not accepted.")


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    default_message = _("Too many requests from here in a short time; please wait a minute and try again.")


class Locked(DomainError):
    status = 423
    code = "locked"
    default_message = _("The account is locked for a while after repeated failed sign-ins.")
