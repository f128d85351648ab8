"""RFC 9457 problem documents for the API, in the request's language.

Every error leaving the API has ``Content-Type: application/problem+json`` and the members
``type``, ``title``, ``status``, ``detail``, ``code`` and, for validation errors, ``errors``:
a list of ``{"field": "body.uscc", "code": "...", "message": "..."}``.
"""

from __future__ import annotations

import json
import logging
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.parser import Parser
from pydantic_core.core_schema import ErrorType

from yingshang.kernel.calendar import CalendarRangeError, NoticeFileError
from yingshang.kernel.errors import DomainError
from yingshang.kernel.identifiers import InvalidIdentifier
from yingshang.kernel.money import InvalidAmount

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PYDANTIC_ERROR_TYPES = frozenset(typing.get_args(ErrorType))
TYPE_BASE = "https://yingshang.invalid/problems/"


class MalformedBody(DomainError):
    status = 400
    code = "malformed_json"


class StrictJSONParser(Parser):
    """Parses JSON bodies and refuses anything that is not a JSON document."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedBody(
                _("The request body is not valid JSON: %(reason)s") % {"reason": exc}
            ) from exc


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title or _title(status),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = list(errors)
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def busy_problem() -> HttpResponse:
    """503 with ``Retry-After``: the database could not be reached or gave no connection in time
    (a pool exhausted under a surge). Nothing was done; the same request may be sent again."""
    return problem(
        503,
        "service_busy",
        _("The service is busy and did nothing with this request; please send it again shortly."),
        headers={"Retry-After": "5"},
    )


def _title(status: int) -> str:
    titles = {
        400: _("Bad request"),
        401: _("Not signed in"),
        403: _("Forbidden"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Too large"),
        415: _("Unsupported media type"),
        422: _("Invalid input"),
        423: _("Locked"),
        429: _("Too many requests"),
        500: _("Server error"),
        503: _("Service unavailable"),
    }
    return titles.get(status, _("Error"))


# Messages for pydantic's error types, so validation errors speak the user's language.
def _pydantic_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages = {
        "missing": _("This field is required."),
        "extra_forbidden": _("This field is not known; remove it."),
        "string_type": _("Enter text."),
        "int_type": _("Enter a whole number."),
        "int_parsing": _("Enter a whole number."),
        "bool_type": _("Enter true or false."),
        "bool_parsing": _("Enter true or false."),
        "date_from_datetime_parsing": _("Enter a date as YYYY-MM-DD."),
        "date_from_datetime_inexact": _("Enter a date as YYYY-MM-DD."),
        "datetime_from_date_parsing": _("Enter a date and time in ISO 8601 format."),
        "datetime_object_invalid": _("Enter a date and time in ISO 8601 format."),
        "timezone_aware": _("Enter a date and time with its time zone (ISO 8601)."),
        "float_parsing": _("Enter a number."),
        "float_type": _("Enter a number."),
        "int_from_float": _("Enter a whole number."),
        "string_pattern_mismatch": _("The value does not have the expected form."),
        "too_short": _("Enter at least %(n)s items.") % {"n": ctx.get("min_length", "")},
        "too_long": _("Enter at most %(n)s items.") % {"n": ctx.get("max_length", "")},
        "date_parsing": _("Enter a date as YYYY-MM-DD."),
        "date_type": _("Enter a date as YYYY-MM-DD."),
        "datetime_parsing": _("Enter a date and time in ISO 8601 format."),
        "datetime_type": _("Enter a date and time in ISO 8601 format."),
        "decimal_parsing": _("Enter a decimal number."),
        "list_type": _("Enter a list."),
        "dict_type": _("Enter an object."),
        "model_attributes_type": _("Enter an object."),
        "uuid_parsing": _("Enter a valid UUID."),
        "enum": _("Choose one of: %(expected)s.") % {"expected": ctx.get("expected", "")},
        "literal_error": _("Choose one of: %(expected)s.") % {"expected": ctx.get("expected", "")},
        "string_too_short": _("Enter at least %(n)s characters.") % {"n": ctx.get("min_length", "")},
        "string_too_long": _("Enter at most %(n)s characters.") % {"n": ctx.get("max_length", "")},
        "greater_than_equal": _("Enter a value of at least %(n)s.") % {"n": ctx.get("ge", "")},
        "less_than_equal": _("Enter a value of at most %(n)s.") % {"n": ctx.get("le", "")},
        "greater_than": _("Enter a value greater than %(n)s.") % {"n": ctx.get("gt", "")},
        "less_than": _("Enter a value less than %(n)s.") % {"n": ctx.get("lt", "")},
        "json_invalid": _("The request body is not valid JSON."),
    }
    if kind in messages:
        return messages[kind]
    if kind not in PYDANTIC_ERROR_TYPES:
        # Our own PydanticCustomError types (uscc_length, ...) carry an already translated message.
        return str(error.get("msg") or _("Invalid value."))
    if kind in {"value_error", "assertion_error"}:
        # Our own validators raise ValueError with an already translated message.
        err = ctx.get("error")
        return str(err) if err is not None else str(error.get("msg", ""))
    # A type we have no sentence for: a plain sentence in the user's language, plus pydantic's
    # own (English) explanation for English readers.
    if get_language() == "en":
        return str(error.get("msg") or _("Invalid value."))
    return _("Invalid value.")


def validation_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ninja prefixes the parameter source and the schema argument name: body.payload.uscc
        if len(loc) >= 2 and loc[0] in {"body", "query", "path", "form", "header", "cookie"}:
            loc = [loc[0], *loc[2:]] if len(loc) > 2 else loc
        out.append(
            {
                "field": ".".join(loc),
                "code": error.get("type", "invalid"),
                "message": _pydantic_message(error),
            }
        )
    return out


def install_problem_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return problem(exc.status, exc.code, str(exc), errors=exc.details)

    # The pure kernel's errors carry bilingual texts; reaching the API unconverted they are
    # still the caller's bad input, never a server error.
    @api.exception_handler(InvalidIdentifier)
    @api.exception_handler(InvalidAmount)
    def kernel_value_error(request: HttpRequest, exc: InvalidIdentifier | InvalidAmount) -> HttpResponse:
        return problem(
            400,
            "invalid_input",
            str(exc.message),
            errors=[{"field": "", "code": exc.code, "message": str(exc.message)}],
        )

    @api.exception_handler(CalendarRangeError)
    def calendar_range(request: HttpRequest, exc: CalendarRangeError) -> HttpResponse:
        return problem(400, "date_out_of_calendar", str(exc.text))

    @api.exception_handler(NoticeFileError)
    def notice_file(request: HttpRequest, exc: NoticeFileError) -> HttpResponse:
        messages = [str(text) for text in exc.errors]
        return problem(
            400,
            "invalid_notice",
            "; ".join(messages),
            errors=[{"field": "", "code": "invalid_notice", "message": m} for m in messages],
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return problem(
            422,
            "validation_error",
            _("Some fields are not valid; see the errors listed."),
            errors=validation_errors(exc.errors),
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            401,
            "not_authenticated",
            _("Sign in, or send a valid API token in the Authorization header."),
            headers={"WWW-Authenticate": 'Bearer realm="yingshang"'},
        )

    @api.exception_handler(AuthorizationError)
    def authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return problem(403, "permission_denied", _("You do not have permission to do this."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, MalformedBody):  # ninja wraps the parser's error
            return problem(400, exc.__cause__.code, str(exc.__cause__))
        if exc.status_code == 400:
            return problem(400, "malformed_request", _("The request body could not be read."))
        return problem(exc.status_code, "http_error", str(exc))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(404, "not_found", _("The requested item does not exist or is not visible to you."))

    @api.exception_handler(OperationalError)
    def database_busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
        logger.warning("Database unavailable in %s %s: %s", request.method, request.path, exc)
        return busy_problem()

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled error in %s %s", request.method, request.path)
        return problem(500, "server_error", _("Something went wrong on our side; it has been logged."))
