"""The demo's finished opening: a whole session run through the services on the clock of the
tender's deadline (sign-in, control price, decryption with the bidders' own content keys, the
sheet, confirmations, an objection answered on the spot, the signed record). Idempotent.

Called through ``facade.ensure_demo_opening`` by ``yingshang.demo``; nothing here is used by the
platform itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from yingshang import envelope
from yingshang.files import facade as files
from yingshang.identity import facade as identity
from yingshang.kernel import clock
from yingshang.kernel.policy import Principal
from yingshang.trading.opening import services, states
from yingshang.trading.opening.models import OpeningBid, OpeningSession
from yingshang.trading.projects import facade as projects


def _principal(user_id: int, organisation_id: int | None = None) -> Principal:
    user = identity.get_user(user_id)
    assert user is not None
    return identity.principal_for_user(user, organisation_id=organisation_id)


def _key_for(row: OpeningBid, candidates: Sequence[bytes]) -> bytes | None:
    """The candidate content key that opens this row's envelope (checked against its signed
    commitment, so no wrong key is ever sent)."""
    with files.open_document(row.document_id) as stored:
        header = envelope.read_header(stored)  # type: ignore[arg-type]
    for key in candidates:
        try:
            envelope.check_content_key(header, key)
        except envelope.EnvelopeError:
            continue
        return key
    return None


def ensure_demo_opening(
    *,
    tender_id: int,
    host_user_id: int,
    supervisor_user_id: int,
    bidders: Mapping[int, tuple[int, Sequence[bytes]]],
    objection: tuple[int, str, str] | None = None,
) -> bool:
    """Run the tender's opening to its end, each step a few minutes after the bid deadline.

    ``bidders``: organisation id -> (user id, the content keys the bidder holds);
    ``objection``: (organisation id, the objection, the host's answer). Returns whether anything
    was done (False when the opening is already finished or the tender has no deadline yet)."""
    tender = projects.tender_summary(tender_id)
    deadline = tender.bid_deadline
    if deadline is None or clock.now() < deadline + timedelta(hours=1):
        return False
    if OpeningSession.objects.filter(tender_id=tender_id, status=states.FINISHED).exists():
        return False

    @contextmanager
    def at(minutes: int) -> Iterator[datetime]:
        moment = deadline + timedelta(minutes=minutes)
        with clock.use(clock.FixedClock(moment)):
            yield moment

    with at(0):
        services.open_tender(tender_id=tender_id)
    session = OpeningSession.objects.filter(tender_id=tender_id).order_by("lot_id").first()
    if session is None or session.status != states.SIGNING_IN:
        return False
    host = _principal(host_user_id)
    principals = {org: _principal(user, org) for org, (user, _keys) in bidders.items()}
    with at(1):
        services.sign_in(principal=host, session_id=session.pk)
    with at(2):
        services.sign_in(principal=_principal(supervisor_user_id), session_id=session.pk)
    rows = list(OpeningBid.objects.filter(session=session).order_by("received_at"))
    for minute, row in enumerate(rows, start=3):
        if row.organisation_id in principals:
            with at(minute):
                services.sign_in(principal=principals[row.organisation_id], session_id=session.pk)
    estimated = sum(lot.estimated_price_fen for lot in projects.project_summary(tender.project_id).lots)
    with at(10):
        services.publish_control_price(principal=host, session_id=session.pk, amount_fen=estimated)
    with at(12):
        services.start_decryption(principal=host, session_id=session.pk)
    for minute, row in enumerate(rows, start=14):
        _user, keys = bidders.get(row.organisation_id, (0, ()))
        key = _key_for(row, keys)
        if key is not None:
            with at(minute):
                services.release_key(
                    principal=principals[row.organisation_id], bid_id=row.bid_id, content_key=key
                )
    with at(30):
        services.close_window(session_id=session.pk, principal=host)
    with at(32):
        services.put_to_bidders(principal=host, session_id=session.pk)
    for minute, row in enumerate(
        OpeningBid.objects.filter(session=session, decryption="decrypted"), start=34
    ):
        if row.organisation_id in principals and (objection is None or objection[0] != row.organisation_id):
            with at(minute):
                services.confirm_row(principal=principals[row.organisation_id], session_id=session.pk)
    if objection is not None and objection[0] in principals:
        with at(40):
            raised = services.raise_objection(
                principal=principals[objection[0]], session_id=session.pk, text_=objection[1]
            )
        with at(43):
            services.answer_objection(principal=host, objection_id=raised.pk, text_=objection[2])
        with at(44):
            services.confirm_row(principal=principals[objection[0]], session_id=session.pk)
    with at(50):
        services.finish(principal=host, session_id=session.pk)
    return True
