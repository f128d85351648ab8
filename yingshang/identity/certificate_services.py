"""Writes of the trust store and of certificate sign-in, one transaction each, with their
ledger entries (docs/identity.md, "Certificates").

- :func:`add_authority`, :func:`retire_authority`, :func:`import_revocation_list`: centre staff
  (or a superuser) keep the trust store; :func:`ensure_authority` is for the demo and tests.
- :func:`create_challenge`, :func:`sign_in_with_certificate`, :func:`take_qr_sign_in`:
  certificate sign-in by challenge and signature (the bidder tool gets a short-lived API token
  bound to the certificate; a QR challenge signs a waiting browser in).
- :func:`send_certificate_reminders`: reminders before a known certificate expires.

Security time (challenge and token expiry) is the wall clock; ``at=`` fixes it in tests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac

from yingshang.envelope.errors import EnvelopeError
from yingshang.envelope.signatures import Signature, public_key_of_certificate, verify
from yingshang.identity import events, selectors, services, tokens
from yingshang.identity import ledger_actions as evidence
from yingshang.identity.certificates import (
    CertificateCheck,
    CertificateRejected,
    parse_certificate,
    validate_certificate,
)
from yingshang.identity.models import (
    ApiToken,
    CertificateAuthority,
    CertificateChallenge,
    EnterpriseCertificate,
    Membership,
    Organisation,
    RevocationList,
    User,
)
from yingshang.identity.roles import Role
from yingshang.kernel import clock, request_context
from yingshang.kernel.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from yingshang.kernel.events import publish
from yingshang.kernel.policy import Principal
from yingshang.kernel.text import Text
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Visibility
from yingshang.pki import UsccRule, fingerprint, sm2

__all__ = [
    "CHALLENGE_SECONDS",
    "CertificateNotAccepted",
    "CertificateSignIn",
    "NewChallenge",
    "add_authority",
    "certificate_token_lifetime",
    "create_challenge",
    "ensure_authority",
    "import_revocation_list",
    "purge_challenges",
    "remember_certificate",
    "reminder_days",
    "retire_authority",
    "send_certificate_reminders",
    "sign_in_with_certificate",
    "take_qr_sign_in",
]

#: A challenge must be signed within this many seconds.
CHALLENGE_SECONDS = 300
CHALLENGE_BYTES = 32


class CertificateNotAccepted(DomainError):
    """A refused certificate or certificate sign-in: 401 with the refusal's code."""

    status = 401
    code = "certificate_refused"


def _now(at: datetime | None) -> datetime:
    return at if at is not None else clock.wall_now()


def _conf() -> dict[str, Any]:
    conf: dict[str, Any] = getattr(settings, "YINGSHANG", {})
    return conf


def certificate_token_lifetime() -> timedelta:
    """``YINGSHANG["CERTIFICATE_TOKEN_MINUTES"]`` (default 30)."""
    return timedelta(minutes=int(_conf().get("CERTIFICATE_TOKEN_MINUTES", 30)))


def reminder_days() -> tuple[int, ...]:
    """``YINGSHANG["CERTIFICATE_REMINDER_DAYS"]`` (default 30 and 7), largest first."""
    return tuple(sorted({int(d) for d in _conf().get("CERTIFICATE_REMINDER_DAYS", (30, 7))}, reverse=True))


def _require_staff(actor: Principal | None) -> None:
    if actor is None:
        return  # the platform itself (demo, commands)
    if not (actor.is_superuser or actor.has_role(Role.CENTRE_STAFF)):
        raise PermissionDenied(
            Text(
                zh="只有交易中心工作人员可以维护互认 CA 名录。",
                en="Only trading centre staff can maintain the trust store.",
            )
        )
    if actor.is_read_only:  # pragma: no cover - staff are never read-only
        raise PermissionDenied()


def _actor(actor: Principal | None) -> Actor:
    return evidence.actor_of(actor)


