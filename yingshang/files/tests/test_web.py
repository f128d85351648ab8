"""The upload page, the list, downloads and the API, through Django's test client."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yingshang.files.models import Blob, Document
from yingshang.files.tests import samples
from yingshang.files.tests.conftest import leftovers, stored_objects
from yingshang.identity.testing import sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def make_user(username: str, **extra):
    return get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)


@pytest.fixture
def owner():
    return make_user("owner")


def signed_in(client, user):
    sign_in(client, user)  # fully signed in, second factor passed where one is needed
    return client


def upload(client, data: bytes, name: str, purpose: str = "general", **extra):
    return client.post(
        reverse("files:upload"),
        {"file": SimpleUploadedFile(name, data), "purpose": purpose},
        **extra,
    )


def test_the_upload_page_needs_sign_in(client):
    response = client.get(reverse("files:upload"))
    assert response.status_code == 302
    assert reverse("identity:sign_in") in response["Location"]


def test_the_upload_form_works_without_javascript(client, media, owner):
    signed_in(client, owner)
    page = client.get(reverse("files:upload"))
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content
    data = samples.pdf_bytes()
    response = upload(client, data, "报价单.pdf")
    assert response.status_code == 302
    assert response["Location"] == reverse("files:list")
    listing = client.get(reverse("files:list"))
    assert "报价单.pdf" in listing.content.decode()
    assert Document.objects.get().owner == owner


def test_a_refusal_shows_the_message_in_chinese_by_default(client, media, owner):
    signed_in(client, owner)
    response = upload(client, samples.PNG_BYTES, "扫描件.pdf")
    assert response.status_code == 415
    text = response.content.decode()
    assert "扩展名 .pdf 表示PDF 文档，但内容是PNG 图片" in text
    assert 'role="alert"' in text
    assert Document.objects.count() == 0
    assert stored_objects(media) == []


def test_a_refusal_shows_the_message_in_english_when_asked(client, media, owner):
    signed_in(client, owner)
    response = upload(client, samples.PNG_BYTES, "scan.pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 415
    assert "ends in .pdf (PDF document) but the content is a PNG image" in response.content.decode()


def test_an_oversize_body_is_stopped_before_it_is_spooled(client, media, owner, settings):
    settings.YINGSHANG = {**settings.YINGSHANG, "MAX_UPLOAD_BYTES": 4096}
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # Django would spool to a temporary file
    signed_in(client, owner)
    response = upload(client, samples.pdf_bytes() + b"%" * 20_000, "big.pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert "larger than the limit of 4096 B" in response.content.decode()
    assert Document.objects.count() == 0
    assert stored_objects(media) == []
    assert leftovers(media) == []


def test_the_owner_downloads_with_safe_headers(client, media, owner):
    signed_in(client, owner)
    data = samples.pdf_bytes()
    upload(client, data, "投标 报价单.pdf")
    document = Document.objects.get()
    response = client.get(reverse("files:download", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('投标 报价单.pdf')}" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    digest = hashlib.sha256(data).digest()
    assert response["ETag"] == f'"{digest.hex()}"'
    assert response["Digest"] == "sha-256=" + base64.b64encode(digest).decode()
    assert response["Content-Type"] == "application/pdf"
    again = client.get(reverse("files:download", args=[document.pk]), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_another_user_gets_404_and_a_superuser_gets_the_file(client, media, owner):
    signed_in(client, owner)
    upload(client, samples.pdf_bytes(), "a.pdf")
    document = Document.objects.get()
    signed_in(client, make_user("stranger"))
    assert client.get(reverse("files:download", args=[document.pk])).status_code == 404
    assert "a.pdf" not in client.get(reverse("files:list")).content.decode()
    signed_in(client, get_user_model().objects.create_superuser(username="root", password=PASSWORD))
    assert client.get(reverse("files:download", args=[document.pk])).status_code == 200


# --- API -----------------------------------------------------------------------------------


def api_upload(client, data: bytes, name: str, purpose: str = "general", **extra):
    return client.post("/api/v1/files", {"file": SimpleUploadedFile(name, data), "purpose": purpose}, **extra)


def test_api_upload_returns_the_document_ref(client, media, owner):
    signed_in(client, owner)
    data = samples.docx_bytes(author="李四")
    response = api_upload(client, data, "投标文件.docx")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["media_type"].endswith("wordprocessingml.document")
    assert body["metadata"]["author"] == "李四"
    assert body["owner_id"] == owner.pk
    record = client.get(f"/api/v1/files/{body['id']}")
    assert record.status_code == 200
    assert record.json()["name"] == "投标文件.docx"
    content = client.get(f"/api/v1/files/{body['id']}/content")
    assert content.status_code == 200
    assert b"".join(content.streaming_content) == data
    assert content["ETag"] == f'"{body["sha256"]}"'


def test_api_refusals_are_problem_documents_in_the_requested_language(client, media, owner):
    signed_in(client, owner)
    response = api_upload(client, samples.ELF_BYTES, "setup.pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 415
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "file_unsupported"
    assert "ELF" in problem["detail"]
    bomb = api_upload(client, samples.zip_bomb(unpacked_mib=16), "材料.zip")
    assert bomb.status_code == 400
    assert "压缩炸弹" in bomb.json()["detail"]
    assert Blob.objects.count() == 0
    assert stored_objects(media) == []


def test_api_oversize_body_is_413(client, media, owner, settings):
    settings.YINGSHANG = {**settings.YINGSHANG, "MAX_UPLOAD_BYTES": 2048}
    signed_in(client, owner)
    response = api_upload(client, b"%PDF-" + b"0" * 10_000, "big.pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert leftovers(media) == []


def test_api_needs_a_principal_and_hides_other_peoples_documents(client, media, owner):
    assert api_upload(client, samples.pdf_bytes(), "a.pdf").status_code == 401
    signed_in(client, owner)
    document_id = api_upload(client, samples.pdf_bytes(), "a.pdf").json()["id"]
    signed_in(client, make_user("stranger"))
    assert client.get(f"/api/v1/files/{document_id}").status_code == 404
    assert client.get(f"/api/v1/files/{document_id}/content").status_code == 404


def test_the_upload_form_still_checks_csrf(media, owner):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert upload(client, samples.pdf_bytes(), "a.pdf").status_code == 403
    assert Document.objects.count() == 0
    page = client.get(reverse("files:upload"))
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("files:upload"),
        {
            "file": SimpleUploadedFile("a.pdf", samples.pdf_bytes()),
            "purpose": "general",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    assert Document.objects.count() == 1


def test_the_api_checks_csrf_for_browser_sessions(media, owner):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert api_upload(client, samples.pdf_bytes(), "a.pdf").status_code == 403
    assert Document.objects.count() == 0


# --- who may download: every role --------------------------------------------------------------


@pytest.fixture
def bidder_document(media):
    """A document uploaded through the page by a bidder acting for their company."""
    from django.test import Client

    from yingshang.identity.testing import make_user as make_role_user
    from yingshang.identity.testing import sign_in

    bidder = make_role_user("bidder_a", roles=["bidder"])
    client = Client()
    sign_in(client, bidder)
    assert upload(client, samples.pdf_bytes(), "资格证明.pdf").status_code == 302
    return Document.objects.get()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("centre_staff", True),
        ("supervisor", True),
        ("auditor", True),
        ("bidder", False),
        ("tenderer", False),
        ("agency", False),
        ("expert", False),
        ("enterprise", False),
        ("service_manager", False),
        ("department", False),
        ("issuer", False),
    ],
)
def test_download_permission_per_role(client, bidder_document, role, allowed):
    from yingshang.identity.testing import make_user as make_role_user
    from yingshang.identity.testing import sign_in

    sign_in(client, make_role_user(f"someone_{role}", roles=[role]))
    page = client.get(reverse("files:download", args=[bidder_document.pk]))
    api = client.get(f"/api/v1/files/{bidder_document.pk}/content")
    assert (page.status_code, api.status_code) == ((200, 200) if allowed else (404, 404))


def test_colleagues_in_the_uploaders_organisation_may_download(client, bidder_document):
    from yingshang.identity.models import Organisation
    from yingshang.identity.testing import make_user as make_role_user
    from yingshang.identity.testing import sign_in

    company = Organisation.objects.get(pk=bidder_document.organisation_id)
    colleague = make_role_user("colleague", roles=["bidder"], organisation=company)
    sign_in(client, colleague)
    assert client.get(reverse("files:download", args=[bidder_document.pk])).status_code == 200
    listing = client.get(reverse("files:list")).content.decode()
    assert "资格证明.pdf" in listing


def test_an_auditor_cannot_upload(client, media):
    from yingshang.identity.testing import make_user as make_role_user
    from yingshang.identity.testing import sign_in

    sign_in(client, make_role_user("auditor1", roles=["auditor"]))
    response = upload(client, samples.pdf_bytes(), "a.pdf")
    assert response.status_code == 403
    assert "只能查看" in response.content.decode()
    assert api_upload(client, samples.pdf_bytes(), "a.pdf").status_code == 403
    assert Document.objects.count() == 0
    assert stored_objects(media) == []


def test_api_tokens_need_the_files_scopes(media):
    from datetime import timedelta

    from django.test import Client

    from yingshang.identity import services as identity_services
    from yingshang.identity.testing import make_user as make_role_user
    from yingshang.kernel import clock

    bidder = make_role_user("tool_user", roles=["bidder"])
    expires = clock.wall_now() + timedelta(days=1)

    def bearer(*scopes: str) -> dict[str, Any]:
        created = identity_services.create_api_token(
            user=bidder, name="bidder tool", scopes=scopes, expires_at=expires
        )
        return {"HTTP_AUTHORIZATION": f"Bearer {created.plain}"}

    client = Client(enforce_csrf_checks=True)  # tokens need no CSRF token
    reader = bearer("files:read")
    refused = api_upload(client, samples.pdf_bytes(), "a.pdf", **reader)
    assert refused.status_code == 403
    writer = bearer("files:write")
    created = api_upload(client, samples.pdf_bytes(), "a.pdf", **writer)
    assert created.status_code == 201, created.content
    document_id = created.json()["id"]
    assert client.get(f"/api/v1/files/{document_id}", **reader).status_code == 200
    assert client.get(f"/api/v1/files/{document_id}", **bearer("notifications:read")).status_code == 404
