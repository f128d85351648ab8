"""The projects admin is read-only: lists and rows open, nothing can be added."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from yingshang.identity.testing import sign_in
from yingshang.trading.projects.tests.factories import START, Cast, at, published_tender


@pytest.mark.django_db
def test_projects_admin_is_read_only(client: Client, django_user_model: Any) -> None:
    with at(START):
        tender = published_tender(Cast.make())
    root = django_user_model.objects.create_superuser("root", "root@example.invalid", "a long password 1")
    sign_in(client, root)
    models = [m for m in admin.site._registry if m._meta.app_label == "projects"]
    assert len(models) == 6
    for model in models:
        meta = model._meta
        assert client.get(reverse(f"admin:projects_{meta.model_name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:projects_{meta.model_name}_add")).status_code == 403
    change = reverse("admin:projects_tender_change", args=[tender.pk])
    assert client.get(change).status_code == 200
    client.post(change, {"ocid": "changed"})
    tender.refresh_from_db()
    assert tender.ocid != "changed"
