"""The policy base (pure) and the role data."""

from __future__ import annotations

import pytest

from yingshang.identity import roles
from yingshang.kernel import errors, policy
from yingshang.kernel.policy import ANYONE, SIGNED_IN, Denied, Policy, Principal, UnknownAction


class Document:
    def __init__(self, organisation_id: int) -> None:
        self.organisation_id = organisation_id


class DocumentPolicy(Policy[Document]):
    context = "files"
    read_actions = frozenset({"view", "download"})
    write_actions = frozenset({"upload", "delete"})
    grants = {
        "view": frozenset({ANYONE}),
        "download": frozenset({SIGNED_IN}),
        "upload": frozenset({"bidder", "auditor"}),
        "delete": frozenset({"bidder"}),
    }

    def decide(self, principal: Principal, action: str, obj: Document | None) -> bool:
        if action == "delete" and obj is not None and obj.organisation_id != principal.organisation_id:
            return False
        return super().decide(principal, action, obj)


def principal(
    *role_names: str, org: int = 1, superuser: bool = False, scopes: set[str] | None = None
) -> Principal:
    return Principal(
        user_id=7,
        organisation_id=org,
        roles=frozenset(role_names),
        is_superuser=superuser,
        scopes=frozenset(scopes) if scopes is not None else None,
    )


P = DocumentPolicy()


def test_guest_has_no_user_no_organisation_no_roles() -> None:
    guest = Principal.guest()
    assert guest.is_guest and not guest.is_authenticated
    assert guest.roles == frozenset() and guest.organisation_id is None
    assert not guest.has_role("bidder")


def test_grants_markers_and_roles() -> None:
    assert P.allows(Principal.guest(), "view")
    assert not P.allows(Principal.guest(), "download")
    assert P.allows(principal(), "download")
    assert P.allows(principal("bidder"), "upload")
    assert not P.allows(principal("tenderer"), "upload")


def test_auditor_is_read_only_even_where_a_grant_names_the_role() -> None:
    auditor = principal("auditor")
    assert P.allows(auditor, "view") and P.allows(auditor, "download")
    assert not P.allows(auditor, "upload")  # granted to "auditor" above, still denied: a write
    with pytest.raises(errors.PermissionDenied) as caught:
        P.require(auditor, "upload")
    assert caught.value.status == 403
    assert "only read" in caught.value.message.render("en")


def test_a_principal_holding_auditor_with_another_role_still_cannot_write() -> None:
    assert not P.allows(principal("auditor", "bidder"), "delete", Document(1))


def test_object_rule_of_the_subclass() -> None:
    bidder = principal("bidder", org=1)
    assert P.allows(bidder, "delete", Document(1))
    assert not P.allows(bidder, "delete", Document(2))


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(UnknownAction):
        P.allows(principal("bidder"), "publish")


def test_superuser_reads_everything_but_writes_only_where_the_policy_says() -> None:
    root = principal(superuser=True)
    assert P.allows(root, "download")
    assert not P.allows(root, "upload")

    class Admin(DocumentPolicy):
        superuser_may_write = True

    assert Admin().allows(root, "upload")


def test_token_scopes_limit_the_principal() -> None:
    read_only_token = principal("bidder", scopes={"files:read"})
    assert P.allows(read_only_token, "download")
    assert not P.allows(read_only_token, "upload")
    write_token = principal("bidder", scopes={"files:write"})
    assert P.allows(write_token, "download")  # write implies read
    assert P.allows(write_token, "upload")
    other_context = principal("bidder", scopes={"identity:write"})
    assert not P.allows(other_context, "download")


def test_policy_without_context_refuses_tokens() -> None:
    class Loose(Policy[object]):
        grants = {"view": frozenset({SIGNED_IN})}

    assert Loose().allows(principal(), "view")
    assert not Loose().allows(principal(scopes={"files:read"}), "view")


def test_require_raises_the_kernel_errors_once_identity_is_loaded() -> None:
    with pytest.raises(errors.NotAuthenticated) as guest:
        P.require(Principal.guest(), "download")
    assert guest.value.status == 401
    with pytest.raises(errors.PermissionDenied) as member:
        P.require(principal("tenderer"), "upload")
    assert member.value.status == 403
    assert str(member.value) == "您没有执行此操作的权限。"


def test_without_django_require_raises_the_pure_denied() -> None:
    # What pure code sees before the identity app installs its factory.
    guest = policy._pure_denied(Principal.guest(), "download", policy.MESSAGE_SIGN_IN)
    member = policy._pure_denied(principal(), "upload", policy.MESSAGE_DENIED)
    assert isinstance(guest, Denied) and guest.status == 401 and guest.code == "not_authenticated"
    assert isinstance(member, Denied) and member.status == 403 and member.action == "upload"


def test_visible_filters_candidates_in_order() -> None:
    docs = [Document(1), Document(2), Document(1)]

    class Own(DocumentPolicy):
        def decide(self, principal: Principal, action: str, obj: Document | None) -> bool:
            return obj is not None and obj.organisation_id == principal.organisation_id

    assert Own().visible(principal(org=1), docs) == [docs[0], docs[2]]


def test_kernel_and_identity_agree_on_read_only_roles() -> None:
    assert policy.READ_ONLY_ROLES == {role.value for role in roles.READ_ONLY_ROLES}


def test_roles_are_exactly_the_glossary_list() -> None:
    assert [role.value for role in roles.Role] == [
        "centre_staff",
        "tenderer",
        "agency",
        "bidder",
        "expert",
        "supervisor",
        "auditor",
        "enterprise",
        "service_manager",
        "department",
        "issuer",
    ]
    assert roles.GUEST not in {role.value for role in roles.Role}
    with pytest.raises(ValueError, match="guest"):
        roles.parse_roles(["bidder", "guest"])


def test_second_factor_roles() -> None:
    assert {r.value for r in roles.SECOND_FACTOR_ROLES} == {"centre_staff", "supervisor", "auditor", "expert"}
    assert roles.roles_needing_second_factor(["bidder", "auditor"]) == {roles.Role.AUDITOR}


def test_every_role_has_labels_and_a_description_in_both_languages() -> None:
    for role in roles.Role:
        assert role.label.zh and role.label.en
        assert role.description.zh and role.description.en
        assert any(role in allowed for allowed in roles.ROLES_BY_KIND.values())


def test_policy_module_imports_no_django() -> None:
    import ast
    import pathlib

    for module in (policy, roles):
        tree = ast.parse(pathlib.Path(str(module.__file__)).read_text())
        imported = [
            (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in (node.names if isinstance(node, ast.Import) else [None])  # type: ignore[list-item]
        ]
        assert not [name for name in imported if name.startswith("django")], module.__name__


def test_require_token_scope_holds_tokens_to_their_scopes_and_lets_sessions_pass() -> None:
    policy.require_token_scope(principal("expert"), "evaluation:write")  # a session
    policy.require_token_scope(principal("expert", scopes={"evaluation:write"}), "evaluation:read")
    policy.require_token_scope(principal("bidder", scopes={"bids:write"}), "evaluation:write", "bids:write")
    with pytest.raises(errors.PermissionDenied) as caught:
        policy.require_token_scope(principal("bidder", scopes={"evaluation:read"}), "evaluation:write")
    assert "evaluation:write" in caught.value.message.render("en")
