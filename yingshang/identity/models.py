"""Users, organisations and the memberships that carry roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. Roles come from memberships in organisations, never from here."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, default="zh-hans", choices=[("zh-hans", "简体中文"), ("en", "English")]
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username
