from django.contrib import admin

from yingshang.kernel.admin import ReadOnlyAdmin
from yingshang.ops.models import Heartbeat


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["kind", "host", "pid", "started_at", "last_seen"]
    list_filter = ["kind"]
