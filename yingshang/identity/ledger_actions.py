"""Identity's evidence: its ledger action codes (with Chinese and English labels), its ledgered
aggregates (organisations, memberships) and the small helpers its services use to record facts.

Imported by ``IdentityConfig.ready()``. Reaches the ledger only through its facade and
contracts. The table of codes is in ``docs/identity.md`` ("Evidence").
"""

from __future__ import annotations

from typing import Any

from yingshang.kernel.policy import Principal
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Subject, Visibility

ORGANISATION_REGISTERED = "identity.organisation.registered"
ORGANISATION_UPDATED = "identity.organisation.updated"
USER_CREATED = "identity.user.created"
USER_UPDATED = "identity.user.updated"
ROLE_GRANTED = "identity.role.granted"
ROLE_REVOKED = "identity.role.revoked"
TOKEN_CREATED = "identity.token.created"  # noqa: S105 (an action code)
TOKEN_REVOKED = "identity.token.revoked"  # noqa: S105 (an action code)
TOTP_CONFIRMED = "identity.totp.confirmed"
TOTP_DISABLED = "identity.totp.disabled"
USER_SIGNED_IN = "identity.user.signed_in"
USER_LOCKED_OUT = "identity.user.locked_out"
CA_ADDED = "identity.ca.added"
CA_RETIRED = "identity.ca.retired"
CRL_IMPORTED = "identity.crl.imported"
CERTIFICATE_SIGNED_IN = "identity.certificate.signed_in"
CERTIFICATE_REMINDED = "identity.certificate.reminded"

ACTIONS: dict[str, tuple[str, str]] = {
    ORGANISATION_REGISTERED: ("登记主体", "Organisation registered"),
    ORGANISATION_UPDATED: ("更新主体信息", "Organisation updated"),
    USER_CREATED: ("创建用户", "User created"),
    USER_UPDATED: ("更新用户资料", "User updated"),
    ROLE_GRANTED: ("授予角色", "Role granted"),
    ROLE_REVOKED: ("撤销角色", "Role revoked"),
    TOKEN_CREATED: ("创建 API 令牌", "API token created"),
    TOKEN_REVOKED: ("撤销 API 令牌", "API token revoked"),
    TOTP_CONFIRMED: ("启用双因素认证", "Two-factor authentication turned on"),
    TOTP_DISABLED: ("关闭双因素认证", "Two-factor authentication turned off"),
    USER_SIGNED_IN: ("用户登录", "User signed in"),
    USER_LOCKED_OUT: ("登录锁定", "Sign-in locked out"),
    CA_ADDED: ("新增互认 CA", "Certificate authority added"),
    CA_RETIRED: ("停止互认 CA", "Certificate authority retired"),
    CRL_IMPORTED: ("导入证书吊销列表", "Certificate revocation list imported"),
    CERTIFICATE_SIGNED_IN: ("数字证书登录", "Signed in with a certificate"),
    CERTIFICATE_REMINDED: ("证书到期提醒", "Certificate expiry reminder sent"),
}


def organisation_subject(organisation: Any) -> Subject:
    return Subject("identity", "organisation", str(organisation.pk))


def membership_subject(membership: Any) -> Subject:
    return Subject("identity", "membership", str(membership.pk))


def user_subject(user_id: int) -> Subject:
    return Subject("identity", "user", str(user_id))


def username_subject(username: str) -> Subject:
    """Lockouts are kept per (case-folded) user name, which may name no account."""
    return Subject("identity", "username", username)


def token_subject(token_id: int) -> Subject:
    return Subject("identity", "token", str(token_id))


def authority_subject(authority_id: int) -> Subject:
    return Subject("identity", "certificate_authority", str(authority_id))


def certificate_subject(fingerprint: str) -> Subject:
    return Subject("identity", "certificate", fingerprint)


def actor_of(principal: Principal | None) -> Actor:
    """The ledger actor for an acting principal; the platform itself when there is none."""
    if principal is None or principal.user_id is None:
        return Actor.system("identity")
    roles = ",".join(sorted(principal.roles)) or None
    return Actor.user(principal.user_id, organisation_id=principal.organisation_id, role=roles)


def user_actor(user_id: int) -> Actor:
    """A user acting for themselves (self-service: their profile, tokens, second factor)."""
    return Actor.user(user_id)


def user_only(user_id: int) -> Visibility:
    return Visibility.parties(user_ids=(user_id,))


def register() -> None:
    """Register the action codes and the ledgered aggregates (from ``IdentityConfig.ready``)."""
    from yingshang.identity.models import Membership, Organisation

    for code, (zh, en) in ACTIONS.items():
        ledger.register_action(code, zh, en)
    ledger.ledgered(
        Organisation, fields=("kind", "name", "uscc", "division", "is_active"), subject=organisation_subject
    )
    ledger.ledgered(
        Membership,
        fields=("user_id", "organisation_id", "role"),
        subject=membership_subject,
        deletions=(ROLE_REVOKED,),
    )
