"""Storing documents: content-addressed, deduplicated, nothing kept from a refusal, gc."""

from __future__ import annotations

import hashlib
import io
import os
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from yingshang.files import facade, services
from yingshang.files.models import Blob, Document
from yingshang.files.rules import PDF
from yingshang.files.tests import samples
from yingshang.files.tests.conftest import leftovers, stored_objects
from yingshang.identity.testing import make_organisation
from yingshang.kernel import clock
from yingshang.kernel.errors import InvalidInput, NotFound, TooLarge, UnsupportedMediaType
from yingshang.kernel.policy import Principal

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation():
    return make_organisation("enterprise")


@pytest.fixture
def uploader(organisation):
    user = get_user_model().objects.create_user(username="bidder1", password="x" * 12)
    return Principal(user_id=user.pk, organisation_id=organisation.pk, roles=frozenset({"bidder"}))


def store(principal, data: bytes, name: str = "报价单.pdf", purpose: str = "general", **kwargs):
    return facade.store_document(
        principal=principal, name=name, stream=io.BytesIO(data), purpose=purpose, **kwargs
    )


def test_a_document_is_stored_under_its_hash_with_its_record(media, uploader, organisation):
    data = samples.pdf_bytes(author="张三")
    with clock.use(clock.FixedClock(clock.wall_now().replace(year=2026, month=11, day=30))):
        ref = store(uploader, data)
    digest = hashlib.sha256(data).hexdigest()
    assert ref.sha256 == digest
    assert ref.size == len(data)
    assert ref.media_type == PDF
    assert ref.name == "报价单.pdf"
    assert ref.owner_id == uploader.user_id
    assert ref.organisation_id == organisation.pk
    assert ref.created_at.year == 2026
    assert ref.metadata["author"] == "张三"
    key = f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"
    assert Blob.objects.get().storage_key == key
    assert (media / "media" / key).read_bytes() == data
    assert leftovers(media) == []
    with facade.open_document(ref.id) as handle:
        assert handle.read() == data
    assert facade.metadata_of(ref.id)["author"] == "张三"


def test_content_is_opened_by_its_hash_and_an_unknown_or_malformed_hash_is_not_found(media, uploader):
    data = samples.pdf_bytes(author="张三")
    ref = store(uploader, data)
    with facade.open_content(ref.sha256) as handle:
        assert handle.read() == data
    for sha256 in (hashlib.sha256(b"never stored").hexdigest(), "../../etc/passwd", ref.sha256.upper()):
        with pytest.raises(NotFound):
            facade.open_content(sha256)


def test_the_same_content_twice_is_one_blob_and_two_documents(media, uploader):
    data = samples.docx_bytes()
    first = store(uploader, data, name="a.docx")
    second = store(uploader, data, name="b.docx", purpose="tender_documents")
    assert first.id != second.id
    assert first.sha256 == second.sha256
    assert Blob.objects.count() == 1
    assert Document.objects.count() == 2
    assert len(stored_objects(media)) == 1
    assert {d.name for d in Document.objects.all()} == {"a.docx", "b.docx"}


def nothing_kept(media) -> None:
    assert Document.objects.count() == 0
    assert Blob.objects.count() == 0
    assert stored_objects(media) == []
    assert leftovers(media) == []


def test_an_oversize_upload_is_refused_with_413_and_nothing_kept(media, uploader, settings):
    settings.YINGSHANG = {**settings.YINGSHANG, "MAX_UPLOAD_BYTES": 1000}
    with pytest.raises(TooLarge) as caught:
        store(uploader, samples.pdf_bytes() + b"\n" * 2000)
    assert caught.value.status == 413
    nothing_kept(media)


def test_per_purpose_limits_and_the_callers_limit(media, uploader, settings):
    data = samples.pdf_bytes()
    settings.YINGSHANG = {**settings.YINGSHANG, "UPLOAD_LIMITS": {"qualification": len(data) - 1}}
    with pytest.raises(TooLarge):
        store(uploader, data, purpose="qualification")
    with pytest.raises(TooLarge):
        store(uploader, data, max_bytes=100)
    nothing_kept(media)
    assert store(uploader, data, purpose="general").size == len(data)