def _invalid(field: str, code: str, message: Text) -> InvalidInput:
    return InvalidInput(message, details=[{"field": field, "code": code, "message": str(message)}])


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _signed_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    if sm2.is_sm2(_der(parent)):
        return sm2.verify_signed_by(_der(child), _der(parent))
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _der(certificate: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return certificate.public_bytes(serialization.Encoding.DER)


# --- trust store --------------------------------------------------------------------------------


def add_authority(
    *,
    actor: Principal | None,
    certificate: bytes,
    vendor: str,
    region: str = "",
    uscc_rule: str = "serial_number",
    name: str | None = None,
    at: datetime | None = None,
) -> CertificateAuthority:
    """Add a root (self-signed) or an intermediate CA (its issuer must already be in the store).

    ``certificate``: DER or PEM. ``uscc_rule``: ``serial_number``, ``ou`` or ``extension:<oid>``.
    Raises ``PermissionDenied`` (not centre staff), ``InvalidInput`` (not a CA certificate,
    unknown issuer, bad rule) or ``Conflict`` (already in the store).
    """
    _require_staff(actor)
    now = _now(at)
    vendor = (vendor or "").strip()
    if not vendor or len(vendor) > 200:
        raise _invalid("vendor", "invalid", Text(zh="请填写 CA 厂商名称。", en="Give the CA vendor's name."))
    try:
        rule = UsccRule.parse(uscc_rule or "")
    except ValueError as exc:
        raise _invalid(
            "uscc_rule",
            "invalid",
            Text(
                zh="信用代码位置规则应为 serial_number、ou 或 extension:<OID>。",
                en="The credit code rule is serial_number, ou or extension:<OID>.",
            ),
        ) from exc
    try:
        parsed = parse_certificate(certificate)
    except CertificateRejected as exc:
        raise _invalid("certificate", "bad_certificate", exc.message) from exc
    if not _is_ca(parsed):
        raise _invalid(
            "certificate",
            "not_a_ca",
            Text(
                zh="这不是 CA 证书（基本约束中 CA 为假）。",
                en="This is not a CA certificate (basicConstraints CA is false).",
            ),
        )
    der = _der(parsed)
    fp = fingerprint(der)
    subject = parsed.subject.rfc4514_string()
    parent = None
    if parsed.issuer == parsed.subject and _signed_by(parsed, parsed):
        level = CertificateAuthority.Level.ROOT
    else:
        level = CertificateAuthority.Level.INTERMEDIATE
        issuer = parsed.issuer.rfc4514_string()
        for candidate in CertificateAuthority.objects.filter(subject=issuer):
            if _signed_by(parsed, parse_certificate(bytes(candidate.certificate))):
                parent = candidate
                break
        if parent is None:
            raise _invalid(
                "certificate",
                "unknown_issuer",
                Text(
                    zh="该中级 CA 的签发者不在名录中，请先添加其根证书。",
                    en="This intermediate CA's issuer is not in the trust store; add its root first.",
                ),
            )
    common = parsed.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    display = (name or (str(common[0].value) if common else subject)).strip()[:200]
    with transaction.atomic():
        if CertificateAuthority.objects.filter(fingerprint=fp).exists():
            raise Conflict(
                Text(zh="该 CA 证书已在名录中。", en="This CA certificate is already in the trust store.")
            )
        authority = CertificateAuthority.objects.create(
            name=display,
            vendor=vendor,
            region=(region or "").strip()[:100],
            level=level,
            parent=parent,
            certificate=der,
            fingerprint=fp,
            subject=subject[:500],
            not_before=parsed.not_valid_before_utc,
            not_after=parsed.not_valid_after_utc,
            uscc_rule=str(rule),
            added_at=now,
            added_by_id=actor.user_id if actor else None,
        )
        ledger.record(
            action=evidence.CA_ADDED,
            actor=_actor(actor),
            subject=evidence.authority_subject(authority.pk),
            data={
                "name": authority.name,
                "vendor": vendor,
                "region": authority.region,
                "level": level.value if hasattr(level, "value") else str(level),
                "fingerprint": fp,
                "subject": authority.subject,
                "uscc_rule": authority.uscc_rule,
                "parent_fingerprint": parent.fingerprint if parent else None,
            },
            visibility=Visibility.public(),
        )
    return authority


def ensure_authority(
    *, certificate: bytes, vendor: str, region: str = "", uscc_rule: str = "serial_number"
) -> CertificateAuthority:
    """The stored CA with this certificate, added by the platform if missing (demo, tests)."""
    fp = fingerprint(_der(parse_certificate(certificate)))
    existing = CertificateAuthority.objects.filter(fingerprint=fp).first()
    if existing is not None:
        return existing
    return add_authority(
        actor=None, certificate=certificate, vendor=vendor, region=region, uscc_rule=uscc_rule
    )


def retire_authority(
    *, actor: Principal | None, authority_id: int, reason: str, at: datetime | None = None
) -> CertificateAuthority:
    """Stop recognising a CA (and, through it, every certificate below it). Kept, not deleted."""
    _require_staff(actor)
    now = _now(at)
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise _invalid(
            "reason",
            "required",
            Text(
                zh="请说明停止互认的原因（500 字以内）。",
                en="Give the reason for retiring (at most 500 characters).",
            ),
        )
    with transaction.atomic():
        authority = CertificateAuthority.objects.select_for_update().filter(pk=authority_id).first()
        if authority is None:
            raise NotFound()
        if authority.status == CertificateAuthority.Status.RETIRED:
            raise Conflict(Text(zh="该 CA 已停止互认。", en="This CA is already retired."))
        authority.status = CertificateAuthority.Status.RETIRED
        authority.retired_at = now
        authority.retired_by_id = actor.user_id if actor else None
        authority.retired_reason = reason
        authority.save(update_fields=["status", "retired_at", "retired_by", "retired_reason"])
        ledger.record(
            action=evidence.CA_RETIRED,
            actor=_actor(actor),
            subject=evidence.authority_subject(authority.pk),
            data={"name": authority.name, "fingerprint": authority.fingerprint, "reason": reason},
            visibility=Visibility.public(),
        )
    return authority


def import_revocation_list(
    *, actor: Principal | None, crl: bytes, at: datetime | None = None
) -> RevocationList:
    """Import a CRL (DER or PEM); its signature must verify with a stored CA's key."""
    _require_staff(actor)
    now = _now(at)
    try:
        parsed = (
            x509.load_pem_x509_crl(crl)
            if crl.lstrip().startswith(b"-----BEGIN")
            else x509.load_der_x509_crl(crl)
        )
    except (ValueError, TypeError) as exc:
        raise _invalid(
            "crl", "bad_crl", Text(zh="无法解析证书吊销列表。", en="The revocation list cannot be read.")
        ) from exc
    issuer_name = parsed.issuer.rfc4514_string()
    authority = None
    raw = parsed.public_bytes(_encoding_der())
    for candidate in CertificateAuthority.objects.filter(subject=issuer_name):
        if sm2.is_sm2(bytes(candidate.certificate)):
            if sm2.verify_signed_by(raw, bytes(candidate.certificate), kind="crl"):
                authority = candidate
                break
            continue
        public_key = parse_certificate(bytes(candidate.certificate)).public_key()
        if isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey) and parsed.is_signature_valid(
            public_key
        ):
            authority = candidate
            break
    if authority is None:
        raise _invalid(
            "crl",
            "unknown_issuer",
            Text(
                zh="吊销列表的签发者不在名录中，或签名无法验证。",
                en="The revocation list's issuer is not in the trust store, or its signature does not verify.",
            ),
        )
    der = parsed.public_bytes(_encoding_der())
    fp = fingerprint(der)
    serials = sorted(format(item.serial_number, "x") for item in parsed)
    with transaction.atomic():
        if RevocationList.objects.filter(fingerprint=fp).exists():
            raise Conflict(Text(zh="该吊销列表已导入。", en="This revocation list was already imported."))
        revocation_list = RevocationList.objects.create(
            authority=authority,
            crl=der,
            fingerprint=fp,
            this_update=parsed.last_update_utc,
            next_update=parsed.next_update_utc,
            revoked_serials=serials,
            imported_at=now,
            imported_by_id=actor.user_id if actor else None,
        )
        ledger.record(
            action=evidence.CRL_IMPORTED,
            actor=_actor(actor),
            subject=evidence.authority_subject(authority.pk),
            data={
                "authority": authority.name,
                "fingerprint": fp,
                "this_update": revocation_list.this_update,
                "next_update": revocation_list.next_update,
                "revoked": len(serials),
            },
            visibility=Visibility.public(),
        )
    return revocation_list


