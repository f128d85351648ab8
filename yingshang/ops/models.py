"""Process heartbeats: how /healthz knows the worker, the chronograph and the sequencer are alive."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    class Kind(models.TextChoices):
        WORKER = "worker", _("task worker")
        CHRONOGRAPH = "chronograph", _("chronograph")
        WEB = "web", _("web server")
        SEQUENCER = "sequencer", _("ledger sequencer")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")
        constraints = [
            models.UniqueConstraint(fields=["kind", "host", "pid"], name="ops_heartbeat_unique_process")
        ]

    def __str__(self) -> str:
        return f"{self.kind}@{self.host}:{self.pid}"
