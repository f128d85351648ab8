"""The experts API at /api/v1/trading/experts."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["experts"])
