"""The evaluation API at /api/v1/trading/evaluation."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["evaluation"])
