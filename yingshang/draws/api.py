"""The draws API at /api/v1/draws (public, no sign-in).

``GET /{public_id}``: the draw's published record (format ``yingshang-draw/1``, docs/draws.md):
before the draw only the commitment, the eligible digest and count, and the parameters; once
performed everything needed to verify it offline (``yingshang draw verify``). The secret is
never served before the draw is performed.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from yingshang.draws import facade

router = Router(tags=["draws"])


@router.get(
    "/{public_id}",
    response=dict[str, Any],
    auth=None,
    summary="A draw's published record",
    description=(
        "Before the draw: format, draw, purpose, status, origin, parameters, eligible_digest, "
        "eligible_count, commitment, commitment_entry, prepared_at. Once performed, also eligible, "
        "secret, beacon {size, root, note, verifier_key}, commitment_entry.proof, contributions, "
        "late_contributions, result, performed_at. 404 for an unknown id."
    ),
)
def draw_record(request: HttpRequest, public_id: str) -> dict[str, Any]:
    return facade.public_record(public_id).as_json()