def _encoding_der() -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.Encoding.DER


# --- certificates seen --------------------------------------------------------------------------


def remember_certificate(check: CertificateCheck, *, at: datetime | None = None) -> None:
    """Keep (or refresh) an accepted certificate, for expiry reminders. Idempotent: one upsert
    (a new certificate is inserted; a known one only has ``last_seen_at`` set), so it is cheap
    inside a bid's acceptance and safe against a concurrent first sighting."""
    now = _now(at)
    EnterpriseCertificate.objects.bulk_create(
        [
            EnterpriseCertificate(
                fingerprint=check.fingerprint,
                organisation_id=check.organisation_id,
                authority_id=check.authority_id,
                usage=check.usage,
                subject=check.subject[:500],
                serial=check.serial[:80],
                algorithm=check.algorithm,
                not_before=check.not_before,
                not_after=check.not_after,
                first_seen_at=now,
                last_seen_at=now,
            )
        ],
        update_conflicts=True,
        unique_fields=["fingerprint"],
        update_fields=["last_seen_at"],
    )


# --- challenges and sign-in ---------------------------------------------------------------------


@dataclass(frozen=True)
class NewChallenge:
    challenge_id: str
    challenge: bytes
    expires_at: datetime

    @property
    def challenge_b64(self) -> str:
        return base64.b64encode(self.challenge).decode("ascii")


