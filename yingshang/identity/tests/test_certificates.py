"""The trust store, certificate validation (every refusal code), certificate sign-in by
challenge (API, ECDSA and RSA), the QR flow and expiry reminders. Real certificates built with
``yingshang.pki``; real database."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from django.test import Client

from yingshang.envelope.signatures import sign
from yingshang.identity import certificate_services, facade
from yingshang.identity import ledger_actions as evidence
from yingshang.identity.certificate_services import CertificateNotAccepted
from yingshang.identity.certificates import CODES, CertificateRejected, normalise_name, validate_certificate
from yingshang.identity.models import (
    ApiToken,
    CertificateAuthority,
    CertificateChallenge,
    EnterpriseCertificate,
    Organisation,
    RevocationList,
)
from yingshang.identity.testing import certificate_for, make_organisation, make_user, sign_in, trust_vendor
from yingshang.kernel.errors import Conflict, InvalidInput, NotAuthenticated, PermissionDenied
from yingshang.kernel.identifiers import make_uscc
from yingshang.pki import Issued, Vendor, crl_pem, load_crl

pytestmark = pytest.mark.django_db

BASE = "/api/v1/identity"
NOW = datetime.now(UTC).replace(microsecond=0)

# Three vendors from three regions, three USCC rules, both key algorithms (built once).
VENDORS = {
    "north": Vendor.create("North CA", now=NOW, region="Beijing", rule="serial_number"),
    "east": Vendor.create("East CA", now=NOW, region="Shanghai", rule="ou", algorithm="RSA-2048"),
    "west": Vendor.create("West CA", now=NOW, region="Gansu", rule="extension"),
}
STRANGER = Vendor.create("Unknown CA", now=NOW, rule="serial_number")


@pytest.fixture
def store() -> dict[str, list[CertificateAuthority]]:
    return {key: trust_vendor(vendor) for key, vendor in VENDORS.items()}


@pytest.fixture
def acme() -> Organisation:
    return make_organisation(
        "enterprise", name="甘肃远航建设工程有限公司", uscc=make_uscc("9", "1", "620100", "CE000001")
    )


def refused(chain: list[bytes], *, usage: str = "signing", at: datetime = NOW) -> str:
    with pytest.raises(CertificateRejected) as caught:
        validate_certificate(chain, usage=usage, at=at)
    error = caught.value
    assert error.message.render("zh-hans") and error.message.render("en")
    assert "%(" not in error.message.render("en")
    return error.code


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("vendor_key", ["north", "east", "west"])
def test_each_vendor_rule_finds_the_enterprise(store: Any, acme: Organisation, vendor_key: str) -> None:
    vendor = VENDORS[vendor_key]
    algorithm = "RSA-2048" if vendor_key == "east" else "ECDSA-P256"
    leaf = certificate_for(acme, vendor, algorithm=algorithm, now=NOW)
    check = facade.validate_certificate(leaf.chain, usage="signing", at=NOW)
    assert check.uscc == acme.uscc and check.organisation_id == acme.pk
    assert check.organisation_name == acme.name
    assert check.fingerprint == leaf.fingerprint and len(check.fingerprint) == 64
    assert check.authority == f"{vendor.name} Issuing CA 1"
    assert check.algorithm == algorithm
    assert check.not_after == leaf.certificate.not_valid_after_utc


def test_intermediate_may_come_from_the_store(store: Any, acme: Organisation) -> None:
    leaf = certificate_for(acme, VENDORS["north"], now=NOW)
    assert validate_certificate([leaf.der], usage="signing", at=NOW).organisation_id == acme.pk


def test_encryption_certificates(store: Any, acme: Organisation) -> None:
    for key, algorithm in (("north", "ECDSA-P256"), ("east", "RSA-2048")):
        leaf = certificate_for(acme, VENDORS[key], usage="encryption", algorithm=algorithm, now=NOW)
        assert validate_certificate(leaf.chain, usage="encryption", at=NOW).usage == "encryption"
        assert refused(leaf.chain, usage="signing") == "wrong_usage"


def test_wrong_usage(store: Any, acme: Organisation) -> None:
    leaf = certificate_for(acme, VENDORS["north"], now=NOW)
    assert refused(leaf.chain, usage="encryption") == "wrong_usage"
    no_usage = x509.KeyUsage(False, False, False, True, False, False, False, False, False)
    odd = certificate_for(acme, VENDORS["north"], now=NOW, key_usage=no_usage)
    assert refused(odd.chain) == "wrong_usage"


def test_expired_and_not_yet_valid(store: Any, acme: Organisation) -> None:
    vendor = VENDORS["west"]
    assert refused(vendor.expired_leaf(acme.name, acme.uscc, usage="signing", now=NOW).chain) == "expired"
    assert (
        refused(vendor.not_yet_valid_leaf(acme.name, acme.uscc, usage="signing", now=NOW).chain)
        == "not_yet_valid"
    )
    leaf = certificate_for(acme, vendor, now=NOW)
    assert refused(leaf.chain, at=NOW + timedelta(days=400)) == "expired"


def test_unknown_ca(store: Any, acme: Organisation) -> None:
    leaf = certificate_for(acme, STRANGER, now=NOW)
    assert refused(leaf.chain) == "unknown_ca"


def test_bad_chain(store: Any, acme: Organisation) -> None:
    assert refused([b"not a certificate"]) == "bad_chain"
    assert refused([]) == "bad_chain"
    assert refused([VENDORS["north"].intermediate.der]) == "bad_chain"  # a CA is no enterprise


def test_no_uscc_and_invalid_uscc(store: Any, acme: Organisation) -> None:
    vendor = VENDORS["east"]
    bare = vendor.issue_leaf(acme.name, None, usage="signing", now=NOW)
    assert refused(bare.chain) == "no_uscc"
    broken = vendor.issue_leaf(
        acme.name, acme.uscc[:-1] + ("0" if acme.uscc[-1] != "0" else "1"), usage="signing", now=NOW
    )
    assert refused(broken.chain) == "no_uscc"
    # The USCC in the wrong place for this vendor's rule counts as missing.
    misplaced = VENDORS["east"].intermediate.issue_leaf(
        acme.name, acme.uscc, usage="signing", now=NOW, rule="serial_number"
    )
    assert refused(misplaced.chain) == "no_uscc"


def test_unknown_enterprise_and_name_mismatch(store: Any, acme: Organisation) -> None:
    vendor = VENDORS["north"]
    stranger = vendor.issue_leaf(
        "某某公司", make_uscc("9", "1", "620100", "CE000999"), usage="signing", now=NOW
    )
    assert refused(stranger.chain) == "unknown_enterprise"
    other_name = vendor.issue_leaf("甘肃远航建设有限公司", acme.uscc, usage="signing", now=NOW)
    assert refused(other_name.chain) == "name_mismatch"
    spaced = vendor.issue_leaf(" 甘肃远航建设工程有限公司 ", acme.uscc, usage="signing", now=NOW)
    assert validate_certificate(spaced.chain, usage="signing", at=NOW).organisation_id == acme.pk


def test_name_normalisation() -> None:
    assert normalise_name("甘肃（兰州）建设 有限公司") == normalise_name("甘肃(兰州)建设有限公司")
    assert normalise_name("Acme Ltd") == normalise_name("acme  ltd")


def test_revoked_through_an_imported_crl(store: Any, acme: Organisation) -> None:
    staff = make_user(roles=["centre_staff"])
    actor = facade.principal_for_user(staff)
    vendor = VENDORS["east"]
    leaf = certificate_for(acme, vendor, algorithm="RSA-2048", now=NOW)
    other = certificate_for(acme, vendor, now=NOW)
    imported = certificate_services.import_revocation_list(
        actor=actor, crl=vendor.crl([leaf], now=NOW - timedelta(hours=1)), at=NOW
    )
    assert imported.revoked_serials == [format(leaf.serial, "x")]
    assert refused(leaf.chain) == "revoked"
    assert validate_certificate(other.chain, usage="signing", at=NOW).organisation_id == acme.pk
    # A CRL past its next update leaves revocation unknown: refused, fail closed.
    assert refused(other.chain, at=NOW + timedelta(days=30)) == "revocation_unknown"
    # PEM import, a newer CRL without the serial: accepted again.
    later = crl_pem(load_crl(vendor.crl([], now=NOW + timedelta(days=29))))
    certificate_services.import_revocation_list(actor=actor, crl=later, at=NOW)
    assert validate_certificate(leaf.chain, usage="signing", at=NOW + timedelta(days=30)).uscc == acme.uscc


def test_revoked_intermediate(store: Any, acme: Organisation) -> None:
    vendor = VENDORS["west"]
    leaf = certificate_for(acme, vendor, now=NOW)
    crl = vendor.root.crl([vendor.intermediate.certificate.serial_number], now=NOW - timedelta(hours=1))
    certificate_services.import_revocation_list(actor=None, crl=crl, at=NOW)
    assert refused(leaf.chain) == "revoked"


def test_retired_ca(store: Any, acme: Organisation) -> None:
    vendor = VENDORS["north"]
    leaf = certificate_for(acme, vendor, now=NOW)
    root = store["north"][0]
    certificate_services.retire_authority(actor=None, authority_id=root.pk, reason="contract ended", at=NOW)
    assert refused(leaf.chain) == "retired_ca"
    with pytest.raises(Conflict):
        certificate_services.retire_authority(actor=None, authority_id=root.pk, reason="again")


def test_every_code_has_two_languages() -> None:
    assert set(CODES) >= {
        "unknown_ca", "expired", "not_yet_valid", "revoked", "wrong_usage", "bad_chain", "no_uscc",
        "unknown_enterprise", "name_mismatch", "retired_ca",
    }  # fmt: skip
    for text in CODES.values():
        assert text.zh != text.en


# --- trust store services -------------------------------------------------------------------------


def test_add_authority_rules_and_ledger(acme: Organisation) -> None:
    staff = facade.principal_for_user(make_user(roles=["centre_staff"]))
    vendor = Vendor.create("South CA", now=NOW, rule="extension:1.2.156.1.2.3")
    with pytest.raises(InvalidInput) as caught:  # the issuer must come first
        certificate_services.add_authority(actor=staff, certificate=vendor.intermediate.der, vendor="South")
    assert caught.value.details[0]["code"] == "unknown_issuer"
    root = certificate_services.add_authority(
        actor=staff,
        certificate=vendor.root.pem,
        vendor="South",
        region="Guangdong",
        uscc_rule="extension:1.2.156.1.2.3",
    )
    assert root.level == "root" and root.parent is None and root.added_by_id == staff.user_id
    middle = certificate_services.add_authority(
        actor=staff, certificate=vendor.intermediate.der, vendor="South", uscc_rule="extension:1.2.156.1.2.3"
    )
    assert middle.level == "intermediate" and middle.parent == root
    with pytest.raises(Conflict):
        certificate_services.add_authority(actor=staff, certificate=vendor.root.der, vendor="South")
    leaf = vendor.issue_leaf(acme.name, acme.uscc, usage="signing", now=NOW)
    assert validate_certificate(leaf.chain, usage="signing", at=NOW).authority == "South CA Issuing CA 1"
    with pytest.raises(InvalidInput):  # an end-entity certificate is not a CA
        certificate_services.add_authority(actor=staff, certificate=leaf.der, vendor="South")
    with pytest.raises(InvalidInput):
        certificate_services.add_authority(
            actor=staff, certificate=Vendor.create("X", now=NOW).root.der, vendor="X", uscc_rule="somewhere"
        )
    codes = [e["action"] for e in _ledger_actions()]
    assert codes.count(evidence.CA_ADDED) == 2


def test_only_centre_staff_keep_the_trust_store() -> None:
    bidder = facade.principal_for_user(make_user(roles=["bidder"]))
    vendor = VENDORS["north"]
    with pytest.raises(PermissionDenied):
        certificate_services.add_authority(actor=bidder, certificate=vendor.root.der, vendor="North")
    with pytest.raises(PermissionDenied):
        certificate_services.import_revocation_list(actor=bidder, crl=vendor.crl([], now=NOW))
    assert not CertificateAuthority.objects.exists()


def test_crl_of_an_unknown_issuer_is_refused(store: Any) -> None:
    with pytest.raises(InvalidInput):
        certificate_services.import_revocation_list(actor=None, crl=STRANGER.crl([], now=NOW))
    with pytest.raises(InvalidInput):
        certificate_services.import_revocation_list(actor=None, crl=b"garbage")
    assert not RevocationList.objects.exists()


def _ledger_actions() -> list[dict[str, Any]]:
    from yingshang.ledger.models import LogEntry, OutboxEntry

    actions = list(OutboxEntry.objects.values_list("action", flat=True))
    actions += list(LogEntry.objects.values_list("action", flat=True))
    return [{"action": action} for action in actions]


# --- sign-in by challenge (API) --------------------------------------------------------------------


def post_json(client: Client, path: str, body: object, headers: dict[str, str] | None = None) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)


def answer(client: Client, leaf: Issued, *, challenge: dict[str, Any] | None = None) -> dict[str, Any]:
    challenge = challenge or client.post(f"{BASE}/certificate/challenge").json()
    data = base64.b64decode(challenge["challenge"])
    return {
        "challenge_id": challenge["challenge_id"],
        "chain": [base64.b64encode(der).decode() for der in leaf.chain],
        "signature": sign(leaf.private_key, data).to_json(),
    }


@pytest.mark.parametrize(("vendor_key", "algorithm"), [("north", "ECDSA-P256"), ("east", "RSA-2048")])
def test_certificate_sign_in_gives_a_bound_token(
    client: Client, store: Any, acme: Organisation, vendor_key: str, algorithm: str
) -> None:
    bidder = make_user("acme-bidder", roles=["bidder"], organisation=acme)
    leaf = certificate_for(acme, VENDORS[vendor_key], algorithm=algorithm)
    response = client.post(f"{BASE}/certificate/challenge")
    assert response.status_code == 201
    challenge = response.json()
    assert len(base64.b64decode(challenge["challenge"])) == 32
    body = answer(client, leaf, challenge=challenge)
    response = post_json(client, f"{BASE}/certificate/token", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["uscc"] == acme.uscc and out["organisation"] == acme.name
    assert out["fingerprint"] == leaf.fingerprint
    token = ApiToken.objects.get(certificate_fingerprint=leaf.fingerprint)
    assert token.user == bidder and token.organisation == acme
    lifetime = token.expires_at - token.created_at
    assert timedelta(minutes=29) < lifetime <= timedelta(minutes=30)
    me = client.get(f"{BASE}/me", headers={"Authorization": f"Bearer {out['token']}"})
    assert me.status_code == 200 and me.json()["roles"] == ["bidder"]
    assert EnterpriseCertificate.objects.get(fingerprint=leaf.fingerprint).organisation == acme
    # The challenge is single-use: the same answer again is refused.
    again = post_json(client, f"{BASE}/certificate/token", body)
    assert again.status_code == 401 and again.json()["code"] == "challenge_invalid"
    stored = CertificateChallenge.objects.get(public_id=challenge["challenge_id"])
    assert base64.b64decode(challenge["challenge"]).hex() not in json.dumps(
        {k: str(v) for k, v in stored.__dict__.items()}
    )
    assert evidence.CERTIFICATE_SIGNED_IN in [e["action"] for e in _ledger_actions()]


def test_certificate_of_a_request(client: Client, store: Any, acme: Organisation, rf: Any) -> None:
    make_user(roles=["bidder"], organisation=acme)
    leaf = certificate_for(acme, VENDORS["north"])
    out = post_json(client, f"{BASE}/certificate/token", answer(client, leaf)).json()
    request = rf.get("/")
    from yingshang.identity.services import authenticate_api_token

    request.api_token = authenticate_api_token(raw=out["token"])
    request.user = request.api_token.user
    assert facade.certificate_of(request) == leaf.fingerprint


def test_bad_signature_and_refused_certificate(client: Client, store: Any, acme: Organisation) -> None:
    make_user(roles=["bidder"], organisation=acme)
    leaf = certificate_for(acme, VENDORS["north"])
    other = certificate_for(acme, VENDORS["north"])
    body = answer(client, leaf)
    body["signature"] = answer(
        client, other, challenge={"challenge_id": "x", "challenge": base64.b64encode(b"other").decode()}
    )["signature"]
    response = post_json(client, f"{BASE}/certificate/token", body)
    assert response.status_code == 401 and response.json()["code"] == "bad_signature"
    expired = VENDORS["north"].expired_leaf(acme.name, acme.uscc, usage="signing", now=NOW)
    response = post_json(client, f"{BASE}/certificate/token", answer(client, expired))
    assert response.status_code == 401 and response.json()["code"] == "expired"
    unknown = certificate_for(acme, STRANGER)
    response = post_json(client, f"{BASE}/certificate/token", answer(client, unknown))
    assert response.json()["code"] == "unknown_ca"
    assert not ApiToken.objects.exists()


def test_expired_challenge_and_token_expiry(client: Client, store: Any, acme: Organisation) -> None:
    make_user(roles=["bidder"], organisation=acme)
    leaf = certificate_for(acme, VENDORS["north"])
    old = certificate_services.create_challenge(at=datetime.now(UTC) - timedelta(minutes=6))
    body = answer(client, leaf, challenge={"challenge_id": old.challenge_id, "challenge": old.challenge_b64})
    response = post_json(client, f"{BASE}/certificate/token", body)
    assert response.status_code == 401 and response.json()["code"] == "challenge_invalid"
    fresh = certificate_services.create_challenge()
    result = certificate_services.sign_in_with_certificate(
        challenge_id=fresh.challenge_id, chain=leaf.chain, signature=sign(leaf.private_key, fresh.challenge)
    )
    assert result.token is not None
    with pytest.raises(NotAuthenticated):
        from yingshang.identity.services import authenticate_api_token

        authenticate_api_token(
            raw=result.plain_token or "", at=result.token.expires_at + timedelta(seconds=1)
        )


def test_organisation_without_bidder_account(client: Client, store: Any, acme: Organisation) -> None:
    leaf = certificate_for(acme, VENDORS["north"])
    response = post_json(client, f"{BASE}/certificate/token", answer(client, leaf))
    assert response.status_code == 401 and response.json()["code"] == "no_bidder_account"


def test_malformed_bodies(client: Client) -> None:
    response = post_json(
        client, f"{BASE}/certificate/token", {"challenge_id": "x", "chain": [], "signature": {}}
    )
    assert response.status_code in (400, 422)
    response = post_json(
        client,
        f"{BASE}/certificate/token",
        {
            "challenge_id": "x",
            "chain": ["!!"],
            "signature": {"algorithm": "ECDSA-P256-SHA256", "value": "??"},
        },
    )
    assert response.status_code == 400


# --- QR flow ----------------------------------------------------------------------------------------


def test_qr_sign_in(client: Client, store: Any, acme: Organisation) -> None:
    bidder = make_user(roles=["bidder"], organisation=acme)
    leaf = certificate_for(acme, VENDORS["west"])
    page = client.get("/account/certificate/qr/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    found = re.search(r'data-qr-payload="([^"]+)"', html)
    assert found is not None
    payload = json.loads(found.group(1).replace("&quot;", '"'))
    assert payload["url"].endswith(f"/api/v1/identity/certificate/qr/{payload['challenge_id']}/sign")
    # Polling before the phone signed: still waiting.
    waiting = client.get(f"/account/certificate/qr/{payload['challenge_id']}/status/")
    assert waiting.status_code == 200 and b'data-state="waiting"' in waiting.content
    assert b"<html" in waiting.content  # without JavaScript: a whole page
    fragment = client.get(
        f"/account/certificate/qr/{payload['challenge_id']}/status/", headers={"HX-Request": "true"}
    )
    assert b'data-state="waiting"' in fragment.content and b"<html" not in fragment.content
    phone = Client()
    body = answer(phone, leaf, challenge=payload)
    del body["challenge_id"]
    signed = post_json(phone, f"/api/v1/identity/certificate/qr/{payload['challenge_id']}/sign", body)
    assert signed.status_code == 200, signed.content
    assert signed.json()["uscc"] == acme.uscc
    # A different browser cannot take this sign-in.
    other = Client()
    assert other.get(f"/account/certificate/qr/{payload['challenge_id']}/status/").status_code in (403, 404)
    done = client.get(
        f"/account/certificate/qr/{payload['challenge_id']}/status/", headers={"HX-Request": "true"}
    )
    assert done.status_code == 200 and done["HX-Redirect"] == "/account/"
    me = client.get(f"{BASE}/me").json()
    assert me["user"]["id"] == bidder.pk
    # Replaying the phone's answer is refused.
    again = post_json(phone, f"/api/v1/identity/certificate/qr/{payload['challenge_id']}/sign", body)
    assert again.status_code == 401


def test_qr_challenge_cannot_be_used_for_a_token(client: Client, store: Any, acme: Organisation) -> None:
    make_user(roles=["bidder"], organisation=acme)
    leaf = certificate_for(acme, VENDORS["west"])
    qr = certificate_services.create_challenge(purpose="qr")
    body = answer(client, leaf, challenge={"challenge_id": qr.challenge_id, "challenge": qr.challenge_b64})
    assert post_json(client, f"{BASE}/certificate/token", body).status_code == 401


# --- staff API --------------------------------------------------------------------------------------


def test_staff_api(client: Client, store: Any) -> None:
    staff = make_user(roles=["centre_staff"])
    sign_in(client, staff)
    listed = client.get(f"{BASE}/certificate-authorities")
    assert listed.status_code == 200 and len(listed.json()) == 6
    vendor = Vendor.create("API CA", now=NOW, rule="ou")
    csrf = {"X-CSRFToken": _csrf(client)}
    created = post_json(
        client,
        f"{BASE}/certificate-authorities",
        {"certificate": vendor.root.pem.decode(), "vendor": "API CA", "region": "Hubei", "uscc_rule": "ou"},
        headers=csrf,
    )
    assert created.status_code == 201, created.content
    authority_id = created.json()["id"]
    crl = post_json(
        client,
        f"{BASE}/revocation-lists",
        {"crl": base64.b64encode(vendor.root.crl([], now=NOW)).decode()},
        headers=csrf,
    )
    assert crl.status_code == 201, crl.content
    assert client.get(f"{BASE}/revocation-lists").json()[0]["revoked"] == 0
    retired = post_json(
        client, f"{BASE}/certificate-authorities/{authority_id}/retire", {"reason": "test"}, headers=csrf
    )
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    bad = post_json(
        client, f"{BASE}/certificate-authorities", {"certificate": "%%%", "vendor": "x"}, headers=csrf
    )
    assert bad.status_code == 400


def test_bidders_cannot_see_the_trust_store(client: Client, store: Any) -> None:
    sign_in(client, make_user(roles=["bidder"]))
    assert client.get(f"{BASE}/certificate-authorities").status_code == 403


def _csrf(client: Client) -> str:
    client.get("/account/")
    return client.cookies["csrftoken"].value


# --- expiry reminders -------------------------------------------------------------------------------


def test_expiry_reminders_once_per_threshold(store: Any, acme: Organisation) -> None:
    from yingshang.notifications import facade as notifications

    user = make_user(roles=["bidder"], organisation=acme)
    leaf = certificate_for(acme, VENDORS["north"], now=NOW, not_after=NOW + timedelta(days=40))
    check = validate_certificate(leaf.chain, usage="signing", at=NOW)
    facade.remember_certificate(check, at=NOW)
    assert certificate_services.send_certificate_reminders(now=NOW) == 0
    at_29 = NOW + timedelta(days=11)
    assert certificate_services.send_certificate_reminders(now=at_29) == 1
    assert certificate_services.send_certificate_reminders(now=at_29 + timedelta(hours=1)) == 0
    at_6 = NOW + timedelta(days=34)
    assert certificate_services.send_certificate_reminders(now=at_6) == 1
    assert certificate_services.send_certificate_reminders(now=at_6 + timedelta(days=1)) == 0
    record = EnterpriseCertificate.objects.get(fingerprint=leaf.fingerprint)
    assert record.reminded_days == [30, 7]
    notifications.deliver_pending()
    inbox = notifications.inbox(facade.principal_for_user(user))
    assert [entry.template for entry in inbox].count("identity.certificate_expiring") == 2


def test_late_first_sight_gets_only_the_nearest_reminder(store: Any, acme: Organisation) -> None:
    from yingshang.identity.tasks import remind_expiring_certificates

    make_user(roles=["bidder"], organisation=acme)
    leaf = certificate_for(acme, VENDORS["north"], now=NOW, not_after=NOW + timedelta(days=5))
    facade.remember_certificate(validate_certificate(leaf.chain, usage="signing", at=NOW), at=NOW)
    assert remind_expiring_certificates(NOW) == 1
    assert remind_expiring_certificates(NOW + timedelta(days=1)) == 0
    assert EnterpriseCertificate.objects.get().reminded_days == [30, 7]


def test_certificate_not_accepted_is_a_domain_error() -> None:
    error = CertificateNotAccepted("x", code="expired")
    assert error.status == 401 and error.code == "expired"


# --- SM2 (our own path check) ---------------------------------------------------------------------

SM2_VENDOR = Vendor.create("Guomi CA", now=NOW, region="Shenzhen", rule="ou", algorithm="SM2")


@pytest.fixture
def sm2_store(store: Any) -> list[CertificateAuthority]:
    return trust_vendor(SM2_VENDOR)


def test_sm2_certificates(sm2_store: Any, acme: Organisation) -> None:
    leaf = certificate_for(acme, SM2_VENDOR, algorithm="SM2", now=NOW)
    check = validate_certificate(leaf.chain, usage="signing", at=NOW)
    assert check.algorithm == "SM2" and check.uscc == acme.uscc
    assert check.authority == "Guomi CA Issuing CA 1"
    assert validate_certificate([leaf.der], usage="signing", at=NOW).organisation_id == acme.pk
    assert sm2_store[1].level == "intermediate" and sm2_store[1].parent == sm2_store[0]
    assert refused(leaf.chain, usage="encryption") == "wrong_usage"
    encryption = certificate_for(acme, SM2_VENDOR, algorithm="SM2", usage="encryption", now=NOW)
    assert validate_certificate(encryption.chain, usage="encryption", at=NOW).usage == "encryption"
    expired = SM2_VENDOR.expired_leaf(acme.name, acme.uscc, usage="signing", now=NOW, algorithm="SM2")
    assert refused(expired.chain) == "expired"
    early = SM2_VENDOR.not_yet_valid_leaf(acme.name, acme.uscc, usage="signing", now=NOW, algorithm="SM2")
    assert refused(early.chain) == "not_yet_valid"
    stranger = Vendor.create("Other Guomi", now=NOW, algorithm="SM2")
    assert (
        refused(stranger.issue_leaf(acme.name, acme.uscc, usage="signing", now=NOW, algorithm="SM2").chain)
        == "unknown_ca"
    )
    other_name = SM2_VENDOR.issue_leaf("别的公司", acme.uscc, usage="signing", now=NOW, algorithm="SM2")
    assert refused(other_name.chain) == "name_mismatch"
    certificate_services.import_revocation_list(
        actor=None, crl=SM2_VENDOR.crl([leaf], now=NOW - timedelta(hours=1)), at=NOW
    )
    assert refused(leaf.chain) == "revoked"
    assert refused(encryption.chain, usage="encryption", at=NOW + timedelta(days=30)) == "revocation_unknown"
    certificate_services.retire_authority(actor=None, authority_id=sm2_store[0].pk, reason="test")
    assert refused(encryption.chain, usage="encryption") == "retired_ca"


def test_sm2_sign_in(client: Client, sm2_store: Any, acme: Organisation) -> None:
    make_user(roles=["bidder"], organisation=acme)
    leaf = certificate_for(acme, SM2_VENDOR, algorithm="SM2")
    body = answer(client, leaf)
    assert body["signature"]["algorithm"] == "SM2-SM3"
    response = post_json(client, f"{BASE}/certificate/token", body)
    assert response.status_code == 201, response.content
    assert response.json()["fingerprint"] == leaf.fingerprint


def test_old_challenges_are_purged() -> None:
    from yingshang.identity.tasks import remind_expiring_certificates

    old = certificate_services.create_challenge(at=NOW - timedelta(days=2))
    fresh = certificate_services.create_challenge(at=NOW)
    remind_expiring_certificates(now=NOW)
    assert list(CertificateChallenge.objects.values_list("public_id", flat=True)) == [fresh.challenge_id]
    assert old.challenge_id != fresh.challenge_id


def test_sign_in_page_links_to_qr_sign_in(client: Client) -> None:
    assert b"/account/certificate/qr/" in client.get("/account/sign-in/").content


def test_qr_sign_in_without_javascript_and_expiry(client: Client, store: Any, acme: Organisation) -> None:
    make_user(roles=["bidder"], organisation=acme)
    leaf = certificate_for(acme, VENDORS["north"])
    client.get("/account/certificate/qr/")
    challenge_id = client.session["identity.qr_challenge"]
    challenge = CertificateChallenge.objects.get(public_id=challenge_id)
    assert challenge.purpose == "qr"
    expected = certificate_services._challenge_bytes(challenge.public_id, challenge.created_at)
    certificate_services.sign_in_with_certificate(
        challenge_id=challenge_id, chain=leaf.chain, signature=sign(leaf.private_key, expected), purpose="qr"
    )
    response = client.get(f"/account/certificate/qr/{challenge_id}/status/")
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert client.get("/account/").status_code == 200
    # A code nobody signed in time: the page says it expired.
    other = Client()
    other.get("/account/certificate/qr/")
    stale_id = other.session["identity.qr_challenge"]
    CertificateChallenge.objects.filter(public_id=stale_id).update(
        created_at=NOW - timedelta(minutes=20), expires_at=NOW - timedelta(minutes=10)
    )
    page = other.get(f"/account/certificate/qr/{stale_id}/status/")
    assert page.status_code == 200 and b'role="alert"' in page.content


def test_one_address_may_ask_for_only_so_many_challenges_a_minute(client: Client, settings: Any) -> None:
    """The challenge endpoint needs no sign-in: one client address gets at most the configured
    number of new challenges a minute (429, in the caller's language), others are not affected,
    and a minute later it may ask again."""
    settings.YINGSHANG = {**settings.YINGSHANG, "CERTIFICATE_CHALLENGES_PER_MINUTE": 3}
    url = f"{BASE}/certificate/challenge"
    for _ in range(3):
        assert client.post(url, REMOTE_ADDR="198.51.100.7").status_code == 201
    refused = client.post(url, REMOTE_ADDR="198.51.100.7", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_challenges"
    assert "wait a minute" in refused.json()["detail"]
    assert client.post(url, REMOTE_ADDR="198.51.100.8").status_code == 201  # another address
    assert CertificateChallenge.objects.filter(client_address="198.51.100.7").count() == 3
    CertificateChallenge.objects.update(created_at=datetime.now(UTC) - timedelta(minutes=2))
    assert client.post(url, REMOTE_ADDR="198.51.100.7").status_code == 201


def _sm2_sub_ca(extensions: list[tuple[x509.ExtensionType, bool]]) -> tuple[Any, list[CertificateAuthority]]:
    """An SM2 vendor whose issuing CA carries ``extensions``, trusted in the store."""
    vendor = Vendor.create("Guomi Constrained CA", now=NOW, region="Shenzhen", rule="ou", algorithm="SM2")
    constrained = vendor.root.issue_intermediate(
        "Guomi Constrained Issuing CA", now=NOW, algorithm="SM2", extensions=extensions
    )
    stored = trust_vendor(vendor)
    certificate_services.ensure_authority(certificate=constrained.der, vendor=vendor.name, uscc_rule="ou")
    return constrained, stored


def test_sm2_path_length_constraint(sm2_store: Any, acme: Organisation) -> None:
    """The issuing CA allows no CA below it (path length 0): a leaf under a sub-CA is refused,
    though every signature in the chain is good."""
    sub = SM2_VENDOR.intermediate.issue_intermediate("Guomi Sub CA", now=NOW, algorithm="SM2")
    leaf = sub.issue_leaf(acme.name, acme.uscc, usage="signing", now=NOW, rule="ou", algorithm="SM2")
    assert refused([leaf.der, sub.der]) == "bad_chain"
    with pytest.raises(CertificateRejected) as caught:
        validate_certificate([leaf.der, sub.der], usage="signing", at=NOW)
    assert "path length" in caught.value.message.render("en")


def test_sm2_name_constraints(store: Any, acme: Organisation) -> None:
    """An issuing CA constrained to O=<acme> issues for acme only; an excluded subtree refuses."""
    permitted = x509.NameConstraints(
        permitted_subtrees=[
            x509.DirectoryName(
                x509.Name(
                    [
                        x509.NameAttribute(x509.NameOID.COUNTRY_NAME, "CN"),
                        x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, acme.name),
                    ]
                )
            )
        ],
        excluded_subtrees=None,
    )
    ca, _ = _sm2_sub_ca([(permitted, True)])
    ours = ca.issue_leaf(acme.name, acme.uscc, usage="signing", now=NOW, rule="ou", algorithm="SM2")
    assert validate_certificate([ours.der, ca.der], usage="signing", at=NOW).organisation_id == acme.pk
    other = make_organisation("enterprise", name="金城市别家建设有限公司")
    theirs = ca.issue_leaf(other.name, other.uscc, usage="signing", now=NOW, rule="ou", algorithm="SM2")
    assert refused([theirs.der, ca.der]) == "bad_chain"

    excluded = x509.NameConstraints(
        permitted_subtrees=None,
        excluded_subtrees=[
            x509.DirectoryName(x509.Name([x509.NameAttribute(x509.NameOID.COUNTRY_NAME, "CN")]))
        ],
    )
    barred, _ = _sm2_sub_ca([(excluded, True)])
    leaf = barred.issue_leaf(acme.name, acme.uscc, usage="signing", now=NOW, rule="ou", algorithm="SM2")
    with pytest.raises(CertificateRejected) as caught:
        validate_certificate([leaf.der, barred.der], usage="signing", at=NOW)
    assert caught.value.code == "bad_chain" and "name constraints" in caught.value.message.render("en")


def test_sm2_unprocessed_critical_extension_refuses(store: Any, acme: Organisation) -> None:
    """Policy constraints are not processed for SM2 chains: critical, they refuse the chain."""
    policy = x509.PolicyConstraints(require_explicit_policy=0, inhibit_policy_mapping=None)
    ca, _ = _sm2_sub_ca([(policy, True)])
    leaf = ca.issue_leaf(acme.name, acme.uscc, usage="signing", now=NOW, rule="ou", algorithm="SM2")
    with pytest.raises(CertificateRejected) as caught:
        validate_certificate([leaf.der, ca.der], usage="signing", at=NOW)
    assert caught.value.code == "bad_chain" and "2.5.29.36" in caught.value.message.render("en")
