"""The permission matrix: every route of the platform, tried as every role and as a guest.

``tests/test_permission_matrix.py`` enumerates every URL pattern of ``config.urls`` and every
operation of the API (``config.api.api``) and fails when one has no expectation here, or when
an expectation names a route that no longer exists. Each expectation says, for each principal
(the guest and one user per role, fully signed in with a second factor where the role needs
one), what must happen:

- :class:`Allow`: the response has one of the given statuses;
- :data:`DENY`: 401/403, or (pages) a redirect to the sign-in page;
- :data:`HIDDEN`: 404 (the object exists but is not visible to this principal);
- :class:`NotApplicable`: the call makes no sense for this principal (say why); it must still
  not fail with a 5xx.

For every denied or hidden call the database must be unchanged: the harness counts the rows
the request inserted, updated or deleted (SQLite ``total_changes()``, PostgreSQL
``pg_stat_xact_user_tables``) and fails if that is not zero.

Declaring a new route (every capability does this for its pages and API operations)::

    Expect("POST", "/api/v1/tenders/{tender_id}/publish",
           outcomes(guest=DENY, default=DENY, tenderer=Allow((200,)), agency=Allow((200,))),
           path=lambda world, principal: f"/api/v1/tenders/{world.extra['tender'].pk}/publish",
           setup=make_tender)

Page routes are keyed by their Django route (``/account/tokens/<int:token_id>/revoke/``) and
declare each method the matrix tries; API operations are keyed by method and the API's path
(``DELETE /api/v1/identity/tokens/{token_id}``), one entry per operation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from ninja.utils import normalize_path, replace_path_param_notation

from yingshang.identity import services
from yingshang.identity.models import ApiToken, Organisation, User
from yingshang.identity.roles import Role
from yingshang.identity.testing import make_user

GUEST = "guest"
ROLES = tuple(role.value for role in Role)
PRINCIPALS = (GUEST, *ROLES)
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# --- outcomes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Allow:
    statuses: tuple[int, ...] = (200,)

    def __str__(self) -> str:
        return f"allow {'/'.join(map(str, self.statuses))}"


@dataclass(frozen=True)
class Deny:
    def __str__(self) -> str:
        return "deny (401/403/redirect to sign-in)"


@dataclass(frozen=True)
class Hidden:
    def __str__(self) -> str:
        return "hidden (404)"


@dataclass(frozen=True)
class NotApplicable:
    reason: str

    def __str__(self) -> str:
        return f"not applicable ({self.reason})"


Outcome = Allow | Deny | Hidden | NotApplicable
DENY = Deny()
HIDDEN = Hidden()
OK = Allow((200,))


def outcomes(*, guest: Outcome, default: Outcome, **by_role: Outcome) -> dict[str, Outcome]:
    """The outcome for every principal: ``guest``, each role named, ``default`` for the rest."""
    unknown = set(by_role) - set(ROLES)
    if unknown:
        raise ValueError(f"not roles: {sorted(unknown)}")
    return {GUEST: guest, **{role: by_role.get(role, default) for role in ROLES}}


def signed_in(outcome: Outcome = OK, *, guest: Outcome = DENY) -> dict[str, Outcome]:
    """Every signed-in role gets ``outcome``; the guest is denied."""
    return outcomes(guest=guest, default=outcome)


def everyone(outcome: Outcome = OK) -> dict[str, Outcome]:
    return outcomes(guest=outcome, default=outcome)


# --- the world every route is tried in ----------------------------------------------------------------


@dataclass
class World:
    """One user per role (username = the role), each in an organisation of their own with an
    API token of their own (``identity:read``); ``extra`` holds what expectations' ``setup``
    functions create."""

    users: dict[str, User]
    tokens: dict[str, ApiToken]
    extra: dict[str, Any] = field(default_factory=dict)

    def user(self, role: str) -> User:
        return self.users[role]

    def organisation(self, role: str) -> Organisation:
        return Organisation.objects.filter(memberships__user=self.users[role]).order_by("name", "id").first()  # type: ignore[return-value]

    def token(self, principal: str) -> ApiToken:
        """The principal's own token (the guest: the bidder's, which it cannot touch)."""
        return self.tokens[principal if principal != GUEST else Role.BIDDER.value]

    def someone_elses_token(self, principal: str) -> ApiToken:
        other = Role.TENDERER.value if principal == Role.BIDDER.value else Role.BIDDER.value
        return self.tokens[other]


def build_world() -> World:
    users = {role: make_user(role, roles=[role]) for role in ROLES}
    expires = timezone.now() + timedelta(days=30)
    tokens = {
        role: services.create_api_token(
            user=user, name=f"{role} token", scopes=["identity:read"], expires_at=expires
        ).token
        for role, user in users.items()
    }
    return World(users=users, tokens=tokens)


# --- expectations ---------------------------------------------------------------------------------------

PathBuilder = Callable[[World, str], str]
DataBuilder = Callable[[World, str], Mapping[str, Any]]


@dataclass(frozen=True)
class Case:
    outcomes: Mapping[str, Outcome]
    label: str = ""
    path: PathBuilder | None = None
    data: DataBuilder | None = None


@dataclass(frozen=True)
class Expect:
    method: str
    route: str
    cases: tuple[Case, ...]
    setup: Callable[[World], None] | None = None
    multipart: bool = False  # API operations taking a file: send the data as multipart

    @property
    def key(self) -> str:
        return f"{self.method} {self.route}"

    @property
    def is_api(self) -> bool:
        """Under /api/v1/ (JSON bodies, 401/403 denials); the docs pages are also here."""
        return self.route.startswith(API_ROOT)


def expect(
    method: str,
    route: str,
    table: Mapping[str, Outcome] | None = None,
    *,
    path: PathBuilder | None = None,
    data: DataBuilder | None = None,
    cases: tuple[Case, ...] = (),
    setup: Callable[[World], None] | None = None,
    multipart: bool = False,
) -> Expect:
    """One expectation: a single ``table`` (with ``path``/``data``) or several labelled ``cases``."""
    if table is not None:
        cases = (Case(outcomes=table, path=path, data=data), *cases)
    if not cases:
        raise ValueError(f"{method} {route}: declare an outcome table or cases")
    for case in cases:
        missing = set(PRINCIPALS) - set(case.outcomes)
        if missing:
            raise ValueError(f"{method} {route} {case.label}: no outcome for {sorted(missing)}")
        if ("<" in route or "{" in route) and case.path is None:
            raise ValueError(f"{method} {route}: the route has parameters; give path=")
    return Expect(method=method, route=route, cases=cases, setup=setup, multipart=multipart)


API_ROOT = "/api/v1/"
SIGN_IN_URL = "/account/sign-in/"


def _document_signer() -> None:
    """The platform's document-signing identity, as `yingshang setup` makes it (idempotent)."""
    from yingshang.kernel.keys import ensure_document_signer

    ensure_document_signer()


def _token_body(world: World, principal: str) -> dict[str, Any]:
    return {
        "name": "matrix",
        "scopes": ["identity:read"],
        "expires_at": (timezone.now() + timedelta(days=1)).isoformat(),
    }


def _token_form(world: World, principal: str) -> dict[str, Any]:
    return {
        "name": "matrix",
        "scopes": ["identity:read"],
        "expires_on": str(timezone.localdate() + timedelta(days=7)),
    }


def _own_org_form(world: World, principal: str) -> dict[str, Any]:
    return {"organisation": world.organisation(principal).pk if principal != GUEST else 1}


OVERSEERS = {Role.CENTRE_STAFF.value, Role.SUPERVISOR.value, Role.AUDITOR.value}


def _target_org_path(world: World, principal: str) -> str:
    return f"/api/v1/identity/organisations/{world.organisation(Role.BIDDER.value).uscc}"


# --- certificates and the trust store (identity) --------------------------------------------------


def _matrix_vendor() -> Any:
    from datetime import UTC, datetime

    from yingshang.pki import Vendor

    return Vendor.create("Matrix CA", now=datetime.now(UTC), rule="serial_number")


def _trust_store(world: World) -> None:
    """A vendor's root and intermediate in the trust store (for retire and CRL import)."""
    from yingshang.identity.testing import trust_vendor

    vendor = _matrix_vendor()
    world.extra["vendor"] = vendor
    world.extra["authorities"] = trust_vendor(vendor)


def _new_ca_body(world: World, principal: str) -> dict[str, Any]:
    return {"certificate": _matrix_vendor().root.pem.decode(), "vendor": "Matrix", "uscc_rule": "ou"}


