"""The trust store is read once per change (``certificates._trust_store``): a change of any CA or
CRL row must bite at the next validation, also when the same chain was validated (and the store
kept) just before. Real certificates built with ``yingshang.pki``; real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yingshang.identity import certificate_services, certificates
from yingshang.identity.certificates import CertificateRejected, validate_certificate
from yingshang.identity.models import (
    CertificateAuthority,
    EnterpriseCertificate,
    Organisation,
    RevocationList,
)
from yingshang.identity.testing import certificate_for, make_organisation, trust_vendor
from yingshang.kernel.identifiers import make_uscc
from yingshang.pki import Vendor

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)
VENDOR = Vendor.create("Cache CA", now=NOW, region="Gansu", rule="serial_number")
SM2 = Vendor.create("Cache Guomi CA", now=NOW, region="Gansu", rule="ou", algorithm="SM2")


@pytest.fixture(autouse=True)
def fresh_store() -> None:
    certificates.forget_trust_store()


@pytest.fixture
def acme() -> Organisation:
    return make_organisation(
        "enterprise", name="甘肃缓存测试有限公司", uscc=make_uscc("9", "1", "620100", "CA000042")
    )


def refused(chain: list[bytes], *, at: datetime = NOW) -> str:
    with pytest.raises(CertificateRejected) as caught:
        validate_certificate(chain, usage="signing", at=at)
    return caught.value.code


@pytest.mark.parametrize("vendor, algorithm", [(VENDOR, "ECDSA-P256"), (SM2, "SM2")])
def test_a_crl_imported_after_the_path_was_validated_is_honoured(
    acme: Organisation, vendor: Vendor, algorithm: str
) -> None:
    trust_vendor(vendor)
    leaf = certificate_for(acme, vendor, algorithm=algorithm, now=NOW)
    assert validate_certificate(leaf.chain, usage="signing", at=NOW).organisation_id == acme.pk
    kept = certificates._store_cache
    assert validate_certificate(leaf.chain, usage="signing", at=NOW).organisation_id == acme.pk
    assert certificates._store_cache is kept  # nothing changed: the store was not read again

    certificate_services.import_revocation_list(
        actor=None, crl=vendor.crl([leaf], now=NOW - timedelta(hours=1)), at=NOW
    )
    assert refused(leaf.chain) == "revoked"
    assert certificates._store_cache is not kept
    # The CRL's next update has passed by then: fail closed, whatever was validated before.
    other = certificate_for(acme, vendor, algorithm=algorithm, now=NOW)
    assert validate_certificate(other.chain, usage="signing", at=NOW).uscc == acme.uscc
    assert refused(other.chain, at=NOW + timedelta(days=30)) == "revocation_unknown"
    # A newer CRL without the serial: accepted again from its this_update on.
    certificate_services.import_revocation_list(
        actor=None, crl=vendor.crl([], now=NOW + timedelta(days=29)), at=NOW
    )
    assert validate_certificate(leaf.chain, usage="signing", at=NOW + timedelta(days=30)).uscc == acme.uscc
    assert refused(leaf.chain) == "revoked"  # at NOW the older CRL still applies


def test_a_revoked_intermediate_after_a_cached_validation(acme: Organisation) -> None:
    trust_vendor(VENDOR)
    leaf = certificate_for(acme, VENDOR, now=NOW)
    validate_certificate(leaf.chain, usage="signing", at=NOW)
    crl = VENDOR.root.crl([VENDOR.intermediate.certificate.serial_number], now=NOW - timedelta(hours=1))
    certificate_services.import_revocation_list(actor=None, crl=crl, at=NOW)
    assert refused(leaf.chain) == "revoked"


def test_a_retired_ca_after_a_cached_validation(acme: Organisation) -> None:
    root = trust_vendor(VENDOR)[0]
    leaf = certificate_for(acme, VENDOR, now=NOW)
    validate_certificate(leaf.chain, usage="signing", at=NOW)
    certificate_services.retire_authority(actor=None, authority_id=root.pk, reason="contract ended", at=NOW)
    assert refused(leaf.chain) == "retired_ca"


def test_rows_changed_in_place_are_noticed(acme: Organisation) -> None:
    """Not only new rows: a column changed by any means (here a bare UPDATE) is a new version."""
    stored = trust_vendor(VENDOR)
    leaf = certificate_for(acme, VENDOR, now=NOW)
    certificate_services.import_revocation_list(
        actor=None, crl=VENDOR.crl([], now=NOW - timedelta(hours=1)), at=NOW
    )
    validate_certificate(leaf.chain, usage="signing", at=NOW)
    kept = certificates._store_cache
    RevocationList.objects.update(next_update=NOW + timedelta(days=2))
    validate_certificate(leaf.chain, usage="signing", at=NOW)
    assert certificates._store_cache is not kept
    CertificateAuthority.objects.filter(pk=stored[1].pk).update(uscc_rule="ou")
    assert refused(leaf.chain) == "no_uscc"
    CertificateAuthority.objects.filter(pk=stored[1].pk).update(uscc_rule="serial_number")
    assert validate_certificate(leaf.chain, usage="signing", at=NOW).uscc == acme.uscc
    CertificateAuthority.objects.filter(pk=stored[0].pk).update(status=CertificateAuthority.Status.RETIRED)
    assert refused(leaf.chain) == "retired_ca"


def test_an_unchanged_store_is_not_read_again(acme: Organisation) -> None:
    trust_vendor(VENDOR)
    certificate_services.import_revocation_list(
        actor=None, crl=VENDOR.crl([], now=NOW - timedelta(hours=1)), at=NOW
    )
    leaf = certificate_for(acme, VENDOR, now=NOW)
    validate_certificate(leaf.chain, usage="signing", at=NOW)
    with CaptureQueriesContext(connection) as queries:
        validate_certificate(leaf.chain, usage="signing", at=NOW)
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert '"crl"' not in sql and '"certificate"' not in sql  # the DER bytes stay where they are


def test_remember_certificate_is_one_upsert(acme: Organisation) -> None:
    trust_vendor(VENDOR)
    check = validate_certificate(certificate_for(acme, VENDOR, now=NOW).chain, usage="signing", at=NOW)
    certificate_services.remember_certificate(check, at=NOW)
    certificate_services.remember_certificate(check, at=NOW + timedelta(days=1))
    record = EnterpriseCertificate.objects.get()
    assert (record.first_seen_at, record.last_seen_at) == (NOW, NOW + timedelta(days=1))
    assert record.organisation_id == acme.pk and record.reminded_days == []
