"""The experts context's only door for other contexts (documented in docs/contexts/experts.md).

Committees are handed out with expert codes only; names only through :func:`named_committee`
once :func:`publish_identities` has run (T9.secret).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from yingshang.kernel.errors import Conflict
from yingshang.kernel.text import Text
from yingshang.ledger.contracts import Actor
from yingshang.trading.experts import selectors, services, states
from yingshang.trading.experts.contracts import Committee, CommitteeMember, NamedMember
from yingshang.trading.experts.models import Need, Seat

__all__ = [
    "Committee",
    "CommitteeMember",
    "NamedMember",
    "assignments_of",
    "committee",
    "ensure_demo_committee",
    "ensure_demo_pool",
    "member_code",
    "named_committee",
    "publish_identities",
]


def _committee(need: Need) -> Committee:
    rows = list(need.rows.all())
    seats = list(
        Seat.objects.filter(need=need, status=states.CONFIRMED).select_related("row").order_by("order")
    )
    experts = sum(r.count for r in rows)
    confirmed_experts = sum(1 for s in seats if s.kind == states.EXPERT)
    confirmed_reps = sum(1 for s in seats if s.kind == states.REPRESENTATIVE)
    complete = confirmed_experts >= experts and confirmed_reps >= need.representatives
    return Committee(
        tender_id=need.tender_id,
        lot_id=need.lot_id,
        regime=need.regime,
        status=states.COMPLETE if complete else states.DRAWING,
        size=experts + need.representatives,
        members=tuple(
            CommitteeMember(
                code=s.code,
                kind=s.kind,
                user_id=s.user_id,
                specialty=s.row.specialty if s.row is not None else "",
                remote=bool(s.row is not None and s.row.remote),
                confirmed_at=s.responded_at,
            )
            for s in seats
        ),
    )


def committee(tender_id: int, lot_id: int) -> Committee:
    """The lot's committee (confirmed members, codes only); NotFound(code="no_committee")."""
    return _committee(services._need(tender_id, lot_id))


def member_code(user_id: int, tender_id: int, lot_id: int) -> str | None:
    """The user's confirmed seat code on the lot's committee, or None."""
    seat = Seat.objects.filter(
        user_id=user_id, need__tender_id=tender_id, need__lot_id=lot_id, status=states.CONFIRMED
    ).first()
    return seat.code if seat else None


def assignments_of(user_id: int) -> tuple[tuple[int, int, str], ...]:
    """(tender_id, lot_id, code) of the user's confirmed seats."""
    return tuple(
        (s.need.tender_id, s.need.lot_id, s.code) for s in selectors.confirmed_seats_of_user(user_id)
    )


def _named(need: Need) -> tuple[NamedMember, ...]:
    return tuple(
        NamedMember(
            code=seat.code,
            name=name,
            employer_name=employer,
            specialty=seat.row.specialty if seat.row is not None else "",
        )
        for seat, name, employer in services.named_rows(need)
    )


def publish_identities(*, actor: Actor, tender_id: int, lot_id: int) -> tuple[NamedMember, ...]:
    """Publish the members' names once the award result is fixed; idempotent; ledger entry."""
    return _named(services.publish_identities(actor=actor, tender_id=tender_id, lot_id=lot_id))


def named_committee(tender_id: int, lot_id: int) -> tuple[NamedMember, ...]:
    """The members with names; Conflict(code="identities_secret") before publication."""
    need = services._need(tender_id, lot_id)
    if need.identities_published_at is None:
        raise Conflict(
            Text(
                zh="评标委员会成员名单在中标结果确定前保密。",
                en="The committee's names stay secret until the award result is fixed.",
            ),
            code="identities_secret",
        )
    return _named(need)


def ensure_demo_pool(
    *, expert_user_ids: Mapping[str, int] | None = None, registered_at: datetime | None = None
) -> list[str]:
    """Idempotent demo pool of 36 experts (see ``demo.py``); links the accounts ``expert1`` ..
    ``expert5`` (``expert_user_ids``: username -> user id; default: looked up by username).
    ``registered_at``: when they joined the pool (default now). Returns the experts' codes in a
    stable order."""
    from yingshang.trading.experts import demo

    return demo.ensure_pool(expert_user_ids=expert_user_ids, registered_at=registered_at)


def ensure_demo_committee(
    *,
    tender_id: int,
    lot_id: int,
    organiser_user_id: int,
    rows: Sequence[tuple[str, int, Sequence[str], bool]],
    stated_at: datetime,
    drawn_at: datetime,
    evaluation_at: datetime,
    account_for: Callable[[str, str, str, str], int],
    decline: str | None = None,
) -> bool:
    """Idempotent demo committee of a lot through the real services and draws (see
    ``demo.ensure_committee``): ``rows`` (specialty, count, regions, remote); the need stated at
    ``stated_at`` by the organiser (the tender's agency), the draw committed at ``drawn_at`` and
    performed on the next signed checkpoint; ``account_for(source_ref, name, employer_name,
    employer_uscc) -> user id`` makes an account for a drawn expert without one; ``decline``:
    the reason the second drawn member declines (a replacement is drawn). Whether anything was
    done."""
    from yingshang.trading.experts import demo

    return demo.ensure_committee(
        tender_id=tender_id,
        lot_id=lot_id,
        organiser_user_id=organiser_user_id,
        rows=[demo.DemoRow(s, c, tuple(r), remote) for s, c, r, remote in rows],
        stated_at=stated_at,
        drawn_at=drawn_at,
        evaluation_at=evaluation_at,
        account_for=lambda e: account_for(e.source_ref, e.name, e.employer_name, e.employer_uscc),
        decline=decline,
    )


def expert_codes(usernames: Sequence[str] = ()) -> dict[str, str]:
    """username -> expert code for linked accounts (demo and tests)."""
    from yingshang.trading.experts.models import Expert

    found = Expert.objects.filter(user__username__in=usernames).values_list("user__username", "code")
    return {str(username): str(code) for username, code in found}
