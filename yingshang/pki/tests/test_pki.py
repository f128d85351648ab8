"""The test CA builder: USCC placement, usages, validity, CRLs, encodings, SM2. Pure (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

from yingshang.envelope.signatures import public_key_of_certificate, sign, verify
from yingshang.pki import (
    DEFAULT_USCC_EXTENSION_OID,
    KeyAlgorithm,
    UsccRule,
    Vendor,
    certificate_pem,
    fingerprint,
    load_certificate,
    load_crl,
    read_uscc,
    utf8_string_der,
)
from yingshang.pki import sm2 as pki_sm2

NOW = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
USCC = "91620100MA74XK1Q1N"


def test_rules_parse_and_print() -> None:
    assert str(UsccRule.parse("ou")) == "ou"
    assert UsccRule.parse("extension").oid == DEFAULT_USCC_EXTENSION_OID
    assert str(UsccRule.parse("extension:1.2.3")) == "extension:1.2.3"
    for bad in ("", "subject", "extension:abc"):
        with pytest.raises(ValueError):
            UsccRule.parse(bad)


@pytest.mark.parametrize("rule", ["serial_number", "ou", "extension"])
def test_uscc_is_where_the_rule_says(rule: str) -> None:
    vendor = Vendor.create("V", now=NOW, rule=rule)
    leaf = vendor.issue_leaf("Acme", USCC, usage="signing", now=NOW)
    assert read_uscc(leaf.certificate, vendor.rule) == USCC
    others = {"serial_number", "ou", "extension"} - {rule}
    assert all(read_uscc(leaf.certificate, UsccRule.parse(o)) is None for o in others)
    assert (
        read_uscc(vendor.issue_leaf("Acme", None, usage="signing", now=NOW).certificate, vendor.rule) is None
    )


def test_chain_validity_and_usage() -> None:
    vendor = Vendor.create("V", now=NOW, algorithm="RSA-2048")
    leaf = vendor.issue_leaf("Acme", USCC, usage="encryption", now=NOW, algorithm="RSA-2048")
    assert leaf.chain == [leaf.der, vendor.intermediate.der]
    leaf.certificate.verify_directly_issued_by(vendor.intermediate.certificate)
    vendor.intermediate.certificate.verify_directly_issued_by(vendor.root.certificate)
    usage = leaf.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_encipherment and not usage.digital_signature
    assert leaf.certificate.not_valid_before_utc == NOW - dt.timedelta(days=1)
    expired = vendor.expired_leaf("Acme", USCC, usage="signing", now=NOW)
    assert expired.certificate.not_valid_after_utc < NOW
    assert (
        vendor.not_yet_valid_leaf("Acme", USCC, usage="signing", now=NOW).certificate.not_valid_before_utc
        > NOW
    )
    ec_leaf = vendor.issue_leaf("Acme", USCC, usage="encryption", now=NOW)
    assert ec_leaf.certificate.extensions.get_extension_for_class(x509.KeyUsage).value.key_agreement


def test_crl_and_encodings() -> None:
    vendor = Vendor.create("V", now=NOW)
    leaf = vendor.issue_leaf("Acme", USCC, usage="signing", now=NOW)
    crl = load_crl(vendor.crl([leaf, 77], now=NOW))
    assert {entry.serial_number for entry in crl} == {leaf.serial, 77}
    assert crl.is_signature_valid(vendor.intermediate.certificate.public_key())  # type: ignore[arg-type]
    assert crl.next_update_utc == NOW + dt.timedelta(days=7)
    assert load_certificate(certificate_pem(leaf.certificate)) == leaf.certificate
    assert fingerprint(leaf.der) == leaf.fingerprint and len(leaf.fingerprint) == 64
    assert leaf.private_key_pem().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert b"ENCRYPTED" in leaf.private_key_pem(b"secret")
    assert utf8_string_der("x" * 200)[:3] == b"\x0c\x81\xc8"


def test_keys_sign_what_their_certificates_verify() -> None:
    algorithms: tuple[KeyAlgorithm, ...] = ("ECDSA-P256", "RSA-2048", "SM2")
    for algorithm in algorithms:
        vendor = Vendor.create("V", now=NOW, algorithm=algorithm)
        leaf = vendor.issue_leaf("Acme", USCC, usage="signing", now=NOW, algorithm=algorithm)
        verify(public_key_of_certificate(leaf.der), b"hello", sign(leaf.private_key, b"hello"))


def test_sm2_hierarchy() -> None:
    vendor = Vendor.create("Guomi", now=NOW, algorithm="SM2", rule="extension")
    leaf = vendor.issue_leaf("Acme", USCC, usage="signing", now=NOW, algorithm="SM2")
    assert pki_sm2.is_sm2(leaf.der) and not pki_sm2.is_sm2(Vendor.create("E", now=NOW).root.der)
    assert pki_sm2.verify_signed_by(leaf.der, vendor.intermediate.der)
    assert pki_sm2.verify_signed_by(vendor.intermediate.der, vendor.root.der)
    assert not pki_sm2.verify_signed_by(leaf.der, vendor.root.der)
    assert read_uscc(leaf.certificate, vendor.rule) == USCC
    crl = vendor.crl([leaf], now=NOW)
    assert pki_sm2.verify_signed_by(crl, vendor.intermediate.der, kind="crl")
    assert [entry.serial_number for entry in load_crl(crl)] == [leaf.serial]
    with pytest.raises(ValueError):
        vendor.intermediate.issue_leaf("Acme", USCC, usage="signing", now=NOW, algorithm="ECDSA-P256")
