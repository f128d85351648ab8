"""Identity services against the real database: organisations, roles, sign-in with lockout,
TOTP, API tokens and the idempotent ensure_* functions of the demo loader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from yingshang.identity import selectors, services, tokens, totp
from yingshang.identity.models import ApiToken, Membership, Organisation, SignInAttempt, TotpDevice, User
from yingshang.identity.testing import PASSWORD, make_organisation, make_user, new_uscc, totp_secret_of
from yingshang.kernel.errors import (
    Conflict,
    InvalidInput,
    Locked,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from yingshang.kernel.policy import Principal

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def code_at(secret: str, moment: datetime, steps: int = 0) -> str:
    return totp.code_at_step(secret, totp.step_at(moment.timestamp()) + steps)


# --- organisations and roles ------------------------------------------------------------------


def test_register_organisation_normalises_and_derives_division() -> None:
    uscc = new_uscc("enterprise", division="440300")
    org = services.register_organisation(
        actor=None, kind="enterprise", name="  深圳某公司 ", uscc=f" {uscc.lower()} "
    )
    assert (org.uscc, org.name, org.division) == (uscc, "深圳某公司", "440300")
    with pytest.raises(Conflict):
        services.register_organisation(actor=None, kind="enterprise", name="again", uscc=uscc)


def test_register_organisation_rejects_bad_input_with_the_field_named() -> None:
    with translation.override("en"), pytest.raises(InvalidInput) as bad_code:
        services.register_organisation(actor=None, kind="enterprise", name="X", uscc="91440300MA5ABCDE1X")
    assert bad_code.value.details[0]["field"] == "uscc"
    with pytest.raises(InvalidInput) as bad_kind:
        services.register_organisation(actor=None, kind="bank", name="X", uscc=new_uscc())
    assert bad_kind.value.details[0]["field"] == "kind"
    assert not Organisation.objects.exists()


def test_only_centre_staff_register_organisations_and_grant_roles() -> None:
    staff = make_user(roles=["centre_staff"])
    bidder = make_user(roles=["bidder"])
    staff_p = selectors.principal_for_user(staff)
    bidder_p = selectors.principal_for_user(bidder)
    with pytest.raises(PermissionDenied):
        services.register_organisation(actor=bidder_p, kind="agency", name="A", uscc=new_uscc("agency"))
    agency = services.register_organisation(actor=staff_p, kind="agency", name="A", uscc=new_uscc("agency"))
    person = make_user()
    with pytest.raises(PermissionDenied):
        services.grant_role(actor=bidder_p, user=person, organisation=agency, role="agency")
    membership = services.grant_role(actor=staff_p, user=person, organisation=agency, role="agency")
    assert membership.granted_by == staff
    auditor = make_user(roles=["auditor"])
    with pytest.raises(PermissionDenied):
        services.revoke_role(
            actor=selectors.principal_for_user(auditor), user=person, organisation=agency, role="agency"
        )
    services.revoke_role(actor=staff_p, user=person, organisation=agency, role="agency")
    assert not Membership.objects.filter(user=person).exists()
    with pytest.raises(NotFound):
        services.revoke_role(actor=staff_p, user=person, organisation=agency, role="agency")


def test_grant_rules_kind_and_separation_of_duties() -> None:
    person = make_user()
    issuer = make_organisation("issuer")
    with translation.override("en"), pytest.raises(RuleViolation) as wrong_kind:
        services.grant_role(actor=None, user=person, organisation=issuer, role="bidder")
    assert "issuer" in str(wrong_kind.value)
    body = make_organisation("supervisory")
    services.grant_role(actor=None, user=person, organisation=body, role="auditor")
    with pytest.raises(RuleViolation):
        services.grant_role(actor=None, user=person, organisation=body, role="supervisor")
    with pytest.raises(InvalidInput):
        services.grant_role(actor=None, user=person, organisation=body, role="guest")


def test_database_refuses_unknown_roles_and_duplicate_memberships() -> None:
    from django.db import IntegrityError, transaction

    person = make_user(roles=["bidder"])
    org = Organisation.objects.get(memberships__user=person)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=person, organisation=org, role="guest")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=person, organisation=org, role="bidder")


def test_principal_uses_active_organisation_and_ignores_inactive_ones() -> None:
    person = make_user(roles=["bidder"])
    first = Organisation.objects.get(memberships__user=person)
    agency = make_organisation("agency", name="zz agency")
    services.grant_role(actor=None, user=person, organisation=agency, role="agency")
    assert selectors.principal_for_user(person, organisation_id=agency.pk).roles == {"agency"}
    assert selectors.principal_for_user(person, organisation_id=first.pk).roles == {"bidder"}
    stranger_org = make_organisation("issuer")
    # Not a member: falls back to the default organisation (first by name).
    fallback = selectors.principal_for_user(person, organisation_id=stranger_org.pk)
    assert fallback.organisation_id == selectors.default_organisation_id(person.pk)
    Organisation.objects.filter(pk=agency.pk).update(is_active=False)
    assert selectors.principal_for_user(person, organisation_id=agency.pk).roles == {"bidder"}
    assert selectors.principal_for_user(None) == Principal.guest()


def test_ensure_functions_are_idempotent() -> None:
    uscc = new_uscc("centre")
    org = services.ensure_organisation(kind="centre", name="交易中心", uscc=uscc)
    again = services.ensure_organisation(kind="centre", name="交易中心", uscc=uscc)
    assert org.pk == again.pk and Organisation.objects.count() == 1
    renamed = services.ensure_organisation(kind="centre", name="市交易中心", uscc=uscc)
    assert renamed.pk == org.pk and Organisation.objects.get().name == "市交易中心"
    user = services.ensure_user(username="staff", password=PASSWORD, display_name="张伟")
    assert services.ensure_user(username="staff", password=PASSWORD, display_name="张伟").pk == user.pk
    services.ensure_membership(user=user, organisation=org, roles=["centre_staff"])
    services.ensure_membership(user=user, organisation=org, roles=["centre_staff"])
    assert Membership.objects.count() == 1
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    device = services.ensure_totp(user=user, secret=secret)
    assert services.ensure_totp(user=user, secret=secret.lower()).pk == device.pk
    assert totp_secret_of(user) == secret
    assert User.objects.count() == 1 and TotpDevice.objects.count() == 1


def test_ensure_totp_explains_an_invalid_secret() -> None:
    user = make_user()
    with translation.override("en"), pytest.raises(InvalidInput) as caught:
        services.ensure_totp(user=user, secret="JBSWY3DPEHPK3PXPJINCHENG2026DEMO")
    assert "0" in str(caught.value) and "base32" in str(caught.value)
    with pytest.raises(InvalidInput):
        services.ensure_totp(user=user, secret="JBSWY3DP")  # 40 bits


def test_create_user_validates_password_and_name() -> None:
    with pytest.raises(InvalidInput) as weak:
        services.create_user(actor=None, username="li", password="12345678")
    assert weak.value.details[0]["field"] == "password"
    with pytest.raises(InvalidInput) as bad_name:
        services.create_user(actor=None, username="li lei!", password=PASSWORD)
    assert bad_name.value.details[0]["field"] == "username"
    services.create_user(actor=None, username="lilei", password=PASSWORD)
    with pytest.raises(Conflict):
        services.create_user(actor=None, username="lilei", password=PASSWORD)


# --- sign-in and lockout ---------------------------------------------------------------------------


def test_password_sign_in_records_attempts() -> None:
    user = make_user("alice", roles=["bidder"])
    result = services.sign_in_with_password(
        username="alice", password=PASSWORD, client_address="10.0.0.1", at=T0
    )
    assert result.user == user and not result.needs_second_factor
    with pytest.raises(NotAuthenticated):
        services.sign_in_with_password(username="alice", password="nope", client_address="10.0.0.1", at=T0)
    outcomes = list(SignInAttempt.objects.order_by("at", "id").values_list("outcome", flat=True))
    assert outcomes == ["signed_in", "bad_credentials"]


def test_lockout_after_failures_then_unlock_after_the_window() -> None:
    make_user("bob", roles=["bidder"])
    for i in range(5):
        with pytest.raises(NotAuthenticated):
            services.sign_in_with_password(
                username="bob", password="wrong", client_address=f"10.0.0.{i}", at=T0 + timedelta(minutes=i)
            )
    # Locked now, even with the right password; the message says until when (Beijing time).
    with translation.override("en"), pytest.raises(Locked) as locked:
        services.sign_in_with_password(
            username="bob", password=PASSWORD, client_address="10.0.1.1", at=T0 + timedelta(minutes=5)
        )
    # The oldest failure (T0) leaves the 15-minute window at T0+15 min = 10:15 Beijing time.
    assert "2026-11-30 10:15" in str(locked.value)
    with pytest.raises(Locked):
        services.sign_in_with_password(
            username="bob",
            password=PASSWORD,
            client_address="10.0.1.1",
            at=T0 + timedelta(minutes=14, seconds=59),
        )
    result = services.sign_in_with_password(
        username="bob", password=PASSWORD, client_address="10.0.1.1", at=T0 + timedelta(minutes=15, seconds=1)
    )
    assert result.user.username == "bob"


def test_lockout_message_does_not_reveal_whether_the_account_exists() -> None:
    make_user("carol", roles=["bidder"])
    messages = {}
    for name in ("carol", "nobody-here"):
        for i in range(5):
            with pytest.raises(NotAuthenticated) as wrong:
                services.sign_in_with_password(username=name, password="x", at=T0 + timedelta(seconds=i))
        with pytest.raises(Locked) as locked:
            services.sign_in_with_password(username=name, password="x", at=T0 + timedelta(seconds=10))
        messages[name] = (str(wrong.value), str(locked.value))
    assert messages["carol"] == messages["nobody-here"]


def test_lockout_per_client_address_across_user_names() -> None:
    make_user("dave", roles=["bidder"])
    for i in range(5):
        with pytest.raises(NotAuthenticated):
            services.sign_in_with_password(
                username=f"guess{i}", password="x", client_address="203.0.113.9", at=T0
            )
    with pytest.raises(Locked):
        services.sign_in_with_password(
            username="dave", password=PASSWORD, client_address="203.0.113.9", at=T0
        )
    # The same account from elsewhere is fine.
    services.sign_in_with_password(username="dave", password=PASSWORD, client_address="198.51.100.1", at=T0)


def test_a_successful_sign_in_resets_the_account_counter(settings) -> None:
    make_user("erin", roles=["bidder"])
    for _ in range(4):
        with pytest.raises(NotAuthenticated):
            services.sign_in_with_password(username="erin", password="x", at=T0)
    services.sign_in_with_password(username="erin", password=PASSWORD, at=T0 + timedelta(seconds=1))
    with pytest.raises(NotAuthenticated):  # one more failure: 1 since the success, not 5
        services.sign_in_with_password(username="erin", password="x", at=T0 + timedelta(seconds=2))


def test_lockout_limits_come_from_settings(settings) -> None:
    settings.YINGSHANG = {**settings.YINGSHANG, "LOCKOUT_FAILURES": 2, "LOCKOUT_MINUTES": 1}
    make_user("fay", roles=["bidder"])
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            services.sign_in_with_password(username="fay", password="x", at=T0)
    with pytest.raises(Locked):
        services.sign_in_with_password(username="fay", password=PASSWORD, at=T0 + timedelta(seconds=59))
    services.sign_in_with_password(username="fay", password=PASSWORD, at=T0 + timedelta(seconds=61))


def test_inactive_user_gets_the_wrong_password_answer() -> None:
    user = make_user("gus", roles=["bidder"])
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(NotAuthenticated) as caught:
        services.sign_in_with_password(username="gus", password=PASSWORD, at=T0)
    assert caught.value.code == "bad_credentials"


# --- second factor -------------------------------------------------------------------------------------


def test_second_factor_required_for_staff_supervisor_auditor_expert_only() -> None:
    for role in ("centre_staff", "supervisor", "auditor", "expert"):
        user = make_user(roles=[role])
        result = services.sign_in_with_password(username=user.username, password=PASSWORD, at=T0)
        assert result.needs_second_factor and result.has_device, role
    for role in (
        "tenderer",
        "agency",
        "bidder",
        "enterprise",
        "service_manager",
        "department",
        "issuer",
    ):
        user = make_user(roles=[role])
        assert not services.sign_in_with_password(
            username=user.username, password=PASSWORD, at=T0
        ).needs_second_factor


def test_password_accepted_is_not_a_sign_in_until_the_code() -> None:
    staff = make_user(roles=["centre_staff"])
    services.sign_in_with_password(username=staff.username, password=PASSWORD, at=T0)
    assert SignInAttempt.objects.get().outcome == "password_accepted"
    services.verify_second_factor(user=staff, code=code_at(totp_secret_of(staff), T0), at=T0)
    assert SignInAttempt.objects.filter(outcome="signed_in").count() == 1


def test_replayed_code_is_refused() -> None:
    staff = make_user(roles=["supervisor"])
    code = code_at(totp_secret_of(staff), T0)
    services.verify_second_factor(user=staff, code=code, at=T0)
    with pytest.raises(NotAuthenticated) as replay:
        services.verify_second_factor(user=staff, code=code, at=T0 + timedelta(seconds=5))
    assert replay.value.code == "bad_code"
    # An older step is refused too; the next step's code works.
    with pytest.raises(NotAuthenticated):
        services.verify_second_factor(user=staff, code=code_at(totp_secret_of(staff), T0, -1), at=T0)
    services.verify_second_factor(
        user=staff, code=code_at(totp_secret_of(staff), T0, 1), at=T0 + timedelta(seconds=30)
    )


def test_codes_within_one_step_of_drift_are_accepted_but_not_further() -> None:
    staff = make_user(roles=["auditor"])
    secret = totp_secret_of(staff)
    with pytest.raises(NotAuthenticated):
        services.verify_second_factor(user=staff, code=code_at(secret, T0, -2), at=T0)
    services.verify_second_factor(user=staff, code=code_at(secret, T0, -1), at=T0)


def test_wrong_codes_count_towards_lockout() -> None:
    staff = make_user(roles=["centre_staff"])
    for i in range(5):
        with pytest.raises(NotAuthenticated):
            services.verify_second_factor(user=staff, code="000000", at=T0 + timedelta(seconds=i))
    with pytest.raises(Locked):
        services.verify_second_factor(
            user=staff, code=code_at(totp_secret_of(staff), T0), at=T0 + timedelta(seconds=9)
        )


def test_enrol_confirm_and_disable() -> None:
    user = make_user(roles=["bidder"])
    enrolment = services.enrol_totp(user=user, at=T0)
    assert enrolment.uri.startswith("otpauth://totp/") and enrolment.secret in enrolment.uri
    assert selectors.pending_totp_enrolment(user) == enrolment
    assert not selectors.needs_second_factor(user.pk)  # not confirmed yet
    with pytest.raises(InvalidInput):
        services.confirm_totp(user=user, code="123456", at=T0)
    services.confirm_totp(user=user, code=code_at(enrolment.secret, T0), at=T0)
    assert selectors.needs_second_factor(user.pk)  # enrolled voluntarily: now asked at sign-in
    with pytest.raises(Conflict):
        services.enrol_totp(user=user, at=T0)
    with pytest.raises(InvalidInput):  # the code used to confirm cannot be used again
        services.disable_totp(user=user, code=code_at(enrolment.secret, T0), at=T0)
    services.disable_totp(user=user, code=code_at(enrolment.secret, T0, 1), at=T0 + timedelta(seconds=30))
    assert not TotpDevice.objects.filter(user=user).exists()


def test_totp_secret_is_encrypted_at_rest_and_bound_to_its_user() -> None:
    alice = make_user(roles=["centre_staff"])
    bob = make_user(roles=["centre_staff"])
    secret = totp_secret_of(alice)
    sealed = bytes(TotpDevice.objects.get(user=alice).sealed_secret)
    assert secret.encode() not in sealed
    # A sealed secret copied onto another user's row does not open.
    TotpDevice.objects.filter(user=bob).update(sealed_secret=sealed)
    from yingshang.identity.secretbox import SealedValueError

    with pytest.raises(SealedValueError):
        totp_secret_of(bob)


def test_totp_secret_opens_after_secret_key_rotation(settings) -> None:
    user = make_user(roles=["centre_staff"])
    secret = totp_secret_of(user)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert totp_secret_of(user) == secret


# --- API tokens -------------------------------------------------------------------------------------------


def test_token_is_shown_once_and_only_its_hash_is_stored() -> None:
    user = make_user(roles=["bidder"])
    created = services.create_api_token(
        user=user, name="bidder tool", scopes=["identity:read"], expires_at=T0 + timedelta(days=30), at=T0
    )
    prefix, secret = tokens.split(created.plain)  # type: ignore[misc]
    row = ApiToken.objects.get()
    assert row.prefix == prefix and row.secret_hash == tokens.hash_secret(secret)
    stored = " ".join(str(value) for value in ApiToken.objects.values().get().values())
    assert secret not in stored
    assert services.authenticate_api_token(raw=created.plain, at=T0 + timedelta(days=1)).pk == row.pk


def test_expired_revoked_wrong_and_malformed_tokens_are_refused() -> None:
    user = make_user(roles=["bidder"])
    created = services.create_api_token(
        user=user, name="t", scopes=["identity:read"], expires_at=T0 + timedelta(days=1), at=T0
    )
    with pytest.raises(NotAuthenticated):
        services.authenticate_api_token(raw=created.plain, at=T0 + timedelta(days=1, seconds=1))
    prefix, _secret = tokens.split(created.plain)  # type: ignore[misc]
    for raw in (f"ys_{prefix}_{'A' * 43}", "ys_nope", "", created.plain + "x"):
        with pytest.raises(NotAuthenticated):
            services.authenticate_api_token(raw=raw, at=T0)
    services.revoke_api_token(user=user, token_id=created.token.pk, at=T0 + timedelta(hours=1))
    with pytest.raises(NotAuthenticated):
        services.authenticate_api_token(raw=created.plain, at=T0 + timedelta(hours=2))
    # Revoking a revoked token changes nothing; another user's token is not found.
    assert services.revoke_api_token(user=user, token_id=created.token.pk).revoked_at == T0 + timedelta(
        hours=1
    )
    with pytest.raises(NotFound):
        services.revoke_api_token(user=make_user(), token_id=created.token.pk)


def test_token_of_an_inactive_user_is_refused() -> None:
    user = make_user(roles=["bidder"])
    created = services.create_api_token(
        user=user, name="t", scopes=["files:read"], expires_at=T0 + timedelta(days=1), at=T0
    )
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(NotAuthenticated):
        services.authenticate_api_token(raw=created.plain, at=T0)


def test_token_expiry_must_be_future_and_within_the_maximum() -> None:
    user = make_user(roles=["bidder"])
    for expires in (T0, T0 - timedelta(days=1), T0 + timedelta(days=367)):
        with pytest.raises(InvalidInput) as caught:
            services.create_api_token(
                user=user, name="t", scopes=["identity:read"], expires_at=expires, at=T0
            )
        assert caught.value.details[0]["field"] == "expires_at"
    services.create_api_token(
        user=user, name="t", scopes=["identity:read"], expires_at=T0 + timedelta(days=366), at=T0
    )


def test_token_scopes_are_checked() -> None:
    user = make_user(roles=["bidder"])
    for scopes in ([], ["identity"], ["identity:admin"], ["nosuchcontext:read"]):
        with pytest.raises(InvalidInput) as caught:
            services.create_api_token(
                user=user, name="t", scopes=scopes, expires_at=T0 + timedelta(days=1), at=T0
            )
        assert caught.value.details[0]["field"] == "scopes"
    created = services.create_api_token(
        user=user,
        name="t",
        scopes=["identity:write", "files:read", "files:read"],
        expires_at=T0 + timedelta(days=1),
        at=T0,
    )
    assert created.token.scopes == ["files:read", "identity:write"]
    with pytest.raises(InvalidInput):  # a token cannot mint a token with more rights
        services.create_api_token(
            user=user,
            name="t2",
            scopes=["files:write"],
            expires_at=T0 + timedelta(days=1),
            limit_scopes=["files:read"],
            at=T0,
        )


def test_auditor_tokens_carry_read_scopes_only() -> None:
    auditor = make_user(roles=["auditor"])
    with pytest.raises(InvalidInput):
        services.create_api_token(
            user=auditor, name="t", scopes=["files:write"], expires_at=T0 + timedelta(days=1), at=T0
        )
    services.create_api_token(
        user=auditor, name="t", scopes=["files:read"], expires_at=T0 + timedelta(days=1), at=T0
    )


def test_token_for_an_organisation_the_user_does_not_belong_to_is_refused() -> None:
    user = make_user(roles=["bidder"])
    with pytest.raises(InvalidInput) as caught:
        services.create_api_token(
            user=user,
            name="t",
            scopes=["identity:read"],
            expires_at=T0 + timedelta(days=1),
            organisation=make_organisation("agency"),
            at=T0,
        )
    assert caught.value.details[0]["field"] == "organisation"


def test_token_last_used_is_written_at_most_once_a_minute() -> None:
    user = make_user(roles=["bidder"])
    created = services.create_api_token(
        user=user, name="t", scopes=["identity:read"], expires_at=T0 + timedelta(days=1), at=T0
    )
    services.authenticate_api_token(raw=created.plain, at=T0 + timedelta(seconds=10))
    services.authenticate_api_token(raw=created.plain, at=T0 + timedelta(seconds=50))
    assert ApiToken.objects.get().last_used_at == T0 + timedelta(seconds=10)
    services.authenticate_api_token(raw=created.plain, at=T0 + timedelta(seconds=71))
    assert ApiToken.objects.get().last_used_at == T0 + timedelta(seconds=71)
