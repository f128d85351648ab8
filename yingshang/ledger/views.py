"""Pages: the public ledger page and the evidence view. Thin: reads come from ``selectors``.

- ``/ledger/``: the latest checkpoint (size, root, time in Beijing time, witnesses), recent
  checkpoints, an entry looked up by index (shown only if the visitor may read it) and an
  inclusion check for a pasted leaf hash. No JavaScript.
- ``/ledger/checkpoints/stream``: server-sent events, one ``checkpoint`` event (id = tree size;
  data: size, root, note, created_at) per new signed checkpoint, open to anyone; a client without
  ``Last-Event-ID`` starts with the latest checkpoint (docs/streams.md).
- ``/ledger/evidence/?subject=context:type:id``: a subject's history for supervisors, auditors
  and centre staff, with a link to download its evidence bundle
  (``/ledger/evidence/bundle/?subject=...``).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yingshang.identity.facade import User, principal_for
from yingshang.kernel.errors import DomainError, NotFound
from yingshang.kernel.policy import Principal
from yingshang.ledger import bundles, merkle, selectors
from yingshang.ledger.facade import UnknownAction, action_label
from yingshang.ledger.permissions import evidence as evidence_policy
from yingshang.ledger.services import CHECKPOINT_CHANNEL
from yingshang.web.sse import StreamEvent, db_read, sse_response


def _label(code: str) -> str:
    try:
        return str(action_label(code))
    except UnknownAction:
        return code


def _lookup_entry(request: HttpRequest, raw: str) -> dict[str, Any]:
    try:
        index = int(raw)
    except ValueError:
        return {"error": _("Enter an entry index: a whole number from 0.")}
    found = selectors.readable_entry(principal_for(request), index) if index >= 0 else None
    if found is None:
        return {"error": _("There is no entry %(index)s that you may read.") % {"index": index}}
    pretty = json.dumps(json.loads(found.entry), ensure_ascii=False, indent=2, sort_keys=True)
    return {"entry": found, "label": _label(found.action), "pretty": pretty}


def _check_leaf(raw: str) -> dict[str, Any]:
    leaf = raw.strip().lower()
    if len(leaf) != 64 or any(ch not in "0123456789abcdef" for ch in leaf):
        return {"error": _("A leaf hash is 64 hexadecimal digits.")}
    checkpoint = selectors.latest_checkpoint()
    index = selectors.index_of_leaf(leaf)
    if checkpoint is None or index is None or index >= checkpoint.size:
        return {"error": _("This leaf hash is not in the latest signed checkpoint.")}
    proof = selectors.inclusion_proof(index, checkpoint.size)
    try:
        merkle.verify_inclusion(
            bytes.fromhex(leaf), index, checkpoint.size, proof, bytes.fromhex(checkpoint.root)
        )
    except merkle.ProofError as exc:  # the stored tree is damaged: say so
        return {"error": _("The inclusion proof does not verify: %(reason)s") % {"reason": exc}}
    return {"index": index, "size": checkpoint.size, "proof": [h.hex() for h in proof]}


@require_GET
def ledger_home(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"checkpoints": selectors.recent_checkpoints(10)}
    context["latest"] = context["checkpoints"][0] if context["checkpoints"] else None
    index = request.GET.get("index", "").strip()
    if index:
        context["index"] = index
        context["lookup"] = _lookup_entry(request, index)
    leaf_hash = request.GET.get("leaf_hash", "").strip()
    if leaf_hash:
        context["leaf_hash"] = leaf_hash
        context["inclusion"] = _check_leaf(leaf_hash)
    return render(request, "ledger/index.html", context)


def checkpoint_events(after: int) -> list[StreamEvent]:
    """The live stream's page: checkpoints of trees larger than ``after`` (id = tree size)."""
    return [
        StreamEvent(
            id=cp.size,
            event="checkpoint",
            data={"size": cp.size, "root": cp.root, "note": cp.note, "created_at": cp.created_at.isoformat()},
        )
        for cp in selectors.checkpoints_after(after)
    ]


def _before_latest() -> int:
    latest = selectors.latest_checkpoint()
    return latest.size - 1 if latest is not None else -1


@require_GET
async def checkpoint_stream(request: HttpRequest) -> StreamingHttpResponse:
    """New signed checkpoints as server-sent events; without ``Last-Event-ID`` from the latest."""
    start = None if request.headers.get("Last-Event-ID") else await db_read(_before_latest)
    return sse_response(
        request, channel=CHECKPOINT_CHANNEL, fetch_after=checkpoint_events, last_event_id=start
    )


def _actor_text(actor: dict[str, Any], names: dict[int, str]) -> str:
    kind = actor.get("kind")
    if kind == "user":
        user_id = actor.get("user_id")
        name = names.get(user_id, f"#{user_id}") if isinstance(user_id, int) else "?"
        return f"{name} ({actor['role']})" if actor.get("role") else name
    if kind == "system":
        return _("the platform (%(name)s)") % {"name": actor.get("name", "")}
    return _("a visitor")


def _overseer(request: HttpRequest, action: str) -> Principal:
    principal = principal_for(request)
    if not evidence_policy.allows(principal, action):
        raise PermissionDenied(_("Only supervisors, auditors and centre staff may see evidence."))
    return principal


@login_required
@require_GET
def evidence(request: HttpRequest) -> HttpResponse:
    principal = _overseer(request, "view")
    raw = request.GET.get("subject", "").strip()
    context: dict[str, Any] = {"subject_text": raw}
    status = 200
    if raw:
        try:
            subject = bundles.parse_subject(raw)
        except DomainError as error:
            context["error"] = str(error)
            status = error.status
        else:
            entries = selectors.subject_history(principal, subject)
            parsed = [json.loads(e.entry) for e in entries]
            user_ids = {p["actor"].get("user_id") for p in parsed if p["actor"].get("kind") == "user"}
            names = {
                u.pk: str(u) for u in User.objects.filter(pk__in=[i for i in user_ids if isinstance(i, int)])
            }
            context["subject"] = subject
            context["rows"] = [
                {"entry": e, "label": _label(e.action), "actor": _actor_text(p["actor"], names)}
                for e, p in zip(entries, parsed, strict=True)
            ]
    return render(request, "ledger/evidence.html", context, status=status)


@login_required
@require_GET
def evidence_bundle(request: HttpRequest) -> HttpResponse:
    principal = _overseer(request, "bundle")
    try:
        subject = bundles.parse_subject(request.GET.get("subject", ""))
    except DomainError as error:
        context = {"subject_text": request.GET.get("subject", ""), "error": str(error)}
        return render(request, "ledger/evidence.html", context, status=error.status)
    try:
        bundle = bundles.build_bundle(subject=subject, principal=principal)
    except NotFound as error:
        raise Http404(str(error)) from error
    name = "-".join((subject.context, subject.type, subject.id))
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    response = HttpResponse(
        json.dumps(bundle, ensure_ascii=False, indent=1), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="evidence-{safe}.json"'
    return response