def _challenge_bytes(public_id: str, created_at: datetime) -> bytes:
    """The challenge is derived (HMAC with the secret key) from its id and creation time, so the
    database keeps only its hash and still can check a signature over it."""
    value = f"{public_id}|{created_at.isoformat()}"
    return salted_hmac("yingshang.identity.certificate-challenge", value, algorithm="sha256").digest()


def challenges_per_minute() -> int:
    return int(str(settings.YINGSHANG.get("CERTIFICATE_CHALLENGES_PER_MINUTE", 30)))


def create_challenge(*, purpose: str = "token", at: datetime | None = None) -> NewChallenge:
    """A fresh single-use challenge, valid :data:`CHALLENGE_SECONDS` (wall clock). At most
    ``CERTIFICATE_CHALLENGES_PER_MINUTE`` (default 30) from one client address a minute
    (``RateLimited``, 429): the endpoint needs no sign-in, so this bounds what one address can
    make the platform store."""
    now = _now(at)
    purpose = CertificateChallenge.Purpose(purpose)
    address = request_context.current().client_address[:64]
    if address:
        recent = CertificateChallenge.objects.filter(
            client_address=address, created_at__gt=now - timedelta(minutes=1)
        ).count()
        if recent >= challenges_per_minute():
            raise RateLimited(
                Text(
                    zh="同一地址一分钟内申请的签名挑战过多，请稍候一分钟再试。",
                    en="Too many sign-in challenges from this address in a minute; please wait a minute.",
                ),
                code="too_many_challenges",
            )
    public_id = secrets.token_urlsafe(18)
    challenge = _challenge_bytes(public_id, now)
    expires_at = now + timedelta(seconds=CHALLENGE_SECONDS)
    with transaction.atomic():
        CertificateChallenge.objects.create(
            public_id=public_id,
            challenge_hash=hashlib.sha256(challenge).hexdigest(),
            purpose=purpose,
            created_at=now,
            expires_at=expires_at,
            client_address=address,
        )
    return NewChallenge(challenge_id=public_id, challenge=challenge, expires_at=expires_at)


@dataclass(frozen=True)
class CertificateSignIn:
    """A successful certificate sign-in. ``plain_token``: the API token (``token`` purpose only)."""

    user: User
    organisation: Organisation
    check: CertificateCheck
    token: ApiToken | None = None
    plain_token: str | None = None


_CHALLENGE_REFUSED = Text(
    zh="登录挑战无效、已使用或已过期，请重新获取。",
    en="The sign-in challenge is unknown, already used or expired; ask for a new one.",
)


def _bidder_account(organisation: Organisation) -> User:
    """The organisation's bidder account: the active user holding the bidder role there (the
    earliest grant when there are several)."""
    membership = (
        Membership.objects.filter(organisation=organisation, role=Role.BIDDER, user__is_active=True)
        .select_related("user")
        .order_by("granted_at", "id")
        .first()
    )
    if membership is None:
        raise CertificateNotAccepted(
            Text(
                zh="该主体在平台上没有投标人账户，无法用证书登录。",
                en="This organisation has no bidder account on the platform, so its certificate cannot sign in.",
            ),
            code="no_bidder_account",
        )
    return membership.user


