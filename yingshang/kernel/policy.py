"""Who may do what: the principal and the policy base. Pure: imports no Django.

A :class:`Principal` is the acting party of one request or command: a user, the organisation
they act for (the *active organisation*) and the roles they hold in it. Anonymous visitors are
:meth:`Principal.guest`. ``yingshang.identity.facade.principal_for(request)`` builds one from a
browser session or an API token.

A :class:`Policy` answers both questions every context asks:

- "may this principal do ACTION to OBJ?": :meth:`Policy.allows` (a bool) and
  :meth:`Policy.require` (raises);
- "which of these objects may this principal see?": :meth:`Policy.visible` over plain objects;
  the Django side (``yingshang.identity.permissions.QuerysetPolicy``) adds
  ``filter_queryset(principal, qs)`` so a list is filtered in the database.

Rules the base class enforces for every policy, before a subclass is asked:

1. every action is declared as a read or a write; an undeclared action is a programming error
   (:class:`UnknownAction`);
2. a principal holding a read-only role (``auditor``) is denied every write, everywhere;
3. a principal that came through an API token is limited to the token's scopes:
   ``<context>:read`` for reads, ``<context>:write`` for writes (write implies read); a policy
   without a :attr:`Policy.context` denies every token (fail closed);
4. a superuser may read everything; it may write only where the policy says so
   (``superuser_may_write``): the admin is for looking, business changes go through roles.

Only then :meth:`Policy.decide` is asked; by default it grants an action to the roles listed in
``grants[action]`` (with the markers :data:`ANYONE` and :data:`SIGNED_IN`).

Denials: :meth:`Policy.require` raises whatever :data:`denied_error` builds. Pure code gets a
:class:`Denied` (status 401 for guests, 403 otherwise, with a bilingual :class:`Text`);
when Django runs, the identity app installs a factory that raises
``yingshang.kernel.errors.NotAuthenticated`` / ``PermissionDenied`` instead, so the API answers
with a problem document and pages with the 403 page. (``kernel.errors`` imports Django's
translation machinery, which is why this module does not import it.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from yingshang.kernel.text import Text

__all__ = [
    "ANYONE",
    "READ_ONLY_ROLES",
    "SIGNED_IN",
    "Denied",
    "Policy",
    "Principal",
    "UnknownAction",
    "denied_error",
    "require_token_scope",
    "scope_allows",
]

#: Roles that may only read. Mirrors ``yingshang.identity.roles.READ_ONLY_ROLES`` (a test holds
#: the two equal; the kernel sits below identity and cannot import it).
READ_ONLY_ROLES: frozenset[str] = frozenset({"auditor"})

#: Markers usable in :attr:`Policy.grants` besides role names.
ANYONE = "*anyone"  # guests included
SIGNED_IN = "*signed_in"  # any signed-in user, whatever their roles

T = TypeVar("T")


def scope_allows(scopes: frozenset[str] | None, scope: str) -> bool:
    """Whether a token's ``scopes`` cover ``scope`` (``None``: not a token, so yes).

    ``<context>:write`` implies ``<context>:read``.
    """
    if scopes is None:
        return True
    if scope in scopes:
        return True
    context, _, level = scope.partition(":")
    return level == "read" and f"{context}:write" in scopes


@dataclass(frozen=True)
class Principal:
    """Who is acting: the user, the organisation they act for and their roles in it."""

    user_id: int | None
    organisation_id: int | None
    roles: frozenset[str]
    is_superuser: bool = False
    #: ``None`` for a browser session; the token's scopes when the call came with an API token.
    scopes: frozenset[str] | None = None

    @classmethod
    def guest(cls) -> Principal:
        """The anonymous visitor: no user, no organisation, no roles."""
        return cls(user_id=None, organisation_id=None, roles=frozenset())

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_read_only(self) -> bool:
        """Holds a read-only role (an auditor): every write is denied."""
        return bool(self.roles & READ_ONLY_ROLES)

    def has_role(self, role: str) -> bool:
        return str(role) in self.roles

    def has_any_role(self, roles: Iterable[str]) -> bool:
        return any(str(role) in self.roles for role in roles)

    def has_scope(self, scope: str) -> bool:
        return scope_allows(self.scopes, scope)


class UnknownAction(ValueError):
    """A policy was asked about an action it does not declare: a programming error."""


class Denied(Exception):
    """A denial outside Django (pure code and its tests). See :data:`denied_error`."""

    def __init__(self, message: Text, *, status: int, code: str, action: str) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.action = action
        super().__init__(str(message))

    def __str__(self) -> str:
        return str(self.message)


MESSAGE_SIGN_IN = Text(zh="请先登录。", en="Please sign in first.")
MESSAGE_DENIED = Text(zh="您没有执行此操作的权限。", en="You do not have permission to do this.")
MESSAGE_READ_ONLY = Text(
    zh="纪检监察和审计角色只能查看，不能修改任何数据。",
    en="Discipline inspectors and auditors may only read; they cannot change anything.",
)
MESSAGE_SCOPE = Text(
    zh="此 API 令牌的权限范围不包含 %(scope)s。",
    en="This API token's scopes do not include %(scope)s.",
)


def _pure_denied(principal: Principal, action: str, message: Text) -> Exception:
    status, code = (401, "not_authenticated") if principal.is_guest else (403, "permission_denied")
    return Denied(message, status=status, code=code, action=action)


#: Builds the exception :meth:`Policy.require` raises: ``(principal, action, message) -> Exception``.
#: The identity app replaces it at start-up with one raising ``kernel.errors`` classes.
denied_error: Callable[[Principal, str, Text], Exception] = _pure_denied


def require_token_scope(principal: Principal, scope: str, *also: str) -> None:
    """For a call that came with an API token: refuse (``denied_error``) unless the token's
    scopes cover ``scope`` or one of ``also``. A browser session (``scopes is None``) passes.
    For APIs that check roles in their services rather than through a :class:`Policy`."""
    if principal.scopes is None or any(principal.has_scope(s) for s in (scope, *also)):
        return
    raise denied_error(
        principal, scope, Text(zh=MESSAGE_SCOPE.zh, en=MESSAGE_SCOPE.en, params={"scope": scope})
    )


class Policy(Generic[T]):
    """Base of every policy. Subclass per aggregate and declare the actions.

    Example::

        class TenderPolicy(Policy[Tender]):
            context = "tenders"
            read_actions = frozenset({"view"})
            write_actions = frozenset({"publish"})
            grants = {"view": frozenset({ANYONE}), "publish": frozenset({"tenderer", "agency"})}

            def decide(self, principal, action, obj):
                if action == "publish" and obj is not None:
                    return obj.organisation_id == principal.organisation_id and super().decide(
                        principal, action, obj)
                return super().decide(principal, action, obj)
    """

    #: The scope namespace API tokens are checked against (``<context>:read|write``).
    context: ClassVar[str] = ""
    read_actions: ClassVar[frozenset[str]] = frozenset({"view"})
    write_actions: ClassVar[frozenset[str]] = frozenset()
    #: The action :meth:`visible` asks about.
    view_action: ClassVar[str] = "view"
    #: action -> the roles (or :data:`ANYONE` / :data:`SIGNED_IN`) that may do it.
    grants: ClassVar[Mapping[str, frozenset[str]]] = {}
    superuser_may_write: ClassVar[bool] = False

    def is_read(self, action: str) -> bool:
        """Whether ``action`` is a read; :class:`UnknownAction` if it is not declared."""
        if action in self.read_actions:
            return True
        if action in self.write_actions:
            return False
        raise UnknownAction(f"{type(self).__name__} declares no action {action!r}")

    def allows(self, principal: Principal, action: str, obj: T | None = None) -> bool:
        """May ``principal`` do ``action`` (to ``obj``, when the action concerns one object)?"""
        return self._refusal(principal, action, obj) is None

    def require(self, principal: Principal, action: str, obj: T | None = None) -> None:
        """Return if allowed; otherwise raise the error :data:`denied_error` builds."""
        refusal = self._refusal(principal, action, obj)
        if refusal is not None:
            raise denied_error(principal, action, refusal)

    def visible(self, principal: Principal, candidates: Iterable[T]) -> list[T]:
        """The candidates ``principal`` may see (:attr:`view_action`), in their order."""
        return [obj for obj in candidates if self.allows(principal, self.view_action, obj)]

    def decide(self, principal: Principal, action: str, obj: T | None) -> bool:
        """The policy's own rule, asked after the base rules passed. Default: :attr:`grants`."""
        allowed = self.grants.get(action, frozenset())
        if ANYONE in allowed:
            return True
        if SIGNED_IN in allowed and principal.is_authenticated:
            return True
        return principal.has_any_role(allowed)

    def _refusal(self, principal: Principal, action: str, obj: T | None) -> Text | None:
        read = self.is_read(action)
        if not read and principal.is_read_only:
            return MESSAGE_READ_ONLY
        if principal.scopes is not None:
            # An API token: fail closed when the policy names no scope namespace.
            scope = f"{self.context or '?'}:{'read' if read else 'write'}"
            if not self.context or not principal.has_scope(scope):
                return Text(zh=MESSAGE_SCOPE.zh, en=MESSAGE_SCOPE.en, params={"scope": scope})
        if principal.is_superuser and (read or self.superuser_may_write):
            return None
        if self.decide(principal, action, obj):
            return None
        return MESSAGE_SIGN_IN if principal.is_guest else MESSAGE_DENIED