def _crl_body(world: World, principal: str) -> dict[str, Any]:
    import base64
    from datetime import UTC, datetime

    crl = world.extra["vendor"].crl([], now=datetime.now(UTC))
    return {"crl": base64.b64encode(crl).decode()}


_UNKNOWN_CHALLENGE_ANSWER = {
    "chain": ["AAAA"],
    "signature": {"algorithm": "ECDSA-P256-SHA256", "value": "AAAA"},
}


# --- files and notifications (written by the files/notifications helper) ---------------------------


def _broken_pdf_upload(world: World, principal: str) -> dict[str, Any]:
    """A PDF header over garbage: refused (400) after the permission check, so nothing is stored."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        "file": SimpleUploadedFile("matrix.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 64),
        "purpose": "general",
    }


def _bidder_document(world: World) -> None:
    """A real PDF uploaded by the bidder for their company (stored under var/media, deduplicated)."""
    import io

    from pypdf import PdfWriter

    from yingshang.files import facade as files
    from yingshang.identity.facade import principal_for_user

    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    pdf = io.BytesIO()
    writer.write(pdf)
    pdf.seek(0)
    bidder = principal_for_user(world.user(Role.BIDDER.value))
    world.extra["document"] = files.store_document(
        principal=bidder, name="matrix.pdf", stream=pdf, purpose="general"
    )


def _document_path(template: str) -> PathBuilder:
    return lambda world, principal: template.format(id=world.extra["document"].id)


DOCUMENT_VIEWERS = outcomes(guest=DENY, default=HIDDEN, bidder=OK, centre_staff=OK, supervisor=OK, auditor=OK)


def _inbox_items(world: World) -> None:
    """One unread inbox message for every user; ``extra["inbox"][role]`` is its item id."""
    from yingshang.identity.facade import principal_for_user
    from yingshang.notifications import facade as notifications

    world.extra["inbox"] = {}
    for role, user in world.users.items():
        notifications.notify(
            recipients=[user.pk], template="platform.notice", context={"title": "matrix", "text": "matrix"}
        )
        world.extra["inbox"][role] = notifications.inbox(principal_for_user(user))[0].id


def _own_item(template: str) -> PathBuilder:
    return lambda w, p: template.format(id=w.extra["inbox"][p if p != GUEST else Role.BIDDER.value])


def _others_item(template: str) -> PathBuilder:
    other = {Role.BIDDER.value: Role.TENDERER.value}
    return lambda w, p: template.format(id=w.extra["inbox"][other.get(p, Role.BIDDER.value)])


FILES_AND_NOTIFICATIONS: tuple[Expect, ...] = (
    expect("GET", "/files/", signed_in()),
    expect("GET", "/files/upload/", signed_in()),
    # Auditors are read-only: 403 before the bytes are looked at. Everyone else reaches the checks.
    expect(
        "POST",
        "/files/upload/",
        outcomes(guest=DENY, default=Allow((400,)), auditor=DENY),
        data=_broken_pdf_upload,
    ),
    expect(
        "GET",
        "/files/<int:document_id>/download/",
        DOCUMENT_VIEWERS,
        path=_document_path("/files/{id}/download/"),
        setup=_bidder_document,
    ),
    # Sent as multipart: auditors are refused before the bytes are looked at; everyone else
    # reaches the checks, which refuse the broken PDF (400), so nothing is stored.
    expect(
        "POST",
        "/api/v1/files",
        outcomes(guest=DENY, default=Allow((400,)), auditor=DENY),
        data=_broken_pdf_upload,
        multipart=True,
    ),
    expect(
        "GET",
        "/api/v1/files/{int:document_id}",
        DOCUMENT_VIEWERS,
        path=_document_path("/api/v1/files/{id}"),
        setup=_bidder_document,
    ),
    expect(
        "GET",
        "/api/v1/files/{int:document_id}/content",
        DOCUMENT_VIEWERS,
        path=_document_path("/api/v1/files/{id}/content"),
        setup=_bidder_document,
    ),
    expect("GET", "/inbox/", signed_in()),
    expect(
        "POST",
        "/inbox/<int:item_id>/read/",
        cases=(
            Case(signed_in(Allow((302,))), "own message", path=_own_item("/inbox/{id}/read/")),
            Case(signed_in(HIDDEN), "someone else's message", path=_others_item("/inbox/{id}/read/")),
        ),
        setup=_inbox_items,
    ),
    expect("POST", "/inbox/read-all/", signed_in(Allow((302,)))),
    expect("GET", "/api/v1/notifications/inbox", signed_in()),
    expect(
        "POST",
        "/api/v1/notifications/inbox/{int:item_id}/read",
        cases=(
            Case(signed_in(), "own message", path=_own_item("/api/v1/notifications/inbox/{id}/read")),
            Case(
                signed_in(HIDDEN),
                "someone else's message",
                path=_others_item("/api/v1/notifications/inbox/{id}/read"),
            ),
        ),
        setup=_inbox_items,
    ),
    expect("POST", "/api/v1/notifications/inbox/read-all", signed_in()),
)


# --- evidence ledger (read side) -------------------------------------------------------------------


def _ledger_world(world: World) -> None:
    """Two sequenced facts (one public, one for the bidder's eyes) and the supervisor's witness."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from django.db import transaction

    from yingshang.identity.facade import principal_for_user
    from yingshang.ledger import facade as ledger
    from yingshang.ledger import note, witnesses
    from yingshang.ledger.contracts import Actor, Subject, Visibility

    ledger.register_action("ledger.matrix.recorded", "权限矩阵事实", "matrix fact")
    subject = Subject("ledger", "matrix", "1")
    bidder = world.user(Role.BIDDER.value)
    with transaction.atomic():
        public = ledger.record(
            action="ledger.matrix.recorded",
            actor=Actor.system("matrix"),
            subject=subject,
            data={},
            visibility=Visibility.public(),
        )
        private = ledger.record(
            action="ledger.matrix.recorded",
            actor=Actor.system("matrix"),
            subject=subject,
            data={},
            visibility=Visibility.parties(user_ids=[bidder.pk]),
        )
    ledger.sequence_once()
    from yingshang.ledger.models import LogEntry

    world.extra["ledger_public"] = LogEntry.objects.get(leaf_hash=public.entry_hash).index
    world.extra["ledger_private"] = LogEntry.objects.get(leaf_hash=private.entry_hash).index
    signer = note.NoteSigner("matrix-witness", Ed25519PrivateKey.generate())
    supervisor = principal_for_user(world.user(Role.SUPERVISOR.value))
    world.extra["witness"] = witnesses.register_witness(
        principal=supervisor, verifier_key=signer.verifier_key
    )
    world.extra["witness_signer"] = signer


def _cosignature_body(world: World, principal: str) -> dict[str, Any]:
    from yingshang.ledger import selectors, verifier

    checkpoint = selectors.latest_checkpoint()
    assert checkpoint is not None
    return {"signature_line": world.extra["witness_signer"].sign(verifier.split_note(checkpoint.note)[0])}


def _new_witness_body(world: World, principal: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from yingshang.ledger import note

    return {
        "verifier_key": note.NoteSigner(f"{principal}-witness", Ed25519PrivateKey.generate()).verifier_key
    }


LEDGER_OVERSEERS = outcomes(guest=DENY, default=DENY, centre_staff=OK, supervisor=OK, auditor=OK)

LEDGER: tuple[Expect, ...] = (
    expect("GET", "/api/v1/ledger/checkpoint", everyone(), setup=_ledger_world),
    expect("GET", "/api/v1/ledger/public-key", everyone()),
    expect(
        "GET",
        "/api/v1/ledger/leaves",
        everyone(),
        path=lambda w, p: "/api/v1/ledger/leaves?start=0&end=1",
        setup=_ledger_world,
    ),
    expect(
        "GET",
        "/api/v1/ledger/proofs/inclusion",
        everyone(),
        path=lambda w, p: f"/api/v1/ledger/proofs/inclusion?index={w.extra['ledger_private']}",
        setup=_ledger_world,
    ),
    expect(
        "GET",
        "/api/v1/ledger/proofs/consistency",
        everyone(),
        path=lambda w, p: f"/api/v1/ledger/proofs/consistency?first=1&second={w.extra['ledger_private'] + 1}",
        setup=_ledger_world,
    ),
    expect(
        "GET",
        "/api/v1/ledger/entries/{int:index}",
        cases=(
            Case(
                everyone(),
                "public entry",
                path=lambda w, p: f"/api/v1/ledger/entries/{w.extra['ledger_public']}",
            ),
            Case(
                outcomes(guest=HIDDEN, default=HIDDEN, bidder=OK, centre_staff=OK, supervisor=OK, auditor=OK),
                "the bidder's entry",
                path=lambda w, p: f"/api/v1/ledger/entries/{w.extra['ledger_private']}",
            ),
        ),
        setup=_ledger_world,
    ),
    expect("GET", "/api/v1/ledger/witnesses", LEDGER_OVERSEERS),
    expect(
        "POST",
        "/api/v1/ledger/witnesses",
        outcomes(guest=DENY, default=DENY, supervisor=Allow((201,))),
        data=_new_witness_body,
    ),
    expect(
        "POST",
        "/api/v1/ledger/witnesses/{int:witness_id}/cosignatures",
        outcomes(guest=DENY, default=DENY, supervisor=Allow((201,))),
        path=lambda w, p: f"/api/v1/ledger/witnesses/{w.extra['witness'].pk}/cosignatures",
        data=_cosignature_body,
        setup=_ledger_world,
    ),
    expect("GET", "/ledger/", everyone()),
    # A live stream (server-sent events): open to everyone; its content is tested under uvicorn
    # in tests/test_streams_live.py.
    expect("GET", "/ledger/checkpoints/stream", everyone()),
    expect("GET", "/ledger/evidence/", LEDGER_OVERSEERS),
    expect(
        "GET",
        "/ledger/evidence/bundle/",
        LEDGER_OVERSEERS,
        path=lambda w, p: "/ledger/evidence/bundle/?subject=ledger:matrix:1",
        setup=_ledger_world,
    ),
)


# --- tender documents (written by the documents helper) -------------------------------------------


def _documents_world(world: World) -> None:
    """A published tender of the world's tenderer, agency and supervisor (built at the projects
    factories' fixed time, so the bid deadline has passed by now), its documents published, and
    the world's bidder holding a receipt for version 1."""
    from yingshang.trading.documents import services as documents
    from yingshang.trading.documents.tests.helpers import FILLED, OPEN
    from yingshang.trading.projects.tests.factories import START, Cast, at, published_tender

    cast = Cast(
        tenderer_org=world.organisation(Role.TENDERER.value),
        tenderer_user=world.user(Role.TENDERER.value),
        agency_org=world.organisation(Role.AGENCY.value),
        agency_user=world.user(Role.AGENCY.value),
        supervisor_org=world.organisation(Role.SUPERVISOR.value),
        supervisor_user=world.user(Role.SUPERVISOR.value),
        staff_user=world.user(Role.CENTRE_STAFF.value),
        auditor_user=world.user(Role.AUDITOR.value),
        bidder_user=world.user(Role.BIDDER.value),
        other_tenderer_user=world.user(Role.ENTERPRISE.value),
        other_supervisor_user=world.user(Role.DEPARTMENT.value),
    )
    with at(START) as fixed:
        tender = published_tender(cast)
        document = documents.create_documents(
            principal=cast.agency, tender_id=tender.pk, template_code="works-construction"
        )
        documents.save_draft(
            principal=cast.agency, document_id=document.pk, values={**document.values, **FILLED}
        )
        documents.publish(principal=cast.agency, document_id=document.pk)
        fixed.set(OPEN)
        receipt = documents.download(principal=cast.p("bidder"), tender_id=tender.pk)
    world.extra["tender_id"] = tender.pk
    world.extra["receipt"] = receipt.number


def _docs_path(template: str) -> PathBuilder:
    return lambda w, p: template.format(t=w.extra["tender_id"], r=w.extra.get("receipt", ""))


MANAGERS_ONLY = outcomes(guest=DENY, default=DENY, tenderer=OK, agency=OK)
DOCUMENT_INSIDERS = outcomes(
    guest=DENY, default=DENY, tenderer=OK, agency=OK, centre_staff=OK, supervisor=OK, auditor=OK
)
RECEIPT_OWNER = outcomes(guest=DENY, default=HIDDEN, bidder=OK)
_D = "/api/v1/trading/documents"
_P = "/trading/documents"


def _docs(method: str, route: str, table: Mapping[str, Outcome], path: str, **more: Any) -> Expect:
    return expect(method, route, table, path=_docs_path(path), setup=_documents_world, **more)


TENDER_DOCUMENTS: tuple[Expect, ...] = (
    expect("GET", f"{_D}/templates", everyone()),
    expect(
        "GET",
        f"{_D}/templates/{{code}}/versions/{{int:version}}",
        everyone(),
        path=lambda w, p: f"{_D}/templates/works-construction/versions/1",
    ),
    _docs("GET", f"{_D}/tenders/{{int:tender_id}}", everyone(), f"{_D}/tenders/{{t}}"),
    # Documents exist already: the managers reach the conflict (409), nothing is written.
    _docs(
        "POST",
        f"{_D}/tenders/{{int:tender_id}}",
        outcomes(guest=DENY, default=DENY, tenderer=Allow((409,)), agency=Allow((409,))),
        f"{_D}/tenders/{{t}}",
        data=lambda w, p: {"template_code": "works-construction"},
    ),
    _docs(
        "PUT",
        f"{_D}/tenders/{{int:tender_id}}/draft",
        MANAGERS_ONLY,
        f"{_D}/tenders/{{t}}/draft",
        data=lambda w, p: {"values": {"contact_person": "矩阵"}},
    ),
    _docs(
        "POST",
        f"{_D}/tenders/{{int:tender_id}}/publish",
        outcomes(guest=DENY, default=DENY, tenderer=Allow((409,)), agency=Allow((409,))),
        f"{_D}/tenders/{{t}}/publish",
        data=lambda w, p: {},
    ),
    # The bid deadline has passed: the managers reach the rule (422), nothing is written.
    _docs(
        "POST",
        f"{_D}/tenders/{{int:tender_id}}/revisions",
        outcomes(guest=DENY, default=DENY, tenderer=Allow((422,)), agency=Allow((422,))),
        f"{_D}/tenders/{{t}}/revisions",
        data=lambda w, p: {"reason": "矩阵"},
    ),
    _docs(
        "GET",
        f"{_D}/tenders/{{int:tender_id}}/versions/{{int:number}}/pdf",
        DOCUMENT_INSIDERS,
        f"{_D}/tenders/{{t}}/versions/1/pdf",
    ),
    # The bidder already holds version 1: it gets its receipt again (201); nobody else may.
    _docs(
        "POST",
        f"{_D}/tenders/{{int:tender_id}}/versions/{{int:number}}/download",
        outcomes(guest=DENY, default=DENY, bidder=Allow((201,))),
        f"{_D}/tenders/{{t}}/versions/1/download",
    ),
    _docs("GET", f"{_D}/receipts", signed_in(), f"{_D}/receipts"),
    # Anyone may check a receipt shown to them (nothing is stored).
    expect(
        "POST",
        f"{_D}/receipts/check",
        everyone(),
        data=lambda w, p: {
            "receipt": {"type": "yingshang-download-receipt/1"},
            "signature": {"signature": ""},
        },
    ),
    _docs("GET", f"{_D}/receipts/{{number}}", RECEIPT_OWNER, f"{_D}/receipts/{{r}}"),
    _docs("GET", f"{_D}/receipts/{{number}}/content", RECEIPT_OWNER, f"{_D}/receipts/{{r}}/content"),
    _docs("GET", f"{_D}/tenders/{{int:tender_id}}/questions", everyone(), f"{_D}/tenders/{{t}}/questions"),
    # The question deadline has passed: the bidder reaches the rule (422).
    _docs(
        "POST",
        f"{_D}/tenders/{{int:tender_id}}/questions",
        outcomes(guest=DENY, default=DENY, bidder=Allow((422,))),
        f"{_D}/tenders/{{t}}/questions",
        data=lambda w, p: {"text": "矩阵问题"},
    ),
    # Who downloaded: oversight only, after the bid deadline; never the tenderer or agency.
    _docs(
        "GET",
        f"{_D}/tenders/{{int:tender_id}}/downloads",
        outcomes(guest=DENY, default=DENY, centre_staff=OK, supervisor=OK, auditor=OK),
        f"{_D}/tenders/{{t}}/downloads",
    ),
    expect("GET", f"{_P}/", everyone()),
    expect(
        "GET",
        f"{_P}/templates/<slug:code>/v<int:version>/",
        everyone(),
        path=lambda w, p: f"{_P}/templates/works-construction/v1/",
    ),
    _docs("GET", f"{_P}/tenders/<int:tender_id>/", everyone(), f"{_P}/tenders/{{t}}/"),
    _docs("GET", f"{_P}/tenders/<int:tender_id>/edit/", MANAGERS_ONLY, f"{_P}/tenders/{{t}}/edit/"),
    _docs(
        "POST",
        f"{_P}/tenders/<int:tender_id>/edit/",
        outcomes(guest=DENY, default=DENY, tenderer=Allow((302,)), agency=Allow((302,))),
        f"{_P}/tenders/{{t}}/edit/",
        data=lambda w, p: {"f_contact_person": "矩阵", "action": "save"},
    ),
    _docs("GET", f"{_P}/tenders/<int:tender_id>/revise/", MANAGERS_ONLY, f"{_P}/tenders/{{t}}/revise/"),
    _docs(
        "POST",
        f"{_P}/tenders/<int:tender_id>/revise/",
        outcomes(guest=DENY, default=DENY, tenderer=Allow((400,)), agency=Allow((400,))),
        f"{_P}/tenders/{{t}}/revise/",
        data=lambda w, p: {"reason": ""},
    ),
    _docs("GET", f"{_P}/tenders/<int:tender_id>/questions/", everyone(), f"{_P}/tenders/{{t}}/questions/"),
    _docs(
        "POST",
        f"{_P}/tenders/<int:tender_id>/questions/",
        outcomes(guest=DENY, default=DENY, bidder=Allow((422,))),
        f"{_P}/tenders/{{t}}/questions/",
        data=lambda w, p: {"text": "矩阵问题"},
    ),
    _docs(
        "POST",
        f"{_P}/tenders/<int:tender_id>/versions/<int:number>/download/",
        outcomes(guest=DENY, default=DENY, bidder=Allow((302,))),
        f"{_P}/tenders/{{t}}/versions/1/download/",
    ),
    _docs(
        "GET",
        f"{_P}/tenders/<int:tender_id>/versions/<int:number>/pdf/",
        DOCUMENT_INSIDERS,
        f"{_P}/tenders/{{t}}/versions/1/pdf/",
    ),
    # Anyone may check a receipt shown to them on a page too (nothing is stored).
    expect("GET", f"{_P}/receipts/check/", everyone()),
    expect(
        "POST",
        f"{_P}/receipts/check/",
        everyone(),
        data=lambda w, p: {"receipt": '{"receipt": {"type": "x"}, "signature": {"signature": ""}}'},
    ),
    _docs("GET", f"{_P}/receipts/<slug:number>/", RECEIPT_OWNER, f"{_P}/receipts/{{r}}/"),
    _docs("GET", f"{_P}/receipts/<slug:number>/pdf/", RECEIPT_OWNER, f"{_P}/receipts/{{r}}/pdf/"),
    _docs("GET", f"{_P}/receipts/<slug:number>/json/", RECEIPT_OWNER, f"{_P}/receipts/{{r}}/json/"),
)


# --- trading: projects (written by the projects helper) ---------------------------------------------


def _projects_world(world: World) -> None:
    """The world's agency registers two projects for the world's tenderer, supervised by the
    world's supervisor: one accepted with a published tender (``project``, ``tender``), one still
    submitted (``submitted``)."""
    from yingshang.identity.facade import principal_for_user
    from yingshang.trading.projects import services as projects
    from yingshang.trading.projects.contracts import LotInput
    from yingshang.trading.projects.testing import tender_open_now

    agency = principal_for_user(world.user(Role.AGENCY.value))
    kwargs: dict[str, Any] = {
        "name": "金城市矩阵测试工程",
        "resource_kind": "construction",
        "tenderer_id": world.organisation(Role.TENDERER.value).pk,
        "supervisor_id": world.organisation(Role.SUPERVISOR.value).pk,
        "lots": [LotInput(name="第1标段", estimated_price_fen=100_000_000, deposit_fen=2_000_000)],
    }
    tender = tender_open_now(
        name="金城市矩阵测试工程",
        tenderer_id=kwargs["tenderer_id"],
        supervisor_id=kwargs["supervisor_id"],
        agency_user=world.user(Role.AGENCY.value),
        staff_user=world.user(Role.CENTRE_STAFF.value),
    )
    project = tender.project
    world.extra["project"] = project
    world.extra["tender"] = tender
    world.extra["submitted"] = projects.submit_intake(principal=agency, **kwargs)


def _project_path(template: str, key: str = "project") -> PathBuilder:
    return lambda w, p: template.format(id=w.extra[key].pk)


def _tender_path(template: str) -> PathBuilder:
    return lambda w, p: template.format(id=w.extra["tender"].pk)


#: Who sees a project of the world: its tenderer and agency, its competent supervisor, centre
#: staff and auditors; everyone else gets 404 (its existence is not revealed).
PROJECT_VIEWERS = outcomes(
    guest=DENY, default=HIDDEN, tenderer=OK, agency=OK, supervisor=OK, centre_staff=OK, auditor=OK
)


def _project_command(
    owners: Outcome, *, staff: Outcome = DENY, supervisor: Outcome = DENY
) -> dict[str, Outcome]:
    """A write on the world's project: owners get ``owners``; the other viewers are denied
    unless given; the rest do not see it."""
    return outcomes(
        guest=DENY,
        default=HIDDEN,
        tenderer=owners,
        agency=owners,
        centre_staff=staff,
        supervisor=supervisor,
        auditor=DENY,
    )


def _intake_body(world: World, principal: str) -> dict[str, Any]:
    """Valid JSON, but the deposit is over 2 % (T15): refused (400) after the permission check."""
    return {
        "name": "矩阵测试工程",
        "resource_kind": "construction",
        "tenderer_id": world.organisation(Role.TENDERER.value).pk,
        "supervisor_id": world.organisation(Role.SUPERVISOR.value).pk,
        "lots": [{"name": "第1标段", "estimated_price_fen": 100_000_000, "deposit_fen": 2_000_001}],
    }


def _tender_version(world: World, principal: str) -> dict[str, Any]:
    return {"version": world.extra["tender"].version}


PROJECTS: tuple[Expect, ...] = (
    # public notices
    expect("GET", "/trading/notices/", everyone()),
    expect(
        "GET",
        "/trading/notices/<int:tender_id>/",
        everyone(),
        path=_tender_path("/trading/notices/{id}/"),
        setup=_projects_world,
    ),
    expect(
        "GET",
        "/trading/notices/<int:tender_id>/v<int:version>.pdf",
        everyone(),
        path=_tender_path("/trading/notices/{id}/v1.pdf"),
        setup=_projects_world,
    ),
    expect(
        "GET",
        "/api/v1/trading/notices/{tender_id}/versions/{version}/pdf",
        everyone(),
        path=_tender_path("/api/v1/trading/notices/{id}/versions/1/pdf"),
        setup=_projects_world,
    ),
    expect("GET", "/api/v1/trading/reference", everyone()),
    expect("GET", "/api/v1/trading/notices", everyone()),
    expect(
        "GET",
        "/api/v1/trading/notices/{tender_id}",
        everyone(),
        path=_tender_path("/api/v1/trading/notices/{id}"),
        setup=_projects_world,
    ),
    # pages
    expect("GET", "/trading/projects/", signed_in()),
    expect("GET", "/trading/projects/new/", outcomes(guest=DENY, default=DENY, tenderer=OK, agency=OK)),
    expect(
        "POST",
        "/trading/projects/new/",
        outcomes(guest=DENY, default=DENY, tenderer=Allow((400,)), agency=Allow((400,))),
    ),
    expect(
        "GET",
        "/trading/projects/<int:project_id>/",
        PROJECT_VIEWERS,
        path=_project_path("/trading/projects/{id}/"),
        setup=_projects_world,
    ),
    expect(
        "POST",
        "/trading/projects/<int:project_id>/review/",
        _project_command(DENY, staff=Allow((302,))),
        path=_project_path("/trading/projects/{id}/review/", "submitted"),
        data=lambda w, p: {"decision": "accept", "version": w.extra["submitted"].version},
        setup=_projects_world,
    ),
    expect(
        "POST",
        "/trading/projects/<int:project_id>/tenders/",
        _project_command(Allow((400,))),
        path=_project_path("/trading/projects/{id}/tenders/"),
        setup=_projects_world,
    ),
    expect(
        "GET",
        "/trading/tenders/<int:tender_id>/",
        PROJECT_VIEWERS,
        path=_tender_path("/trading/tenders/{id}/"),
        setup=_projects_world,
    ),
    *(
        expect(
            "POST",
            f"/trading/tenders/<int:tender_id>/{command}/",
            table,
            path=_tender_path(f"/trading/tenders/{{id}}/{command}/"),
            setup=_projects_world,
        )
        for command, table in (
            ("timeline", _project_command(Allow((400,)))),
            ("publish", _project_command(Allow((400,)))),
            ("amend", _project_command(Allow((400,)))),
            ("suspend", _project_command(Allow((400,)), staff=Allow((400,)), supervisor=Allow((400,)))),
            ("resume", _project_command(Allow((400,)), staff=Allow((400,)), supervisor=Allow((400,)))),
            ("cancel", _project_command(Allow((400,)))),
            ("retender", _project_command(Allow((400,)))),
            # the statutory check before saving: writes nothing (an empty form: its errors, 200)
            ("timeline/check", _project_command(OK)),
        )
    ),
    # API: projects
    expect("GET", "/api/v1/trading/projects", signed_in()),
    expect(
        "POST",
        "/api/v1/trading/projects",
        outcomes(guest=DENY, default=DENY, tenderer=Allow((400,)), agency=Allow((400,))),
        data=_intake_body,
    ),
    expect(
        "GET",
        "/api/v1/trading/projects/{project_id}",
        PROJECT_VIEWERS,
        path=_project_path("/api/v1/trading/projects/{id}"),
        setup=_projects_world,
    ),
    expect(
        "PUT",
        "/api/v1/trading/projects/{project_id}",
        _project_command(Allow((409,))),
        path=_project_path("/api/v1/trading/projects/{id}"),
        data=lambda w, p: {**_intake_body(w, p), "version": w.extra["project"].version},
        setup=_projects_world,
    ),
    expect(
        "POST",
        "/api/v1/trading/projects/{project_id}/accept",
        _project_command(DENY, staff=Allow((409,))),
        path=_project_path("/api/v1/trading/projects/{id}/accept"),
        data=lambda w, p: {},
        setup=_projects_world,
    ),
    expect(
        "POST",
        "/api/v1/trading/projects/{project_id}/return",
        _project_command(DENY, staff=Allow((409,))),
        path=_project_path("/api/v1/trading/projects/{id}/return"),
        data=lambda w, p: {"reason": "材料不全"},
        setup=_projects_world,
    ),
    expect(
        "GET",
        "/api/v1/trading/projects/{project_id}/history",
        PROJECT_VIEWERS,
        path=_project_path("/api/v1/trading/projects/{id}/history"),
        setup=_projects_world,
    ),
    expect(
        "POST",
        "/api/v1/trading/projects/{project_id}/tenders",
        _project_command(Allow((409,))),
        path=_project_path("/api/v1/trading/projects/{id}/tenders"),
        data=lambda w, p: {"method": "open"},
        setup=_projects_world,
    ),
    # API: tenders
    *(
        expect(
            "GET",
            f"/api/v1/trading/tenders/{{tender_id}}{suffix}",
            PROJECT_VIEWERS,
            path=_tender_path(f"/api/v1/trading/tenders/{{id}}{suffix}"),
            setup=_projects_world,
        )
        for suffix in ("", "/notices", "/check")
    ),
    expect(
        "PUT",
        "/api/v1/trading/tenders/{tender_id}/timeline",
        _project_command(Allow((409,))),
        path=_tender_path("/api/v1/trading/tenders/{id}/timeline"),
        data=_tender_version,
        setup=_projects_world,
    ),
    expect(
        "POST",
        "/api/v1/trading/tenders/{tender_id}/publish",
        _project_command(Allow((409,))),
        path=_tender_path("/api/v1/trading/tenders/{id}/publish"),
        data=lambda w, p: {**_tender_version(w, p), "title": "公告", "body": "本项目现进行公开招标。"},
        setup=_projects_world,
    ),
    expect(
        "POST",
        "/api/v1/trading/tenders/{tender_id}/amend",
        _project_command(Allow((400,))),
        path=_tender_path("/api/v1/trading/tenders/{id}/amend"),
        data=lambda w, p: {**_tender_version(w, p), "reason": "", "body": ""},
        setup=_projects_world,
    ),
    expect(
        "POST",
        "/api/v1/trading/tenders/{tender_id}/suspend",
        _project_command(Allow((400,)), staff=Allow((400,)), supervisor=Allow((400,))),
        path=_tender_path("/api/v1/trading/tenders/{id}/suspend"),
        data=lambda w, p: {"reason": ""},
        setup=_projects_world,
    ),
    expect(
        "POST",
        "/api/v1/trading/tenders/{tender_id}/resume",
        _project_command(Allow((409,)), staff=Allow((409,)), supervisor=Allow((409,))),
        path=_tender_path("/api/v1/trading/tenders/{id}/resume"),
        data=lambda w, p: {},
        setup=_projects_world,
    ),
    expect(
        "POST",
        "/api/v1/trading/tenders/{tender_id}/cancel",
        _project_command(Allow((400,))),
        path=_tender_path("/api/v1/trading/tenders/{id}/cancel"),
        data=lambda w, p: {"reason": ""},
        setup=_projects_world,
    ),
    expect(
        "POST",
        "/api/v1/trading/tenders/{tender_id}/retender",
        _project_command(Allow((409,))),
        path=_tender_path("/api/v1/trading/tenders/{id}/retender"),
        data=lambda w, p: {"bids_received": 2},
        setup=_projects_world,
    ),
)


def _bids_world(world: World) -> None:
    """An open tender (deadline in 60 days) of the world's agency, the world's bidder holding
    certificates of a trusted test CA and one submitted bid on it (``bid_id``, ``upload_id``)."""
    import hashlib
    import io

    from yingshang import envelope
    from yingshang.identity.facade import principal_for_user
    from yingshang.kernel import clock
    from yingshang.pki import Vendor
    from yingshang.trading.bids import services as bids
    from yingshang.trading.bids.tests.builders import trust

    _projects_world(world)
    tender = world.extra["tender"]
    lot_id = tender.lots.first().pk
    now = clock.now()
    vendor = Vendor.create("矩阵CA", now=now - timedelta(days=1))
    trust(vendor)
    organisation = world.organisation(Role.BIDDER.value)
    signing = vendor.issue_leaf(organisation.name, organisation.uscc, usage="signing", now=now)
    encryption = vendor.issue_leaf(organisation.name, organisation.uscc, usage="encryption", now=now)
    out = io.BytesIO()
    envelope.seal(
        io.BytesIO(b"matrix bid " * 100),
        out,
        tender=str(tender.pk),
        lot=str(lot_id),
        bidder=organisation.uscc,
        signer_key=signing.private_key,
        signer_chain=signing.chain,
        recipient_certificate=encryption.der,
    )
    data = out.getvalue()
    bidder = principal_for_user(world.user(Role.BIDDER.value))
    state = bids.start_upload(
        principal=bidder,
        tender_id=tender.pk,
        lot_id=lot_id,
        idempotency_key="matrix-upload-1",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    state = bids.receive_chunk(principal=bidder, upload_id=state.upload.public_id, offset=0, data=data)
    assert state.bid is not None
    world.extra["bid_id"] = state.bid.pk
    world.extra["upload_id"] = str(state.upload.public_id)
    world.extra["bid_lot_id"] = lot_id


def _bids_path(template: str) -> PathBuilder:
    return lambda w, p: template.format(
        bid=w.extra["bid_id"], upload=w.extra["upload_id"], tender=w.extra["tender"].pk
    )


_B = "/api/v1/trading/bids"
BIDDER_ONLY = outcomes(guest=DENY, default=DENY, bidder=OK)

BIDS: tuple[Expect, ...] = (
    # A new upload: the bidder starts one (201); every other role is refused before anything.
    expect(
        "POST",
        f"{_B}/uploads",
        outcomes(guest=DENY, default=DENY, bidder=Allow((201,))),
        data=lambda w, p: {
            "tender_id": w.extra["tender"].pk,
            "lot_id": w.extra["bid_lot_id"],
            "idempotency_key": f"matrix-{p}-new",
            "size": 10,
            "sha256": "0" * 64,
        },
        setup=_bids_world,
    ),
    expect(
        "GET",
        f"{_B}/uploads/{{upload_id}}",
        BIDDER_ONLY,
        path=_bids_path(f"{_B}/uploads/{{upload}}"),
        setup=_bids_world,
    ),
    # The upload is complete: sending a chunk again answers its state with the receipt.
    expect(
        "PUT",
        f"{_B}/uploads/{{upload_id}}/chunks/{{offset}}",
        outcomes(guest=DENY, default=DENY, bidder=Allow((201,))),
        path=_bids_path(f"{_B}/uploads/{{upload}}/chunks/0"),
        data=lambda w, p: {"x": 1},
        setup=_bids_world,
    ),
    # Lists answer every signed-in user with their own organisation's bids (none but the bidder's).
    expect("GET", f"{_B}/receipts", signed_in(), setup=_bids_world),
    expect(
        "GET",
        f"{_B}/status",
        signed_in(),
        path=_bids_path(f"{_B}/status?tender_id={{tender}}"),
        setup=_bids_world,
    ),
    expect("GET", f"{_B}/public-key", everyone()),
    expect(
        "GET",
        f"{_B}/tenders/{{tender_id}}/limit",
        everyone(),
        path=_bids_path(f"{_B}/tenders/{{tender}}/limit"),
        setup=_bids_world,
    ),
    # The tender's managers (tenderer, agency, centre staff) set it; the others are refused.
    expect(
        "PUT",
        f"{_B}/tenders/{{tender_id}}/limit",
        outcomes(guest=DENY, default=DENY, tenderer=OK, agency=OK, centre_staff=OK),
        path=_bids_path(f"{_B}/tenders/{{tender}}/limit"),
        data=lambda w, p: {"max_bytes": 64 * 1024 * 1024},
        setup=_bids_world,
    ),
    expect(
        "GET",
        f"{_B}/{{bid_id}}/receipt",
        outcomes(guest=DENY, default=HIDDEN, bidder=OK),
        path=_bids_path(f"{_B}/{{bid}}/receipt"),
        setup=_bids_world,
    ),
    # Pages: the bidder's own list, its receipts, withdrawal (a redirect back to the list).
    expect("GET", "/trading/bids/", BIDDER_ONLY, setup=_bids_world),
    expect(
        "GET",
        "/trading/bids/<int:bid_id>/receipt.json",
        outcomes(guest=DENY, default=HIDDEN, bidder=OK),
        path=_bids_path("/trading/bids/{bid}/receipt.json"),
        setup=_bids_world,
    ),
    expect(
        "POST",
        "/trading/bids/<int:bid_id>/withdraw/",
        outcomes(guest=DENY, default=DENY, bidder=Allow((302,))),
        path=_bids_path("/trading/bids/{bid}/withdraw/"),
        data=lambda w, p: {"reason": "matrix"},
        setup=_bids_world,
    ),
    expect(
        "POST",
        f"{_B}/{{bid_id}}/withdraw",
        BIDDER_ONLY,
        path=_bids_path(f"{_B}/{{bid}}/withdraw"),
        data=lambda w, p: {"reason": "matrix"},
        setup=_bids_world,
    ),
)


def _opening_world(world: World) -> None:
    """The bids world's tender opened (its session in sign-in, the world's bidder holding the one
    row; built directly, the deadline being weeks away) and one objection of the bidder."""
    from yingshang.kernel import clock
    from yingshang.trading.bids.models import Bid
    from yingshang.trading.opening.models import Objection, OpeningBid, OpeningSession

    _bids_world(world)
    tender = world.extra["tender"]
    now = clock.now()
    session = OpeningSession.objects.create(
        tender_id=tender.pk,
        lot_id=world.extra["bid_lot_id"],
        ocid=tender.ocid,
        status="signing_in",
        scheduled_at=now,
        opened_at=now,
        sign_in_until=now + timedelta(minutes=30),
        sign_in_minutes=30,
        decryption_minutes=30,
        bids_received=1,
    )
    organisation = world.organisation(Role.BIDDER.value)
    stored = Bid.objects.get(pk=world.extra["bid_id"])
    row = OpeningBid.objects.create(
        session=session,
        bid_id=stored.pk,
        organisation=organisation,
        bidder_uscc=stored.bidder_uscc,
        bidder_name=organisation.name,
        received_at=stored.received_at,
        document_id=stored.document_id,
        envelope_sha256=stored.envelope_sha256,
        ciphertext_sha256=stored.ciphertext_sha256,
        key_commitment=stored.key_commitment,
        certificate_fingerprint=stored.certificate_fingerprint,
        header=stored.header,
    )
    objection = Objection.objects.create(
        session=session,
        row=row,
        organisation=organisation,
        raised_by=world.user(Role.BIDDER.value),
        text="矩阵异议",
        raised_at=now,
    )
    world.extra["session_id"] = session.pk
    world.extra["objection_id"] = objection.pk


def _finished_opening_world(world: World) -> None:
    """The opening world's session finished (built directly, as ``_opening_world`` is): the
    bidder's row decrypted at 950,000.00 yuan with a stored decrypted package (a small zip)."""
    import io
    import zipfile
    from dataclasses import replace

    from yingshang.files import facade as files
    from yingshang.identity.facade import principal_for_user
    from yingshang.kernel import clock
    from yingshang.trading.opening import states
    from yingshang.trading.opening.messages import OPENED_BID_PURPOSE
    from yingshang.trading.opening.models import OpeningBid, OpeningSession

    _opening_world(world)
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("bid.txt", "矩阵投标文件")
    package.seek(0)
    bidder = principal_for_user(world.user(Role.BIDDER.value))
    stored = files.store_document(
        principal=replace(bidder, scopes=None),
        name="opened-bid-matrix.zip",
        stream=package,
        purpose=OPENED_BID_PURPOSE.code,
    )
    OpeningBid.objects.filter(session_id=world.extra["session_id"]).update(
        decryption=states.DECRYPTED, price_fen=95_000_000, package_document_id=stored.id
    )
    OpeningSession.objects.filter(pk=world.extra["session_id"]).update(
        status=states.FINISHED, finished_at=clock.now(), record_sha256="ab" * 32, coefficient="0.96"
    )


def _opening_path(template: str) -> PathBuilder:
    return lambda w, p: template.format(
        session=w.extra["session_id"],
        tender=w.extra["tender"].pk,
        lot=w.extra["bid_lot_id"],
        bid=w.extra["bid_id"],
        objection=w.extra["objection_id"],
    )


_O = "/api/v1/trading/opening"
_FOUND = Allow((302,))  # a hall form done: back to the hall


def _host(outcome: Outcome) -> dict[str, Outcome]:
    """A host's command on the world's opening: the tender's managers (tenderer, agency, centre
    staff) get ``outcome``; everyone else is refused."""
    return outcomes(guest=DENY, default=DENY, tenderer=outcome, agency=outcome, centre_staff=outcome)


def _host_post(route: str, template: str, outcome: Outcome, data: DataBuilder | None = None) -> Expect:
    return expect(
        "POST", route, _host(outcome), path=_opening_path(template), data=data, setup=_opening_world
    )


OPENING: tuple[Expect, ...] = (
    expect(
        "GET",
        f"{_O}/sessions/{{session_id}}",
        everyone(),
        path=_opening_path(f"{_O}/sessions/{{session}}"),
        setup=_opening_world,
    ),
    expect(
        "GET",
        f"{_O}/sessions/{{session_id}}/events",
        everyone(),
        path=_opening_path(f"{_O}/sessions/{{session}}/events"),
        setup=_opening_world,
    ),
    expect(
        "GET",
        f"{_O}/tenders/{{tender_id}}/sessions",
        everyone(),
        path=_opening_path(f"{_O}/tenders/{{tender}}/sessions"),
        setup=_opening_world,
    ),
    # The record's PDF exists once the opening has finished (the world's is signing in: 404).
    expect(
        "GET",
        f"{_O}/sessions/{{session_id}}/record.pdf",
        everyone(HIDDEN),
        path=_opening_path(f"{_O}/sessions/{{session}}/record.pdf"),
        setup=_opening_world,
    ),
    expect(
        "GET",
        "/trading/opening/<int:session_id>/stream",
        everyone(),
        path=_opening_path("/trading/opening/{session}/stream"),
        setup=_opening_world,
    ),
    # The hall's pages (open to everyone) and its forms: the API's table, a success redirecting
    # back to the hall (302) and a refusal rendering the hall with the message (400/409).
    expect("GET", "/trading/opening/", everyone()),
    expect(
        "GET",
        "/trading/opening/<int:session_id>/",
        everyone(),
        path=_opening_path("/trading/opening/{session}/"),
        setup=_opening_world,
    ),
    expect(
        "GET",
        "/trading/opening/<int:session_id>/live/",
        everyone(),
        path=_opening_path("/trading/opening/{session}/live/"),
        setup=_opening_world,
    ),
    *(
        expect(
            "POST",
            f"/trading/opening/<int:session_id>/{command}/",
            table,
            path=_opening_path(f"/trading/opening/{{session}}/{command}/"),
            data=data,
            setup=_opening_world,
        )
        for command, table, data in (
            (
                "sign-in",
                outcomes(
                    guest=DENY,
                    default=DENY,
                    tenderer=_FOUND,
                    agency=_FOUND,
                    centre_staff=_FOUND,
                    supervisor=_FOUND,
                    bidder=_FOUND,
                ),
                None,
            ),
            ("configure", _host(_FOUND), lambda w, p: {"decryption_minutes": "20"}),
            ("control-price", _host(_FOUND), lambda w, p: {"amount": "1,000,000.00"}),
            ("coefficient-draw", _host(_FOUND), lambda w, p: {"values": "0.95, 0.96, 0.97"}),
            # No draw committed in the world: whoever signed in is told so (409).
            ("coefficient-draw/contribution", outcomes(guest=DENY, default=Allow((409,))), None),
            ("coefficient-draw/result", outcomes(guest=DENY, default=Allow((409,))), None),
            ("decryption", _host(_FOUND), None),
            # Not decrypting yet: refused by the state, the hall shown with the message.
            ("close-window", _host(Allow((409,))), None),
            ("confirming", _host(Allow((409,))), None),
            ("finish", _host(Allow((409,))), None),
            ("pause", _host(_FOUND), lambda w, p: {"reason": "矩阵"}),
            ("resume", _host(Allow((409,))), lambda w, p: {"reason": "矩阵"}),
            # The bidder's own acts: the record is not put to the bidders yet (409); no key
            # file chosen (400).
            ("confirm", outcomes(guest=DENY, default=DENY, bidder=Allow((409,))), None),
            (
                "objections",
                outcomes(guest=DENY, default=DENY, bidder=_FOUND),
                lambda w, p: {"text": "矩阵异议"},
            ),
            ("key", outcomes(guest=DENY, default=DENY, bidder=Allow((400,))), None),
        )
    ),
    expect(
        "POST",
        "/trading/opening/<int:session_id>/objections/<int:objection_id>/answer/",
        _host(_FOUND),
        path=_opening_path("/trading/opening/{session}/objections/{objection}/answer/"),
        data=lambda w, p: {"text": "矩阵答复"},
        setup=_opening_world,
    ),
    _host_post(
        f"{_O}/tenders/{{tender_id}}/lots/{{lot_id}}/configure",
        f"{_O}/tenders/{{tender}}/lots/{{lot}}/configure",
        OK,
        lambda w, p: {"decryption_minutes": 20},
    ),
    # Participants sign in: the host (the tender's managers), its supervisor, its bidder.
    expect(
        "POST",
        f"{_O}/sessions/{{session_id}}/sign-in",
        outcomes(guest=DENY, default=DENY, tenderer=OK, agency=OK, centre_staff=OK, supervisor=OK, bidder=OK),
        path=_opening_path(f"{_O}/sessions/{{session}}/sign-in"),
        setup=_opening_world,
    ),
    _host_post(
        f"{_O}/sessions/{{session_id}}/control-price",
        f"{_O}/sessions/{{session}}/control-price",
        OK,
        lambda w, p: {"amount_fen": 100_000_000},
    ),
    _host_post(f"{_O}/sessions/{{session_id}}/decryption", f"{_O}/sessions/{{session}}/decryption", OK),
    _host_post(
        f"{_O}/sessions/{{session_id}}/coefficient-draw",
        f"{_O}/sessions/{{session}}/coefficient-draw",
        OK,
        lambda w, p: {"values": ["0.95", "0.96", "0.97"]},
    ),
    # No draw committed in the world: whoever may ask is told so (409); guests may ask for the result.
    expect(
        "POST",
        f"{_O}/sessions/{{session_id}}/coefficient-draw/contribution",
        outcomes(guest=DENY, default=Allow((409,))),
        path=_opening_path(f"{_O}/sessions/{{session}}/coefficient-draw/contribution"),
        data=lambda w, p: {"value": "矩阵"},
        setup=_opening_world,
    ),
    expect(
        "POST",
        f"{_O}/sessions/{{session_id}}/coefficient-draw/result",
        outcomes(guest=Allow((409,)), default=Allow((409,))),
        path=_opening_path(f"{_O}/sessions/{{session}}/coefficient-draw/result"),
        setup=_opening_world,
    ),
    # Not decrypting yet: the host's close and confirming calls are refused by the state.
    _host_post(
        f"{_O}/sessions/{{session_id}}/close-window", f"{_O}/sessions/{{session}}/close-window", Allow((409,))
    ),
    _host_post(
        f"{_O}/sessions/{{session_id}}/confirming", f"{_O}/sessions/{{session}}/confirming", Allow((409,))
    ),
    _host_post(f"{_O}/sessions/{{session_id}}/finish", f"{_O}/sessions/{{session}}/finish", Allow((409,))),
    _host_post(
        f"{_O}/sessions/{{session_id}}/pause",
        f"{_O}/sessions/{{session}}/pause",
        OK,
        lambda w, p: {"reason": "矩阵"},
    ),
    _host_post(
        f"{_O}/sessions/{{session_id}}/resume",
        f"{_O}/sessions/{{session}}/resume",
        Allow((409,)),
        lambda w, p: {"reason": "矩阵"},
    ),
    _host_post(
        f"{_O}/objections/{{objection_id}}/answer",
        f"{_O}/objections/{{objection}}/answer",
        OK,
        lambda w, p: {"text": "矩阵答复"},
    ),
    # The bidder's own acts (the confirmation waits for the record: 409).
    expect(
        "POST",
        f"{_O}/sessions/{{session_id}}/confirm",
        outcomes(guest=DENY, default=DENY, bidder=Allow((409,))),
        path=_opening_path(f"{_O}/sessions/{{session}}/confirm"),
        setup=_opening_world,
    ),
    expect(
        "POST",
        f"{_O}/sessions/{{session_id}}/objections",
        BIDDER_ONLY,
        path=_opening_path(f"{_O}/sessions/{{session}}/objections"),
        data=lambda w, p: {"text": "矩阵异议"},
        setup=_opening_world,
    ),
    # The key release (the path the bidder tool uses): decryption has not started yet.
    expect(
        "POST",
        f"{_B}/{{bid_id}}/content-key",
        outcomes(guest=DENY, default=DENY, bidder=Allow((409,))),
        path=_opening_path(f"{_B}/{{bid}}/content-key"),
        data=lambda w, p: {"content_key": "A" * 43 + "="},
        setup=_opening_world,
    ),
    # Custodians (centre staff, the competent supervisor): this bid has no backup (409).
    expect(
        "POST",
        f"{_O}/bids/{{bid_id}}/custodian-share",
        outcomes(guest=DENY, default=DENY, centre_staff=Allow((409,)), supervisor=Allow((409,))),
        path=_opening_path(f"{_O}/bids/{{bid}}/custodian-share"),
        data=lambda w, p: {"index": 1, "share": "A" * 43 + "="},
        setup=_opening_world,
    ),
)


def _draw_world(world: World) -> None:
    from yingshang.draws import facade as draws
    from yingshang.ledger.contracts import Actor, Subject, Visibility

    world.extra["draw"] = draws.prepare_draw(
        actor=Actor.system("matrix"),
        purpose="coefficient_draw",
        subject=Subject("trading", "tender", "1"),
        eligible=["0.95", "0.96", "0.97"],
        k=1,
        parameters={},
        visibility=Visibility.public(),
    ).public_id


DRAWS: tuple[Expect, ...] = (
    expect(
        "GET",
        "/api/v1/draws/{public_id}",
        everyone(),
        path=lambda w, p: f"/api/v1/draws/{w.extra['draw']}",
        setup=_draw_world,
    ),
)


from yingshang.trading.award.tests.matrix import expectations as award_expectations  # noqa: E402
from yingshang.trading.evaluation.tests.matrix import expectations as evaluation_expectations  # noqa: E402
from yingshang.trading.experts.tests.matrix import expectations as experts_expectations  # noqa: E402

EXPECTATIONS: tuple[Expect, ...] = (
    # --- web -------------------------------------------------------------------------------------
    expect("GET", "/", everyone()),
    expect("GET", "/dashboard/", signed_in()),
    # --- identity pages ---------------------------------------------------------------------------
    expect("GET", "/account/", signed_in()),
    expect("GET", "/account/sign-in/", outcomes(guest=OK, default=Allow((302,)))),  # signed in: onwards
    expect(
        "GET",
        "/account/sign-in/code/",
        everyone(NotApplicable("only reachable half-signed-in; otherwise back to sign-in (identity tests)")),
    ),
    expect("POST", "/account/sign-out/", everyone(Allow((302,)))),
    expect("GET", "/account/two-factor/", signed_in()),
    expect(
        "POST",
        "/account/two-factor/disable/",
        signed_in(Allow((400,))),
        data=lambda w, p: {"disable-code": "x"},
    ),
    expect(
        "POST",
        "/account/profile/",
        signed_in(Allow((302,))),
        data=lambda w, p: {"display_name": "Matrix", "phone": "", "preferred_language": "zh-hans"},
    ),
    expect("POST", "/account/organisation/", signed_in(Allow((302,))), data=_own_org_form),
    expect("POST", "/account/tokens/", signed_in(Allow((200,))), data=_token_form),
    expect("GET", "/account/certificate/qr/", everyone()),  # a fresh QR challenge for anyone
    expect(
        "GET",
        "/account/certificate/qr/<str:challenge_id>/status/",
        everyone(HIDDEN),  # only the browser that showed the QR code may take its sign-in
        path=lambda w, p: "/account/certificate/qr/unknown/status/",
    ),
    expect(
        "POST",
        "/account/tokens/<int:token_id>/revoke/",
        cases=(
            Case(
                signed_in(Allow((302,))),
                "own token",
                path=lambda w, p: f"/account/tokens/{w.token(p).pk}/revoke/",
            ),
            Case(
                signed_in(HIDDEN),
                "someone else's token",
                path=lambda w, p: f"/account/tokens/{w.someone_elses_token(p).pk}/revoke/",
            ),
        ),
    ),
    # --- identity API -------------------------------------------------------------------------------
    expect("GET", "/api/v1/identity/me", signed_in()),
    expect("GET", "/api/v1/identity/tokens", signed_in()),
    expect("POST", "/api/v1/identity/tokens", signed_in(Allow((201,))), data=_token_body),
    expect(
        "DELETE",
        "/api/v1/identity/tokens/{token_id}",
        cases=(
            Case(
                signed_in(Allow((204,))),
                "own token",
                path=lambda w, p: f"/api/v1/identity/tokens/{w.token(p).pk}",
            ),
            Case(
                signed_in(HIDDEN),
                "someone else's token",
                path=lambda w, p: f"/api/v1/identity/tokens/{w.someone_elses_token(p).pk}",
            ),
        ),
    ),
    expect("GET", "/api/v1/identity/organisations", signed_in()),
    expect(
        "GET",
        "/api/v1/identity/organisations/{uscc}",
        outcomes(guest=DENY, default=HIDDEN, bidder=OK, centre_staff=OK, supervisor=OK, auditor=OK),
        path=_target_org_path,
    ),
    # certificate sign-in: public (the signature is the credential); an unknown challenge is a 401
    expect("POST", "/api/v1/identity/certificate/challenge", everyone(Allow((201,)))),
    expect(
        "POST",
        "/api/v1/identity/certificate/token",
        everyone(DENY),
        data=lambda w, p: {"challenge_id": "unknown", **_UNKNOWN_CHALLENGE_ANSWER},
    ),
    expect(
        "POST",
        "/api/v1/identity/certificate/qr/{challenge_id}/sign",
        everyone(DENY),
        path=lambda w, p: "/api/v1/identity/certificate/qr/unknown/sign",
        data=lambda w, p: _UNKNOWN_CHALLENGE_ANSWER,
    ),
    # the trust store: centre staff only
    expect(
        "GET", "/api/v1/identity/certificate-authorities", outcomes(guest=DENY, default=DENY, centre_staff=OK)
    ),
    expect(
        "POST",
        "/api/v1/identity/certificate-authorities",
        outcomes(guest=DENY, default=DENY, centre_staff=Allow((201,))),
        data=_new_ca_body,
    ),
    expect(
        "POST",
        "/api/v1/identity/certificate-authorities/{authority_id}/retire",
        outcomes(guest=DENY, default=DENY, centre_staff=OK),
        path=lambda w, p: f"/api/v1/identity/certificate-authorities/{w.extra['authorities'][0].pk}/retire",
        data=lambda w, p: {"reason": "matrix"},
        setup=_trust_store,
    ),
    expect("GET", "/api/v1/identity/revocation-lists", outcomes(guest=DENY, default=DENY, centre_staff=OK)),
    expect(
        "POST",
        "/api/v1/identity/revocation-lists",
        outcomes(guest=DENY, default=DENY, centre_staff=Allow((201,))),
        data=_crl_body,
        setup=_trust_store,
    ),
    # --- API documents ---------------------------------------------------------------------------------
    expect("GET", "/api/v1/openapi.json", everyone()),
    expect("GET", "/api/v1/docs", everyone()),
    # --- ops and kernel -------------------------------------------------------------------------------
    expect("GET", "/healthz", everyone()),
    expect("GET", "/keys/document-signing-ca.pem", everyone(), setup=lambda w: _document_signer()),
    expect("GET", "/keys/document-signing.pem", everyone(), setup=lambda w: _document_signer()),
    expect("GET", "/api/v1/system/health", everyone()),
    expect(
        "GET",
        "/api/v1/kernel/uscc/{code}",
        everyone(),
        path=lambda w, p: "/api/v1/kernel/uscc/91350100M000100Y43",
    ),
    expect("GET", "/api/v1/", everyone(NotApplicable("ninja's root URL: no page (404)"))),
    *FILES_AND_NOTIFICATIONS,
    *LEDGER,
    *DRAWS,
    *PROJECTS,
    *TENDER_DOCUMENTS,
    *BIDS,
    *OPENING,
    *experts_expectations(),
    *evaluation_expectations(),
    *award_expectations(),
)

#: Routes the matrix does not try, each with the reason.
SKIPPED_PREFIXES: dict[str, str] = {
    "/admin/": "Django admin: superusers only, guarded by the admin site itself (is_staff); read-mostly",
    "/i18n/": "Django's language switch: public, changes only the language cookie",
}


# --- enumeration ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str  # "/account/tokens/<int:token_id>/revoke/" or "/api/v1/identity/tokens/{token_id}"
    name: str
    method: str | None  # API operations: their method; pages: None (the expectations name methods)

    @property
    def key(self) -> str:
        return f"{self.method} {self.route}" if self.method else self.route


def api_operations() -> list[Route]:
    """Every operation of ``config.api.api``, from its routers (not the OpenAPI document, so
    operations hidden from the schema are included)."""
    from config.api import api

    found = []
    for bound in api._get_bound_routers():  # the routers as mounted, nested ones included
        for path, path_view in bound.path_operations.items():
            route = API_ROOT.rstrip("/") + normalize_path(
                "/" + "/".join(p for p in (bound.prefix, path) if p)
            )
            for operation in path_view.operations:
                for method in operation.methods:
                    found.append(Route(route=route, name=operation.view_func.__name__, method=method.upper()))
    return found


def _django_form(route: str) -> str:
    return replace_path_param_notation(route)


def page_routes() -> tuple[list[Route], list[tuple[str, str]]]:
    """Every URL pattern outside the API operations: ``(routes, [(skipped route, reason)])``."""
    api_routes = {_django_form(op.route) for op in api_operations()}
    routes: list[Route] = []
    skipped: list[tuple[str, str]] = []
    static = "/" + settings.STATIC_URL.lstrip("/")

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            reason = next((why for start, why in SKIPPED_PREFIXES.items() if route.startswith(start)), None)
            if reason is None and route.startswith(static):
                reason = "static files"
            if reason is not None:
                skipped.append((route, reason))
                continue
            if isinstance(pattern, URLResolver):
                ns = ":".join(n for n in (namespace, pattern.namespace or "") if n)
                walk(pattern.url_patterns, route, ns)
            elif isinstance(pattern, URLPattern):
                if route in api_routes:
                    continue  # an API operation: tried per method below
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else (pattern.name or "")
                routes.append(Route(route=route, name=name, method=None))

    walk(get_resolver().url_patterns, "/", "")
    return routes, skipped


def missing_and_stale() -> tuple[list[str], list[str]]:
    """Routes without an expectation, and expectations without a route."""
    pages, _skipped = page_routes()
    operations = api_operations()
    existing_api = {r.key for r in operations}
    existing_pages = {r.route for r in pages}
    declared = {e.key for e in EXPECTATIONS}
    declared_pages = {e.route for e in EXPECTATIONS if e.key not in existing_api}
    missing = [
        f"{r.route}  (page {r.name or 'unnamed'}: declare each method to try)"
        for r in pages
        if r.route not in declared_pages
    ]
    missing += [f"{r.key}  (API operation {r.name})" for r in operations if r.key not in declared]
    stale = [e.key for e in EXPECTATIONS if e.key not in existing_api and e.route not in existing_pages]
    return missing, stale


def sign_in_path() -> str:
    return reverse(settings.LOGIN_URL)
