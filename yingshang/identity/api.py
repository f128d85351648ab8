"""The identity API at /api/v1/identity: who am I, my API tokens, organisations.

Authentication: an API token (``Authorization: Bearer ys_...``) or the browser session (CSRF
header on writes). Token callers need the ``identity:read`` scope to read tokens and
organisations and ``identity:write`` to create or revoke tokens; ``/me`` answers any valid token.
"""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import ConfigDict

from yingshang.identity import selectors, services
from yingshang.identity.auth import API_AUTH
from yingshang.identity.facade import principal_for, require_scope, visible_organisations
from yingshang.identity.models import ApiToken, Organisation, User
from yingshang.identity.permissions import organisations as organisation_policy
from yingshang.identity.roles import OrganisationKind
from yingshang.kernel.errors import InvalidInput, NotFound
from yingshang.kernel.identifiers import InvalidIdentifier, check_uscc
from yingshang.kernel.types import USCC

router = Router(auth=API_AUTH, tags=["identity"])


class StrictSchema(Schema):
    """Input schemas refuse unknown fields (422 naming the field)."""

    model_config = ConfigDict(extra="forbid")


class OrganisationOut(Schema):
    id: int
    uscc: str
    name: str
    kind: str
    division: str
    is_active: bool


class MembershipOut(Schema):
    organisation: OrganisationOut
    roles: list[str]


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    preferred_language: str


class MeOut(Schema):
    user: UserOut
    organisation: OrganisationOut | None = Field(description="The active organisation the caller acts for.")
    roles: list[str] = Field(description="The caller's roles in the active organisation.")
    memberships: list[MembershipOut]
    authenticated_by: str = Field(description="`token` or `session`.")
    scopes: list[str] | None = Field(
        description="The token's scopes; null for a session (all the user's rights)."
    )
    is_superuser: bool


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    organisation_uscc: str | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenIn(StrictSchema):
    name: str = Field(min_length=1, max_length=100, examples=["bidder tool, office laptop"])
    scopes: list[str] = Field(min_length=1, examples=[["identity:read"]])
    expires_at: datetime = Field(description="ISO 8601 with a time zone; at most 366 days ahead.")
    organisation_uscc: USCC | None = Field(
        default=None, description="The organisation the token acts for; null: the first one at each call."
    )


class TokenCreatedOut(Schema):
    token: TokenOut
    secret: str = Field(description="The plain token. Shown only in this response; store it safely.")


def _organisation_out(organisation: Organisation) -> OrganisationOut:
    return OrganisationOut(
        id=organisation.pk,
        uscc=organisation.uscc,
        name=organisation.name,
        kind=organisation.kind,
        division=organisation.division,
        is_active=organisation.is_active,
    )


def _token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.pk,
        name=token.name,
        prefix=token.prefix,
        scopes=list(token.scopes),
        organisation_uscc=token.organisation.uscc if token.organisation else None,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
    )


_BODY_FIELDS = {"organisation": "organisation_uscc"}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@router.get("/me", response=MeOut, summary="Who am I: user, active organisation and roles")
def me(request: HttpRequest) -> MeOut:
    principal = principal_for(request)
    user = _user(request)
    active = (
        Organisation.objects.filter(pk=principal.organisation_id).first()
        if principal.organisation_id
        else None
    )
    token = getattr(request, "api_token", None)
    return MeOut(
        user=UserOut(
            id=user.pk,
            username=user.username,
            display_name=user.display_name,
            preferred_language=user.preferred_language,
        ),
        organisation=_organisation_out(active) if active else None,
        roles=sorted(principal.roles),
        memberships=[
            MembershipOut(
                organisation=_organisation_out(entry.organisation), roles=[r.value for r in entry.roles]
            )
            for entry in selectors.roles_by_organisation(user.pk)
        ],
        authenticated_by="token" if token is not None else "session",
        scopes=sorted(principal.scopes) if principal.scopes is not None else None,
        is_superuser=principal.is_superuser,
    )


@router.get("/tokens", response=list[TokenOut], summary="My API tokens (never their secrets)")
def list_tokens(request: HttpRequest) -> list[TokenOut]:
    require_scope(request, "identity:read")
    return [_token_out(token) for token in selectors.tokens_of(_user(request).pk)]


@router.post(
    "/tokens", response={201: TokenCreatedOut}, summary="Create an API token (the secret is shown once)"
)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[TokenCreatedOut]:
    require_scope(request, "identity:write")
    user = _user(request)
    organisation = None
    if payload.organisation_uscc is not None:
        # An unknown code gets the same answer as a code the caller does not belong to.
        organisation = selectors.get_organisation_by_uscc(payload.organisation_uscc) or Organisation(pk=0)
    calling_token = getattr(request, "api_token", None)
    try:
        created = services.create_api_token(
            user=user,
            name=payload.name,
            scopes=payload.scopes,
            expires_at=payload.expires_at,
            organisation=organisation,
            limit_scopes=calling_token.scopes if calling_token is not None else None,
        )
    except InvalidInput as error:
        # Name the fields as the request body does.
        error.details = [
            {**d, "field": "body." + _BODY_FIELDS.get(d.get("field", ""), d.get("field", ""))}
            for d in error.details
        ]
        raise
    return Status(201, TokenCreatedOut(token=_token_out(created.token), secret=created.plain))


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke one of my API tokens")
def revoke_token(request: HttpRequest, token_id: int) -> Status[None]:
    require_scope(request, "identity:write")
    services.revoke_api_token(user=_user(request), token_id=token_id)
    return Status(204, None)


@router.get(
    "/organisations",
    response=list[OrganisationOut],
    summary="Organisations I may see (centre staff, supervisors and auditors: all; others: their own)",
)
@paginate(LimitOffsetPagination)
def list_organisations(request: HttpRequest, kind: OrganisationKind | None = None) -> object:
    organisations = visible_organisations(principal_for(request)).order_by("name", "id")
    if kind:
        organisations = organisations.filter(kind=kind.value)
    return organisations


@router.get("/organisations/{uscc}", response=OrganisationOut, summary="One organisation by credit code")
def get_organisation(request: HttpRequest, uscc: str) -> OrganisationOut:
    try:
        uscc = check_uscc(uscc)
    except InvalidIdentifier as exc:
        raise InvalidInput(
            str(exc), details=[{"field": "path.uscc", "code": f"uscc_{exc.code}", "message": str(exc)}]
        ) from exc
    principal = principal_for(request)
    organisation = selectors.get_organisation_by_uscc(uscc)
    if organisation is None or not organisation_policy.allows(principal, "view", organisation):
        raise NotFound()
    return _organisation_out(organisation)


# Certificate sign-in and the trust store (yingshang/identity/certificate_api.py).
from yingshang.identity.certificate_api import router as _certificate_router  # noqa: E402

router.add_router("", _certificate_router)
