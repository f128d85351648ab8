"""URL composition root: each context mounts its own urls; the API lives under /api/v1/."""

from django.contrib import admin
from django.urls import include, path

from config.api import api
from yingshang.ops.views import healthz

urlpatterns = [
    path("", include("yingshang.web.urls")),
    path("healthz", healthz, name="healthz"),
    path("keys/", include("yingshang.kernel.urls")),
    path("account/", include("yingshang.identity.urls")),
    path("files/", include("yingshang.files.urls")),
    path("inbox/", include("yingshang.notifications.urls")),
    path("ledger/", include("yingshang.ledger.urls")),
    path("trading/documents/", include("yingshang.trading.documents.urls")),
    path("trading/bids/", include("yingshang.trading.bids.urls")),
    path("trading/opening/", include("yingshang.trading.opening.urls")),
    path("trading/experts/", include("yingshang.trading.experts.urls")),
    path("trading/evaluation/", include("yingshang.trading.evaluation.urls")),
    path("trading/award/", include("yingshang.trading.award.urls")),
    path("trading/", include("yingshang.trading.projects.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler400 = "yingshang.web.views.bad_request"
handler403 = "yingshang.web.views.permission_denied"
handler404 = "yingshang.web.views.page_not_found"
handler500 = "yingshang.web.views.server_error"
