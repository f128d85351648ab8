"""The kernel's public API: checking a unified social credit code."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from yingshang.kernel.identifiers import parse_uscc
from yingshang.kernel.types import USCC

router = Router(tags=["kernel"])


class USCCOut(Schema):
    uscc: str
    authority: str
    authority_name: str
    entity_type: str
    entity_type_name: str
    division: str
    organisation_code: str


@router.get(
    "/uscc/{code}",
    response=USCCOut,
    summary="Check a unified social credit code",
    description=(
        "Validates a unified social credit code (统一社会信用代码) and returns it normalised with its "
        "parts. An invalid code gives a 422 problem document whose `errors[0].message` says exactly "
        "what is wrong (length, which character at which position, which check character was "
        "expected), in the request's language. Public: no sign-in needed."
    ),
    auth=None,
)
def check_uscc_code(request: HttpRequest, code: USCC) -> USCCOut:
    parts = parse_uscc(code)
    return USCCOut(
        uscc=parts.code,
        authority=parts.authority,
        authority_name=str(parts.authority_name),
        entity_type=parts.entity_type,
        entity_type_name=str(parts.entity_type_name),
        division=parts.division,
        organisation_code=parts.organisation_code,
    )