def _decode_chain(chain: Sequence[str | bytes]) -> list[bytes]:
    out: list[bytes] = []
    for item in chain:
        if isinstance(item, bytes):
            out.append(item)
            continue
        try:
            out.append(base64.b64decode(item, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise _invalid(
                "chain",
                "not_base64",
                Text(zh="证书链应为 Base64 编码的 DER。", en="The chain is base64-encoded DER."),
            ) from exc
    return out


def sign_in_with_certificate(
    *,
    challenge_id: str,
    chain: Sequence[str | bytes],
    signature: Signature,
    purpose: str = "token",
    client_address: str = "",
    at: datetime | None = None,
) -> CertificateSignIn:
    """Check a signed challenge and sign the certificate's organisation's bidder account in.

    ``chain``: DER (or base64 DER), leaf first; ``signature`` over the challenge bytes exactly.
    The challenge is used once (also when the answer is refused for a bad signature); for a
    ``token`` challenge an API token bound to the certificate is created (lifetime
    :func:`certificate_token_lifetime`); for a ``qr`` challenge the waiting browser collects the
    sign-in with :func:`take_qr_sign_in`.

    Raises ``NotAuthenticated`` (``challenge_invalid``) or :class:`CertificateNotAccepted`
    (the certificate's refusal code, ``bad_signature`` or ``no_bidder_account``).
    """
    now = _now(at)
    der_chain = _decode_chain(chain)
    with transaction.atomic():
        challenge = (
            CertificateChallenge.objects.select_for_update()
            .filter(public_id=str(challenge_id or "")[:40], purpose=purpose)
            .first()
        )
        if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
            raise NotAuthenticated(_CHALLENGE_REFUSED, code="challenge_invalid")
        expected = _challenge_bytes(challenge.public_id, challenge.created_at)
        if not hmac.compare_digest(hashlib.sha256(expected).hexdigest(), challenge.challenge_hash):
            raise NotAuthenticated(_CHALLENGE_REFUSED, code="challenge_invalid")  # pragma: no cover
        # Burn the challenge first: whatever happens next, it cannot be answered twice.
        CertificateChallenge.objects.filter(pk=challenge.pk).update(used_at=now)
    try:
        check = validate_certificate(der_chain, usage="signing", at=now)
    except CertificateRejected as exc:
        raise CertificateNotAccepted(exc.message, code=exc.code) from exc
    try:
        verify(public_key_of_certificate(der_chain[0]), expected, signature)
    except EnvelopeError as exc:
        raise CertificateNotAccepted(
            Text(
                zh="签名验证失败：签名不是用该证书的私钥对本次挑战作出的。",
                en="The signature does not verify: it was not made over this challenge with the certificate's key.",
            ),
            code="bad_signature",
        ) from exc
    organisation = Organisation.objects.get(pk=check.organisation_id)
    user = _bidder_account(organisation)
    remember_certificate(check, at=now)
    token: ApiToken | None = None
    plain: str | None = None
    with transaction.atomic():
        CertificateChallenge.objects.filter(pk=challenge.pk).update(
            user=user, organisation=organisation, certificate_fingerprint=check.fingerprint
        )
        if purpose == CertificateChallenge.Purpose.TOKEN:
            new = tokens.generate()
            token = ApiToken.objects.create(
                user=user,
                organisation=organisation,
                name=f"certificate {check.fingerprint[:12]}",
                prefix=new.prefix,
                secret_hash=tokens.hash_secret(new.secret),
                scopes=certificate_token_scopes(),
                created_at=now,
                expires_at=now + certificate_token_lifetime(),
                certificate_fingerprint=check.fingerprint,
            )
            plain = new.plain
        ledger.record(
            action=evidence.CERTIFICATE_SIGNED_IN,
            actor=evidence.actor_of(selectors.principal_for_user(user, organisation_id=organisation.pk)),
            subject=evidence.certificate_subject(check.fingerprint),
            data={
                "via": str(purpose),
                "user": user.username,
                "uscc": check.uscc,
                "fingerprint": check.fingerprint,
                "authority": check.authority,
                "client_address": (client_address or "")[:64],
                "token_prefix": token.prefix if token is not None else None,
            },
            visibility=Visibility.parties(user_ids=(user.pk,), organisation_ids=(organisation.pk,)),
        )
        publish(events.UserSignedIn(user_id=user.pk, client_address=(client_address or "")[:64]))
    return CertificateSignIn(
        user=user, organisation=organisation, check=check, token=token, plain_token=plain
    )


def certificate_token_scopes() -> list[str]:
    """Scopes of certificate-bound tokens: ``YINGSHANG["CERTIFICATE_TOKEN_SCOPES"]`` (default
    ``identity:read``, ``bids:write``, ``projects:read``, ``tenderdocs:read``), known contexts only."""
    wanted = _conf().get(
        "CERTIFICATE_TOKEN_SCOPES", ("identity:read", "bids:write", "projects:read", "tenderdocs:read")
    )
    known = set(services.token_contexts())
    return sorted({scope for scope in wanted if scope.split(":", 1)[0] in known})


@dataclass(frozen=True)
class QrSignIn:
    user: User
    organisation: Organisation
    fingerprint: str


def take_qr_sign_in(*, challenge_id: str, at: datetime | None = None) -> QrSignIn | None:
    """For the waiting browser: the sign-in a mobile signer completed for this QR challenge,
    once (``None`` while not signed yet). Raises ``NotAuthenticated`` when the challenge is
    unknown, expired unsigned, or already taken."""
    now = _now(at)
    with transaction.atomic():
        challenge = (
            CertificateChallenge.objects.select_for_update(of=("self",))
            .filter(public_id=challenge_id, purpose=CertificateChallenge.Purpose.QR)
            .select_related("user", "organisation")
            .first()
        )
        if challenge is None or challenge.consumed_at is not None:
            raise NotAuthenticated(_CHALLENGE_REFUSED, code="challenge_invalid")
        if challenge.user is None or challenge.organisation is None:
            if challenge.expires_at <= now or challenge.used_at is not None:
                raise NotAuthenticated(_CHALLENGE_REFUSED, code="challenge_invalid")
            return None
        challenge.consumed_at = now
        challenge.save(update_fields=["consumed_at"])
        return QrSignIn(
            user=challenge.user,
            organisation=challenge.organisation,
            fingerprint=challenge.certificate_fingerprint,
        )


def purge_challenges(*, now: datetime, keep: timedelta = timedelta(days=1)) -> int:
    """Delete challenges that expired more than ``keep`` ago (the sign-ins themselves are in
    the ledger); returns how many."""
    with transaction.atomic():
        deleted, _by_model = CertificateChallenge.objects.filter(expires_at__lt=now - keep).delete()
    return deleted


# --- expiry reminders ---------------------------------------------------------------------------


def send_certificate_reminders(*, now: datetime) -> int:
    """Notify the users of each organisation whose known certificate expires within one of
    :func:`reminder_days` (30 and 7), once per threshold; returns how many certificates were
    reminded. A certificate first seen inside a smaller window gets only that reminder."""
    from yingshang.identity.certificate_messages import CERTIFICATE_EXPIRING
    from yingshang.notifications import facade as notifications

    thresholds = reminder_days()
    if not thresholds:
        return 0
    horizon = now + timedelta(days=thresholds[0])
    sent = 0
    candidates = EnterpriseCertificate.objects.filter(not_after__gt=now, not_after__lte=horizon).values_list(
        "pk", flat=True
    )
    for pk in list(candidates):
        with transaction.atomic():
            record = (
                EnterpriseCertificate.objects.select_for_update().select_related("organisation").get(pk=pk)
            )
            left = record.not_after - now
            due = [days for days in thresholds if left <= timedelta(days=days)]
            done = set(record.reminded_days or [])
            if not due or min(due) in done:
                continue
            recipients = list(
                User.objects.filter(is_active=True, memberships__organisation_id=record.organisation_id)
                .distinct()
                .values_list("pk", flat=True)
            )
            if recipients:
                local = clock.to_shanghai(record.not_after)
                notifications.notify(
                    recipients=recipients,
                    template=CERTIFICATE_EXPIRING,
                    context={
                        "organisation": record.organisation.name,
                        "subject": record.subject,
                        "expires": local.strftime("%Y-%m-%d %H:%M"),
                        "days": max(0, left.days),
                        "fingerprint": record.fingerprint[:16],
                    },
                )
            record.reminded_days = sorted(done | set(due), reverse=True)
            record.save(update_fields=["reminded_days"])
            ledger.record(
                action=evidence.CERTIFICATE_REMINDED,
                actor=Actor.system("chronograph"),
                subject=evidence.certificate_subject(record.fingerprint),
                data={"days": min(due), "not_after": record.not_after, "recipients": len(recipients)},
                visibility=Visibility.parties(organisation_ids=(record.organisation_id,)),
            )
            sent += 1
    return sent
