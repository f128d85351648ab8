"""Pages: a bidder's own bids with their receipts, and withdrawal. Thin: the services do the work.

Submitting happens with the bidder tool (``yingshang-bidder``), which encrypts on the bidder's
own machine; the page says how.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yingshang.identity.facade import principal_for
from yingshang.kernel import clock
from yingshang.kernel.errors import DomainError, NotFound
from yingshang.ledger import facade as ledger
from yingshang.trading.bids import receipts, selectors, services, states
from yingshang.trading.bids.permissions import policy
from yingshang.trading.projects import facade as projects


@require_GET
def my_bids_page(request: HttpRequest) -> HttpResponse:
    principal = principal_for(request)
    if principal.is_guest:
        return redirect_to_login(request.get_full_path())
    if not policy.allows(principal, "view"):
        raise DjangoPermissionDenied(_("Only bidders have bids."))
    bids = list(selectors.own_bids(principal)[:200])
    indexes = ledger.indexes_of(bid.ledger_entry_hash for bid in bids)
    now = clock.now()
    tenders: dict[int, Any] = {}
    rows = []
    for bid in bids:
        if bid.tender_id not in tenders:
            try:
                tenders[bid.tender_id] = projects.tender_summary(bid.tender_id)
            except NotFound:
                tenders[bid.tender_id] = None
        tender = tenders[bid.tender_id]
        deadline = tender.bid_deadline if tender else None
        rows.append(
            {
                "bid": bid,
                "tender": tender,
                "ledger_index": indexes.get(bid.ledger_entry_hash),
                "withdrawable": bid.status == states.SUBMITTED and deadline is not None and now < deadline,
            }
        )
    context = {
        "rows": rows,
        "public_key": receipts.public_key(),
        "site": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, "bids/my_bids.html", context)


@require_GET
def receipt_json_page(request: HttpRequest, bid_id: int) -> HttpResponse:
    principal = principal_for(request)
    if principal.is_guest:
        return redirect_to_login(request.get_full_path())
    try:
        bid = selectors.own_bid(principal, bid_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    body = json.dumps(
        {"receipt": bid.receipt, "signature": bid.receipt_signature}, ensure_ascii=False, indent=2
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bid-{bid.pk}.receipt.json"'
    return response


@require_POST
def withdraw_page(request: HttpRequest, bid_id: int) -> HttpResponse:
    principal = principal_for(request)
    if principal.is_guest:
        return redirect_to_login(request.get_full_path())
    try:
        services.withdraw_bid(
            principal=principal, bid_id=bid_id, reason=request.POST.get("reason", "")[:2000]
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        if exc.status in (401, 403):
            raise DjangoPermissionDenied(str(exc)) from exc
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The bid was withdrawn; the withdrawal is recorded in the evidence ledger.")
        )
    return redirect("bids:mine")
