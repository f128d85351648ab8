"""Certificate sign-in and the trust store in the identity API (mounted under /api/v1/identity).

Sign-in (no authentication needed: the signature is the credential):

- ``POST /certificate/challenge`` -> ``{challenge_id, challenge (base64), expires_at}``
- ``POST /certificate/token`` ``{challenge_id, chain: [base64 DER, leaf first], signature:
  {algorithm, value (base64)}}`` -> ``{token, expires_at, organisation, uscc, fingerprint}``
- ``POST /certificate/qr/{challenge_id}/sign`` ``{chain, signature}`` (the mobile signer) -> 200

Trust store (centre staff; tokens need ``identity:read`` / ``identity:write``):

- ``GET /certificate-authorities``, ``POST /certificate-authorities``,
  ``POST /certificate-authorities/{authority_id}/retire``,
  ``GET /revocation-lists``, ``POST /revocation-lists``
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from yingshang.envelope.signatures import Signature
from yingshang.identity import certificate_services
from yingshang.identity.auth import API_AUTH
from yingshang.identity.facade import principal_for, require_scope
from yingshang.identity.models import CertificateAuthority, CertificateChallenge, RevocationList
from yingshang.identity.roles import Role
from yingshang.kernel.errors import InvalidInput, PermissionDenied
from yingshang.kernel.text import Text

router = Router(auth=API_AUTH, tags=["identity: certificates"])


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class ChallengeOut(Schema):
    challenge_id: str
    challenge: str = Field(description="Base64 of the bytes to sign, exactly.")
    expires_at: datetime


class SignatureIn(StrictSchema):
    algorithm: str = Field(examples=["ECDSA-P256-SHA256"], description="ECDSA-P256-SHA256 or RSA-PSS-SHA256.")
    value: str = Field(description="Base64 of the signature (ECDSA: DER-encoded).")


class CertificateTokenIn(StrictSchema):
    challenge_id: str = Field(max_length=40)
    chain: list[str] = Field(min_length=1, max_length=8, description="Base64 DER certificates, leaf first.")
    signature: SignatureIn


class QrSignIn(StrictSchema):
    challenge_id: str | None = Field(
        default=None, max_length=40, description="Optional; must match the path."
    )
    chain: list[str] = Field(min_length=1, max_length=8)
    signature: SignatureIn


class CertificateTokenOut(Schema):
    token: str = Field(description="The API token (Bearer). Bound to the certificate; shown once.")
    expires_at: datetime
    organisation: str
    uscc: str
    fingerprint: str


class QrSignedOut(Schema):
    organisation: str
    uscc: str
    fingerprint: str


class AuthorityOut(Schema):
    id: int
    name: str
    vendor: str
    region: str
    level: str
    parent_id: int | None
    fingerprint: str
    subject: str
    not_before: datetime
    not_after: datetime
    uscc_rule: str
    status: str
    retired_at: datetime | None
    retired_reason: str


class AuthorityIn(StrictSchema):
    certificate: str = Field(description="The CA certificate: PEM text or base64 DER.")
    vendor: str = Field(min_length=1, max_length=200)
    region: str = Field(default="", max_length=100)
    uscc_rule: str = Field(default="serial_number", examples=["serial_number", "ou", "extension:1.2.3.4"])
    name: str | None = Field(default=None, max_length=200)


class RetireIn(StrictSchema):
    reason: str = Field(min_length=1, max_length=500)


class RevocationListIn(StrictSchema):
    crl: str = Field(description="The CRL: PEM text or base64 DER.")


class RevocationListOut(Schema):
    id: int
    authority_id: int
    authority: str
    this_update: datetime
    next_update: datetime | None
    revoked: int
    fingerprint: str


def _client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _signature(payload: SignatureIn) -> Signature:
    try:
        value = base64.b64decode(payload.value, validate=True)
    except (binascii.Error, ValueError) as exc:
        message = Text(zh="签名值应为 Base64。", en="The signature value is base64.")
        raise InvalidInput(
            message,
            details=[{"field": "body.signature.value", "code": "not_base64", "message": str(message)}],
        ) from exc
    return Signature(payload.algorithm, value)


def _blob(text: str, field: str) -> bytes:
    data = text.strip()
    if data.startswith("-----BEGIN"):
        return data.encode("ascii", errors="replace")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        message = Text(zh="应为 PEM 文本或 Base64 编码的 DER。", en="Expected PEM text or base64 DER.")
        raise InvalidInput(
            message, details=[{"field": f"body.{field}", "code": "not_base64", "message": str(message)}]
        ) from exc


def _staff(request: HttpRequest, scope: str) -> None:
    require_scope(request, scope)
    principal = principal_for(request)
    if not (principal.is_superuser or principal.has_role(Role.CENTRE_STAFF)):
        raise PermissionDenied(
            Text(
                zh="只有交易中心工作人员可以查看和维护互认 CA 名录。",
                en="Only trading centre staff can see and maintain the trust store.",
            )
        )


def _authority_out(authority: CertificateAuthority) -> AuthorityOut:
    return AuthorityOut(
        id=authority.pk,
        name=authority.name,
        vendor=authority.vendor,
        region=authority.region,
        level=authority.level,
        parent_id=authority.parent_id,
        fingerprint=authority.fingerprint,
        subject=authority.subject,
        not_before=authority.not_before,
        not_after=authority.not_after,
        uscc_rule=authority.uscc_rule,
        status=authority.status,
        retired_at=authority.retired_at,
        retired_reason=authority.retired_reason,
    )


def _crl_out(crl: RevocationList) -> RevocationListOut:
    return RevocationListOut(
        id=crl.pk,
        authority_id=crl.authority_id,
        authority=crl.authority.name,
        this_update=crl.this_update,
        next_update=crl.next_update,
        revoked=len(crl.revoked_serials or []),
        fingerprint=crl.fingerprint,
    )


@router.post(
    "/certificate/challenge",
    auth=None,
    response={201: ChallengeOut},
    summary="A single-use challenge to sign with an enterprise certificate (valid 5 minutes)",
)
def certificate_challenge(request: HttpRequest) -> Status[ChallengeOut]:
    new = certificate_services.create_challenge(purpose=CertificateChallenge.Purpose.TOKEN)
    return Status(
        201,
        ChallengeOut(challenge_id=new.challenge_id, challenge=new.challenge_b64, expires_at=new.expires_at),
    )


@router.post(
    "/certificate/token",
    auth=None,
    response={201: CertificateTokenOut},
    summary="Exchange a signed challenge for a short-lived API token bound to the certificate",
)
def certificate_token(request: HttpRequest, payload: CertificateTokenIn) -> Status[CertificateTokenOut]:
    result = certificate_services.sign_in_with_certificate(
        challenge_id=payload.challenge_id,
        chain=payload.chain,
        signature=_signature(payload.signature),
        purpose=CertificateChallenge.Purpose.TOKEN,
        client_address=_client_address(request),
    )
    assert result.token is not None and result.plain_token is not None
    return Status(
        201,
        CertificateTokenOut(
            token=result.plain_token,
            expires_at=result.token.expires_at,
            organisation=result.organisation.name,
            uscc=result.organisation.uscc,
            fingerprint=result.check.fingerprint,
        ),
    )


@router.post(
    "/certificate/qr/{challenge_id}/sign",
    auth=None,
    response=QrSignedOut,
    summary="The mobile signer answers a QR challenge; the waiting browser then signs in",
)
def certificate_qr_sign(request: HttpRequest, challenge_id: str, payload: QrSignIn) -> QrSignedOut:
    if payload.challenge_id is not None and payload.challenge_id != challenge_id:
        message = Text(
            zh="请求体中的挑战编号与地址不一致。", en="The challenge id in the body differs from the path."
        )
        raise InvalidInput(
            message, details=[{"field": "body.challenge_id", "code": "mismatch", "message": str(message)}]
        )
    result = certificate_services.sign_in_with_certificate(
        challenge_id=challenge_id,
        chain=payload.chain,
        signature=_signature(payload.signature),
        purpose=CertificateChallenge.Purpose.QR,
        client_address=_client_address(request),
    )
    return QrSignedOut(
        organisation=result.organisation.name,
        uscc=result.organisation.uscc,
        fingerprint=result.check.fingerprint,
    )


@router.get(
    "/certificate-authorities",
    response=list[AuthorityOut],
    summary="The trust store: recognised CA certificates (centre staff)",
)
def list_authorities(request: HttpRequest) -> list[AuthorityOut]:
    _staff(request, "identity:read")
    return [_authority_out(a) for a in CertificateAuthority.objects.order_by("vendor", "level", "name", "id")]


@router.post(
    "/certificate-authorities",
    response={201: AuthorityOut},
    summary="Add a root or intermediate CA to the trust store (centre staff)",
)
def add_authority(request: HttpRequest, payload: AuthorityIn) -> Status[AuthorityOut]:
    _staff(request, "identity:write")
    authority = certificate_services.add_authority(
        actor=principal_for(request),
        certificate=_blob(payload.certificate, "certificate"),
        vendor=payload.vendor,
        region=payload.region,
        uscc_rule=payload.uscc_rule,
        name=payload.name,
    )
    return Status(201, _authority_out(authority))


@router.post(
    "/certificate-authorities/{authority_id}/retire",
    response=AuthorityOut,
    summary="Stop recognising a CA (centre staff)",
)
def retire_authority(request: HttpRequest, authority_id: int, payload: RetireIn) -> AuthorityOut:
    _staff(request, "identity:write")
    authority = certificate_services.retire_authority(
        actor=principal_for(request), authority_id=authority_id, reason=payload.reason
    )
    return _authority_out(authority)


@router.get(
    "/revocation-lists",
    response=list[RevocationListOut],
    summary="Imported certificate revocation lists (centre staff)",
)
def list_revocation_lists(request: HttpRequest) -> list[RevocationListOut]:
    _staff(request, "identity:read")
    return [_crl_out(crl) for crl in RevocationList.objects.select_related("authority")]


@router.post(
    "/revocation-lists",
    response={201: RevocationListOut},
    summary="Import a CRL; its signature must verify with a CA in the trust store (centre staff)",
)
def import_revocation_list(request: HttpRequest, payload: RevocationListIn) -> Status[RevocationListOut]:
    _staff(request, "identity:write")
    crl = certificate_services.import_revocation_list(
        actor=principal_for(request), crl=_blob(payload.crl, "crl")
    )
    return Status(201, _crl_out(crl))
