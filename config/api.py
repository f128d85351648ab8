"""The JSON API at /api/v1/: one NinjaAPI, each context adds its router.

Errors are ``application/problem+json`` (RFC 9457) in the request's language; see
``yingshang.web.problems``.
"""

from __future__ import annotations

from ninja import NinjaAPI

from yingshang.draws.api import router as draws_router
from yingshang.files.api import router as files_router
from yingshang.identity.api import router as identity_router
from yingshang.kernel.api import router as kernel_router
from yingshang.ledger.api import router as ledger_router
from yingshang.notifications.api import router as notifications_router
from yingshang.ops.api import router as ops_router
from yingshang.trading.award.api import router as award_router
from yingshang.trading.bids.api import router as bids_router
from yingshang.trading.documents.api import router as documents_router
from yingshang.trading.evaluation.api import router as evaluation_router
from yingshang.trading.experts.api import router as experts_router
from yingshang.trading.opening.api import keys_router as opening_keys_router
from yingshang.trading.opening.api import router as opening_router
from yingshang.trading.projects.api import router as projects_router
from yingshang.web.problems import StrictJSONParser, install_problem_handlers

api = NinjaAPI(
    title="Yingshang API",
    version="1.0.0",
    description=(
        "The platform's JSON API. Sign in with an API token (`Authorization: Bearer ...`) or a "
        "browser session. Errors are RFC 9457 problem documents in the request's language "
        "(`Accept-Language: zh-hans` by default, `en`)."
    ),
    urls_namespace="api",
    parser=StrictJSONParser(),
    openapi_url="/openapi.json",
    docs_url="/docs",
)
install_problem_handlers(api)

api.add_router("/system", ops_router)
api.add_router("/kernel", kernel_router)
api.add_router("/identity", identity_router)
api.add_router("/files", files_router)
api.add_router("/notifications", notifications_router)
api.add_router("/ledger", ledger_router)
api.add_router("/trading", projects_router)
api.add_router("/trading/documents", documents_router)
api.add_router("/trading/bids", bids_router)
api.add_router("/trading/bids", opening_keys_router)
api.add_router("/trading/opening", opening_router)
api.add_router("/trading/experts", experts_router)
api.add_router("/trading/evaluation", evaluation_router)
api.add_router("/trading/award", award_router)
api.add_router("/draws", draws_router)