def test_a_mismatched_upload_is_415_and_nothing_kept(media, uploader):
    with pytest.raises(UnsupportedMediaType) as caught:
        store(uploader, samples.PNG_BYTES, name="扫描件.pdf")
    assert caught.value.status == 415
    nothing_kept(media)


def test_a_zip_bomb_is_refused_and_nothing_kept(media, uploader):
    with pytest.raises(InvalidInput) as caught:
        store(uploader, samples.zip_bomb(unpacked_mib=16), name="材料.zip")
    assert caught.value.status == 400
    nothing_kept(media)


def test_archive_limits_come_from_settings(media, uploader, settings):
    settings.YINGSHANG = {**settings.YINGSHANG, "ARCHIVE_LIMITS": {"max_entries": 3}}
    with pytest.raises(InvalidInput):
        store(uploader, samples.zip_bytes({f"{i}.txt": b"x" for i in range(4)}), name="many.zip")
    nothing_kept(media)


def test_the_callers_allowed_types_narrow_the_purpose(media, uploader):
    with pytest.raises(UnsupportedMediaType):
        store(uploader, samples.docx_bytes(), name="a.docx", allowed_types={PDF})
    nothing_kept(media)


def test_an_unknown_purpose_is_refused(media, uploader):
    with pytest.raises(InvalidInput) as caught:
        store(uploader, samples.pdf_bytes(), purpose="nonsense")
    assert "nonsense" in str(caught.value)
    nothing_kept(media)


def test_the_client_path_is_dropped_from_the_name(media, uploader):
    ref = store(uploader, samples.pdf_bytes(), name="C:\\Users\\张三\\Desktop\\报价单.pdf")
    assert ref.name == "报价单.pdf"


def test_an_auditor_may_not_upload(media):
    auditor = Principal(user_id=1, organisation_id=None, roles=frozenset({"auditor"}))
    with pytest.raises(Exception) as caught:
        store(auditor, samples.pdf_bytes())
    assert getattr(caught.value, "status", None) == 403
    nothing_kept(media)


def age(path, seconds: int) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_gc_removes_orphans_and_unreferenced_content_but_keeps_the_rest(media, uploader):
    kept = store(uploader, samples.pdf_bytes(author="keep"))
    dropped = store(uploader, samples.pdf_bytes(author="drop"))
    Document.objects.filter(pk=dropped.id).delete()  # as a retention job would
    store_root = media / "media"
    orphan = store_root / "sha256" / "ff" / "ee" / ("ffee" + "0" * 60)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"left by a crash before commit")
    young = store_root / "sha256" / "aa" / "bb" / ("aabb" + "1" * 60)
    young.parent.mkdir(parents=True)
    young.write_bytes(b"an upload still committing")
    age(orphan, 7200)

    report = services.collect_garbage()

    assert (report.blobs_removed, report.orphans_removed, report.orphans_too_young) == (1, 1, 1)
    assert not orphan.exists()
    assert young.exists()
    assert list(Blob.objects.values_list("sha256", flat=True)) == [kept.sha256]
    with facade.open_document(kept.id) as handle:
        assert handle.read().startswith(b"%PDF-")
    assert [p.name for p in stored_objects(media)] == sorted([kept.sha256, young.name])


def test_gc_command_dry_run_removes_nothing(media, uploader, capsys):
    orphan = media / "media" / "sha256" / "00" / "11" / ("0011" + "2" * 60)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"orphan")
    call_command("files", "gc", "--grace-minutes", "0", "--dry-run")
    assert orphan.exists()
    assert "would remove 0 unreferenced content rows and 1 orphan objects" in capsys.readouterr().out
    call_command("files", "gc", "--grace-minutes", "0")
    assert not orphan.exists()
