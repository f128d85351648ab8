"""The admin is read-mostly: a superuser (second factor passed) can look at every model's list
and rows, and can add, change or delete nothing."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from yingshang.identity.testing import sign_in

OUR_APPS = {"kernel", "identity", "files", "notifications", "ops", "ledger"}


@pytest.fixture
def superuser_client(client: Client, django_user_model) -> Client:
    root = django_user_model.objects.create_superuser("root", "root@example.invalid", "a long password 1")
    sign_in(client, root)
    return client


@pytest.mark.django_db
def test_every_model_of_ours_is_listed_read_only(superuser_client: Client) -> None:
    registered = [m for m in admin.site._registry if m._meta.app_label in OUR_APPS]
    assert {m._meta.app_label for m in registered} == OUR_APPS
    for model in registered:
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert superuser_client.get(changelist).status_code == 200, changelist
        add = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
        assert superuser_client.get(add).status_code == 403, add


@pytest.mark.django_db
def test_admin_change_form_does_not_save(superuser_client: Client, django_user_model) -> None:
    user = django_user_model.objects.create_user("someone", password="a long password 2")
    url = reverse("admin:identity_user_change", args=[user.pk])
    assert superuser_client.get(url).status_code == 200  # view only
    superuser_client.post(url, {"username": "renamed"})
    user.refresh_from_db()
    assert user.username == "someone"
