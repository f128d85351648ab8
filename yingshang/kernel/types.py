"""Pydantic (django-ninja schema) types of the kernel.

``USCC`` is a ``str`` validated and normalised by :func:`yingshang.kernel.identifiers.check_uscc`.
A bad code becomes a validation error of type ``uscc_<problem>`` (``uscc_length``,
``uscc_character``, ``uscc_check_digit``... the same codes as the Django field's) whose message
is the exact problem in the request's language, which the API's problem handler puts in
``errors[].message``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from yingshang.kernel.identifiers import InvalidIdentifier, check_uscc

__all__ = ["USCC"]


def _check_uscc(value: str) -> str:
    try:
        return check_uscc(value)
    except InvalidIdentifier as exc:
        # The message is rendered now, while the request's language is active; ``problem`` and
        # ``position`` let clients point at the offending character.
        raise PydanticCustomError(
            f"uscc_{exc.code}",
            "{message}",
            {"message": str(exc), "problem": exc.code, "position": exc.position},
        ) from exc


USCC = Annotated[
    str,
    AfterValidator(_check_uscc),
    # No ``examples``: django-ninja copies them into a parameter's ``examples``, where OpenAPI
    # wants a map, which would make the spec invalid wherever USCC is a path or query parameter.
    Field(
        description="Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, "
        "normalised to upper case, e.g. 914403001922038216.",
    ),
]
