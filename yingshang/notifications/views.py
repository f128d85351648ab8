"""The inbox page: newest first, unread marked, mark one or all read (forms work without JS;
with htmx the item or the list is swapped in place)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from yingshang.identity.facade import principal_for
from yingshang.kernel.errors import NotFound
from yingshang.notifications import selectors, services

PAGE_SIZE = 50


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _page(request: HttpRequest, status: int = 200) -> HttpResponse:
    principal = principal_for(request)
    context = {
        "entries": selectors.inbox(principal, limit=PAGE_SIZE),
        "unread": selectors.unread_count(principal.user_id),
    }
    template = "notifications/inbox.html#inbox" if _is_htmx(request) else "notifications/inbox.html"
    return render(request, template, context, status=status)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def mark_read(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        item = services.mark_read(principal=principal_for(request), item_id=item_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    if _is_htmx(request):
        return _page(request)
    messages.success(request, _("“%(subject)s” is marked as read.") % {"subject": item.notification.subject})
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(principal=principal_for(request))
    if _is_htmx(request):
        return _page(request)
    messages.success(
        request,
        ngettext("%(count)d message marked as read.", "%(count)d messages marked as read.", count)
        % {"count": count},
    )
    return redirect("notifications:inbox")
