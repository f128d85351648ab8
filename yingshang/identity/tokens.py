"""API token strings and scopes. Pure: no Django.

A token reads ``ys_<prefix>_<secret>``: the 12-character prefix finds the row, the secret is
checked against its SHA-256 hash (the only form stored), in constant time. The plain token is
shown once, when it is created.

A scope is ``<context>:read`` or ``<context>:write`` where ``<context>`` is the app label of a
platform context (``identity``, ``files``, ``tenders``...); ``write`` implies ``read`` of the
same context (see ``yingshang.kernel.policy.scope_allows``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from yingshang.kernel.text import Text

__all__ = [
    "PREFIX_LENGTH",
    "InvalidScope",
    "NewToken",
    "generate",
    "hash_secret",
    "normalise_scopes",
    "secret_matches",
    "split",
]

MARK = "ys"
PREFIX_LENGTH = 12
_PREFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_TOKEN = re.compile(rf"^ys_([a-z2-9]{{{PREFIX_LENGTH}}})_([A-Za-z0-9_-]{{43}})$")
_SCOPE = re.compile(r"^([a-z][a-z0-9_]*):(read|write)$")


@dataclass(frozen=True)
class NewToken:
    prefix: str
    secret: str

    @property
    def plain(self) -> str:
        return f"{MARK}_{self.prefix}_{self.secret}"


def generate() -> NewToken:
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    return NewToken(prefix=prefix, secret=secrets.token_urlsafe(32))


def split(raw: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a well-formed token, else ``None``."""
    match = _TOKEN.match((raw or "").strip())
    return (match.group(1), match.group(2)) if match else None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


class InvalidScope(ValueError):
    def __init__(self, message: Text, scope: str) -> None:
        self.message = message
        self.scope = scope
        super().__init__(str(message))

    def __str__(self) -> str:
        return str(self.message)


def normalise_scopes(scopes: Iterable[str], *, contexts: Iterable[str], read_only: bool = False) -> list[str]:
    """The scopes sorted and de-duplicated; :class:`InvalidScope` for a malformed scope, an
    unknown context, or a write scope when ``read_only``."""
    known = set(contexts)
    out: set[str] = set()
    for scope in scopes:
        match = _SCOPE.match(scope)
        if not match:
            raise InvalidScope(
                Text(
                    zh="权限范围“%(scope)s”格式不对，应为“上下文:read”或“上下文:write”，例如 identity:read。",
                    en="Scope “%(scope)s” is malformed; write “context:read” or “context:write”, "
                    "for example identity:read.",
                    params={"scope": scope},
                ),
                scope,
            )
        if match.group(1) not in known:
            raise InvalidScope(
                Text(
                    zh="权限范围“%(scope)s”指向未知的上下文；可用的有：%(known)s。",
                    en="Scope “%(scope)s” names an unknown context; known contexts: %(known)s.",
                    params={"scope": scope, "known": ", ".join(sorted(known))},
                ),
                scope,
            )
        if read_only and match.group(2) == "write":
            raise InvalidScope(
                Text(
                    zh="只读角色的令牌不能包含写权限“%(scope)s”。",
                    en="A token of a read-only role cannot carry the write scope “%(scope)s”.",
                    params={"scope": scope},
                ),
                scope,
            )
        out.add(scope)
    if not out:
        raise InvalidScope(
            Text(zh="请至少选择一个权限范围。", en="Choose at least one scope."),
            "",
        )
    return sorted(out)
