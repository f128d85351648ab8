"""The award API at /api/v1/trading/award."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["award"])
