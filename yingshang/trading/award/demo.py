"""Demo awards (idempotent): lots in publicity and lots awarded, through the real services.

Steps of an awarded lot happen at the times the law allows, each under a fixed domain clock:
publicity from one hour after the report was received, the award ``awarded_after`` (one
hour by default) after the shortest publicity has ended. A step whose time is still in the
future is not taken (the lot stays in publicity): the demo's evaluation must have finished
about a week before for an awarded lot.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta

from pypdf import PdfWriter

from yingshang.files import facade as files
from yingshang.identity import facade as identity
from yingshang.kernel import clock
from yingshang.kernel.statutory import SHANGHAI
from yingshang.ledger.contracts import Actor
from yingshang.trading.award import messages, rules, services, states
from yingshang.trading.award.models import Award, Contract, SupervisorReport

DEMO_ACTOR = Actor.system("demo")


def ensure_demo_awards(
    *,
    agency_user_id: int,
    publicity: Sequence[tuple[int, int]] = (),
    awarded: Sequence[tuple[int, int]] = (),
    publicity_until: date | None = None,
    objection: tuple[int, int, str, str] | None = None,
    contract: bool = False,
    awarded_after: timedelta = timedelta(hours=1),
) -> list[int]:
    """Award ids of the given (tender_id, lot_id) lots: ``publicity`` ones published now (if not
    yet), ``awarded`` ones published and awarded to the first-ranked candidate at lawful past
    times. The agency user acts for the tenderer. Running it again changes nothing.

    ``publicity_until``: the ``publicity`` lots are published one hour after their report
    arrived (not now) and stay in publicity until that day (Beijing time) ends; ``objection``
    (bidder user id, its organisation id, the objection, the answer): raised a day into each
    such publicity and answered three hours later. ``contract``: the ``awarded`` lots also get
    the contract registered twelve days after the award and the report to the supervisor a day
    later (steps still in the future are not taken). ``awarded_after``: the award's delay after
    the publicity's end (24:00 Beijing time of its last day)."""
    principal = identity.principal_for_user(identity.get_user(agency_user_id))
    ids = []
    for tender_id, lot_id in publicity:
        award = services.ensure_award(tender_id, lot_id)
        if award.status == states.RECEIVED and rules.has_publicity(award.regime):
            if publicity_until is None:
                award = services.open_publicity(principal=principal, award_id=award.pk)
            else:
                with clock.use(clock.FixedClock(award.received_at + timedelta(hours=1))):
                    award = services.open_publicity(
                        principal=principal, award_id=award.pk, ends_on=publicity_until
                    )
        if objection is not None and publicity_until is not None:
            _object(principal, award, objection)
        ids.append(award.pk)
    for tender_id, lot_id in awarded:
        award = services.ensure_award(tender_id, lot_id)
        award = _award(principal, award, awarded_after)
        if contract:
            _contract_and_report(principal, award)
        ids.append(award.pk)
    return ids


def _object(principal: identity.Principal, award: Award, objection: tuple[int, int, str, str]) -> None:
    user_id, organisation_id, text_, answer = objection
    if award.publicity_starts_at is None or award.objections.exists():
        return
    raised_at = award.publicity_starts_at + timedelta(days=1)
    if raised_at + timedelta(hours=3) > clock.now():
        return
    bidder = identity.principal_for_user(identity.get_user(user_id), organisation_id=organisation_id)
    with clock.use(clock.FixedClock(raised_at)):
        raised = services.raise_objection(principal=bidder, award_id=award.pk, text_=text_)
    with clock.use(clock.FixedClock(raised_at + timedelta(hours=3))):
        services.answer_objection(principal=principal, objection_id=raised.pk, text_=answer)


def _pdf(title: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _contract_and_report(principal: identity.Principal, award: Award) -> None:
    if award.awarded_at is None or award.winner_rank is None:
        return
    now = clock.now()
    signed_at = award.awarded_at + timedelta(days=12)
    if signed_at <= now and not Contract.objects.filter(award=award).exists():
        winner = award.candidates.get(rank=award.winner_rank)
        with clock.use(clock.FixedClock(signed_at)):
            document = files.store_document(
                principal=principal,
                name="施工合同.pdf",
                stream=io.BytesIO(_pdf(f"{award.title} 施工合同")),
                purpose=messages.CONTRACT_PURPOSE.code,
            )
            services.register_contract(
                principal=principal,
                award_id=award.pk,
                signed_on=signed_at.astimezone(SHANGHAI).date(),
                price_fen=winner.price_fen,
                document_id=document.id,
            )
    reported_at = award.awarded_at + timedelta(days=13)
    if reported_at <= now and not SupervisorReport.objects.filter(award=award).exists():
        with clock.use(clock.FixedClock(reported_at)):
            services.report_to_supervisor(
                principal=principal,
                award_id=award.pk,
                text_=(
                    "本项目招标投标情况书面报告：依法公开招标，开标、评标、中标候选人公示及定标均按"
                    "规定程序进行，公示期间收到的异议已按期答复；中标通知书已发出，合同已签订。"
                ),
            )


def _award(principal: identity.Principal, award: Award, awarded_after: timedelta) -> Award:
    now = clock.now()
    if award.status == states.RECEIVED and rules.has_publicity(award.regime):
        at = award.received_at + timedelta(hours=1)
        if at > now:
            return award
        with clock.use(clock.FixedClock(at)):
            award = services.open_publicity(principal=principal, award_id=award.pk)
    if award.status == states.PUBLICITY:
        assert award.publicity_ends_at is not None
        if award.publicity_ends_at > now:
            return award
        services.end_due_publicity(award.publicity_ends_at, award_id=award.pk)
        award.refresh_from_db()
    if award.status in (states.PUBLICITY_ENDED, states.RECEIVED):
        # the morning after the publicity's last day (10:00 Beijing time), or an hour after the report
        at = (award.publicity_ends_at or award.received_at) + awarded_after
        if at > now:
            return award
        with clock.use(clock.FixedClock(at)):
            award = services.decide_award(principal=principal, award_id=award.pk, rank=1)
    return award
