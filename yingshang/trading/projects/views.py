"""Pages of the projects context: the public notice list and detail (with a countdown from the
server's time), the intake form, the project and tender workspaces. Thin: the work is the
services'; every form works without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yingshang.identity.facade import principal_for
from yingshang.kernel import clock
from yingshang.kernel.errors import DomainError, NotAuthenticated, NotFound
from yingshang.kernel.errors import PermissionDenied as DomainPermissionDenied
from yingshang.ledger import facade as ledger
from yingshang.trading.projects import reference, selectors, services, states
from yingshang.trading.projects.forms import (
    AmendForm,
    CancelForm,
    IntakeForm,
    LotFormSet,
    PublishForm,
    ResumeForm,
    RetenderForm,
    ReturnForm,
    SuspendForm,
    TenderForm,
    TimelineForm,
)
from yingshang.trading.projects.models import Project, Tender
from yingshang.trading.projects.permissions import projects as project_policy
from yingshang.trading.projects.permissions import tenders as tender_policy
from yingshang.trading.projects.responses import notice_pdf_response

View = Callable[..., HttpResponseBase]


def _lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


def _hidden_or_denied(view: View) -> View:
    """NotFound -> 404 page; a permission denial -> 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        except (DomainPermissionDenied, NotAuthenticated) as exc:
            raise DjangoPermissionDenied(str(exc)) from exc

    return wrapper


def _label(table: dict[str, Any], code: str) -> str:
    row = table.get(code)
    return row.label.render(_lang()) if row is not None else code


def _status_label(status: str) -> str:
    labels = {
        states.DRAFT: _("draft"),
        states.PUBLISHED: _("published"),
        states.SUSPENDED: _("suspended"),
        states.BID_DEADLINE_PASSED: _("closed for bids"),
        states.CANCELLED: _("cancelled"),
        states.FAILED: _("failed (re-tendered)"),
        states.SUBMITTED: _("submitted"),
        states.ACCEPTED: _("accepted"),
        states.RETURNED: _("returned"),
    }
    return str(labels.get(status, status))


def _countdown(tender: Tender, now: datetime) -> dict[str, Any] | None:
    if tender.bid_deadline is None or tender.status not in (states.PUBLISHED, states.SUSPENDED):
        return None
    remaining = max(0, int((tender.bid_deadline - now).total_seconds()))
    days, rest = divmod(remaining, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return {
        "deadline": tender.bid_deadline,
        "remaining": remaining,
        "days": days,
        "clock": f"{hours:02d}:{minutes:02d}:{seconds:02d}",
        "stopped": tender.status == states.SUSPENDED,
    }


def _error_context(error: DomainError) -> dict[str, Any]:
    return {"message": str(error), "details": error.details}


# --- public -----------------------------------------------------------------------------------------


@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    filters = selectors.NoticeFilters(
        q=params.get("q", "")[:100],
        resource_kind=params.get("resource_kind", "")
        if params.get("resource_kind") in reference.RESOURCE_KINDS
        else "",
        regime=params.get("regime", "") if params.get("regime") in reference.REGIMES else "",
        method=params.get("method", "") if params.get("method") in reference.METHOD_RULES else "",
        status=params.get("status", "") if params.get("status") in states.PUBLIC else "",
        open_only=params.get("open_only") == "1",
    )
    now = clock.now()
    found = selectors.search_public_tenders(filters, now=now).only(
        "pk", "ocid", "title", "resource_kind", "regime", "method", "status", "published_at", "bid_deadline"
    )
    paginator = Paginator(found, selectors.PAGE_SIZE, allow_empty_first_page=True)
    page = paginator.get_page(params.get("page"))
    rows = [
        {
            "tender": t,
            "kind": _label(reference.RESOURCE_KINDS, t.resource_kind),
            "method": _label(reference.METHOD_RULES, t.method),
            "status": _status_label(t.status),
        }
        for t in page.object_list
    ]
    query = params.copy()
    query.pop("page", None)
    context = {
        "rows": rows,
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "kinds": [(k, v.label.render(_lang())) for k, v in reference.RESOURCE_KINDS.items()],
        "regimes": [(k, v.label.render(_lang())) for k, v in reference.REGIMES.items()],
        "methods": [(k, v.label.render(_lang())) for k, v in reference.METHOD_RULES.items()],
        "statuses": [(s, _status_label(s)) for s in states.TENDER_STATUSES if s in states.PUBLIC],
    }
    template = (
        "projects/_notice_rows.html" if request.headers.get("HX-Request") else "projects/notice_list.html"
    )
    return render(request, template, context)


@require_GET
@_hidden_or_denied
def notice_detail(request: HttpRequest, tender_id: int) -> HttpResponse:
    tender = selectors.public_tender(tender_id)
    now = clock.now()
    notices = _with_ledger_indexes(list(selectors.notices_of(tender)))
    context = {
        "tender": tender,
        "notices": notices,
        "kind": _label(reference.RESOURCE_KINDS, tender.resource_kind),
        "method": _label(reference.METHOD_RULES, tender.method),
        "status": _status_label(tender.status),
        "countdown": _countdown(tender, now),
        "server_now": now,
        "retender": Tender.objects.filter(previous=tender, published_at__isnull=False).first(),
    }
    return render(request, "projects/notice_detail.html", context)


@require_GET
@_hidden_or_denied
def notice_pdf(request: HttpRequest, tender_id: int, version: int) -> HttpResponseBase:
    """One notice version as the PDF produced from the standard notice template (public)."""
    tender = selectors.public_tender(tender_id)
    notice = next((n for n in selectors.notices_of(tender) if n.version == version), None)
    if notice is None:
        raise NotFound()
    return notice_pdf_response(request, notice)


# --- intake -------------------------------------------------------------------------------------------


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    principal = principal_for(request)
    paginator = Paginator(
        selectors.visible_projects(principal).order_by("-submitted_at", "-id"), selectors.PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    rows = [
        {
            "project": p,
            "kind": _label(reference.RESOURCE_KINDS, p.resource_kind),
            "status": _status_label(p.intake_status),
        }
        for p in page.object_list
    ]
    return render(
        request,
        "projects/project_list.html",
        {"rows": rows, "page": page, "may_submit": project_policy.allows(principal, "submit")},
    )


@login_required
@require_http_methods(["GET", "POST"])
@_hidden_or_denied
def intake(request: HttpRequest) -> HttpResponse:
    principal = principal_for(request)
    project_policy.require(principal, "submit")
    if request.method != "POST":
        form = IntakeForm(principal=principal)
        lots = LotFormSet(prefix="lots")
        return render(request, "projects/intake.html", {"form": form, "lots": lots})
    form = IntakeForm(request.POST, principal=principal)
    lots = LotFormSet(request.POST, prefix="lots")
    error = None
    status = 400
    if form.is_valid() and lots.is_valid():
        try:
            project = services.submit_intake(principal=principal, **form.service_kwargs(lots))
        except DomainError as exc:
            error = _error_context(exc)
            status = exc.status
        else:
            messages.success(
                request, _("Project %(code)s was submitted to the centre.") % {"code": project.code}
            )
            return redirect("projects:project", project_id=project.pk)
    return render(
        request, "projects/intake.html", {"form": form, "lots": lots, "error": error}, status=status
    )


def _project_context(request: HttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    principal = principal_for(request)
    return {
        "project": project,
        "kind": _label(reference.RESOURCE_KINDS, project.resource_kind),
        "regime": _label(reference.REGIMES, project.regime),
        "status": _status_label(project.intake_status),
        "lots": list(project.lots.order_by("number")),
        "tenders": [
            {
                "tender": t,
                "status": _status_label(t.status),
                "method": _label(reference.METHOD_RULES, t.method),
            }
            for t in project.tenders.order_by("sequence")
        ],
        "history": selectors.history_of(project),
        "may_review": project_policy.allows(principal, "review", project)
        and project.intake_status == states.SUBMITTED,
        "may_manage": project_policy.allows(principal, "manage", project),
        "return_form": ReturnForm(initial={"version": project.version}),
        "tender_form": TenderForm(project=project),
        **extra,
    }


@login_required
@require_GET
@_hidden_or_denied
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_for(principal_for(request), project_id)
    return render(request, "projects/project_detail.html", _project_context(request, project))


@login_required
@require_POST
@_hidden_or_denied
def review(request: HttpRequest, project_id: int) -> HttpResponse:
    principal = principal_for(request)
    project = selectors.project_for(principal, project_id)
    form = ReturnForm(request.POST)
    decision = request.POST.get("decision")
    try:
        version = int(request.POST.get("version") or 0) or None
        if decision == "accept":
            services.accept_intake(principal=principal, project_id=project.pk, expected_version=version)
            messages.success(request, _("The intake was accepted."))
        else:
            services.return_intake(
                principal=principal,
                project_id=project.pk,
                reason=request.POST.get("reason", ""),
                expected_version=version,
            )
            messages.success(request, _("The intake was returned with your reasons."))
    except (DomainPermissionDenied, NotAuthenticated, NotFound):
        raise
    except (DomainError, ValueError) as exc:
        error = _error_context(exc) if isinstance(exc, DomainError) else {"message": str(exc), "details": []}
        project.refresh_from_db()
        context = _project_context(request, project, error=error, return_form=form)
        return render(request, "projects/project_detail.html", context, status=getattr(exc, "status", 400))
    return redirect("projects:project", project_id=project.pk)


@login_required
@require_POST
@_hidden_or_denied
def create_tender(request: HttpRequest, project_id: int) -> HttpResponse:
    principal = principal_for(request)
    project = selectors.project_for(principal, project_id)
    project_policy.require(principal, "manage", project)
    form = TenderForm(request.POST, project=project)
    if form.is_valid():
        try:
            tender = services.create_tender(
                principal=principal,
                project_id=project.pk,
                method=form.cleaned_data["method"],
                title=form.cleaned_data["title"],
            )
        except (DomainPermissionDenied, NotAuthenticated, NotFound):
            raise
        except DomainError as exc:
            context = _project_context(request, project, error=_error_context(exc), tender_form=form)
            return render(request, "projects/project_detail.html", context, status=exc.status)
        return redirect("projects:tender", tender_id=tender.pk)
    return render(
        request,
        "projects/project_detail.html",
        _project_context(request, project, tender_form=form),
        status=400,
    )


# --- tender workspace -----------------------------------------------------------------------------------


def _finding_rows(findings: list[Any]) -> list[dict[str, Any]]:
    language = _lang()
    return [
        {
            "rule": f.rule_id,
            "blocking": f.blocking,
            "message": f.message.render(language),
            "article": f.article.render(language),
        }
        for f in findings
    ]


def _with_ledger_indexes(notices: list[Any]) -> list[Any]:
    """Each notice with ``ledger_index`` (None until sequenced): one query for the list."""
    indexes = ledger.indexes_of(n.ledger_entry_hash for n in notices)
    for notice in notices:
        notice.ledger_index = indexes.get(notice.ledger_entry_hash)
    return notices


def _tender_context(request: HttpRequest, tender: Tender, **extra: Any) -> dict[str, Any]:
    principal = principal_for(request)
    now = clock.now()
    findings = services.check_timeline_of(tender)
    may_manage = tender_policy.allows(principal, "manage", tender)
    context = {
        "tender": tender,
        "project": tender.project,
        "status": _status_label(tender.status),
        "method": _label(reference.METHOD_RULES, tender.method),
        "lots": list(tender.lots.order_by("number")),
        "findings": _finding_rows(findings),
        "notices": _with_ledger_indexes(list(selectors.notices_of(tender))),
        "history": selectors.history_of(tender.project, tender),
        "countdown": _countdown(tender, now),
        "server_now": now,
        "may_manage": may_manage,
        "may_suspend": tender_policy.allows(principal, "suspend", tender),
        "timeline_form": TimelineForm(tender=tender),
        "publish_form": PublishForm(initial={"version": tender.version, "title": tender.title}),
        "amend_form": AmendForm(tender=tender),
        "suspend_form": SuspendForm(initial={"version": tender.version}),
        "cancel_form": CancelForm(initial={"version": tender.version}),
        "resume_form": ResumeForm(initial={"version": tender.version}),
        "retender_form": RetenderForm(initial={"version": tender.version}),
        "next_tender": Tender.objects.filter(previous=tender).first(),
        "states": states,
    }
    context.update(extra)
    return context


@login_required
@require_GET
@_hidden_or_denied
def tender_detail(request: HttpRequest, tender_id: int) -> HttpResponse:
    tender = selectors.tender_for(principal_for(request), tender_id)
    return render(request, "projects/tender_detail.html", _tender_context(request, tender))


def _tender_command(
    request: HttpRequest,
    *,
    tender_id: int,
    form_class: type,
    form_key: str,
    action: str,
    run: Callable[..., Any],
    success: str,
) -> HttpResponse:
    principal = principal_for(request)
    tender = selectors.tender_for(principal, tender_id)
    tender_policy.require(principal, action, tender)
    form = (
        form_class(request.POST, tender=tender)
        if form_key in ("timeline_form", "amend_form")
        else form_class(request.POST)
    )
    if not form.is_valid():
        return render(
            request,
            "projects/tender_detail.html",
            _tender_context(request, tender, **{form_key: form}),
            status=400,
        )
    try:
        result = run(principal, tender, form.cleaned_data)
    except (DomainPermissionDenied, NotAuthenticated, NotFound):
        raise
    except DomainError as exc:
        tender.refresh_from_db()
        context = _tender_context(request, tender, **{form_key: form, "error": _error_context(exc)})
        return render(request, "projects/tender_detail.html", context, status=exc.status)
    warnings = getattr(result, "warnings", [])
    for warning in warnings:
        if not warning.blocking:
            messages.warning(request, warning.message.render(_lang()))
    messages.success(request, success)
    target = getattr(result, "tender", result)
    return redirect("projects:tender", tender_id=target.pk if isinstance(target, Tender) else tender.pk)


@login_required
@require_POST
@_hidden_or_denied
def save_timeline(request: HttpRequest, tender_id: int) -> HttpResponse:
    return _tender_command(
        request,
        tender_id=tender_id,
        form_class=TimelineForm,
        action="manage",
        form_key="timeline_form",
        run=lambda p, t, d: services.save_timeline(
            principal=p, tender_id=t.pk, expected_version=d["version"], **d["times"]
        ),
        success=_("The timeline was saved."),
    )


@login_required
@require_POST
@_hidden_or_denied
def check_timeline(request: HttpRequest, tender_id: int) -> HttpResponse:
    """The statutory check of a proposed timeline, before saving; nothing is saved. htmx asks
    it on every change of the timeline form (a fragment); without JavaScript the form's "Check
    without saving" button posts to it and gets the whole page with the findings. A POST for
    the CSRF token, but it changes nothing."""
    principal = principal_for(request)
    tender = selectors.tender_for(principal, tender_id)
    tender_policy.require(principal, "manage", tender)
    form = TimelineForm(request.POST, tender=tender)
    proposed: list[dict[str, Any]] | None = None
    error: dict[str, Any] | None = None
    if form.is_valid():
        try:
            found = services.preview_timeline(
                principal=principal, tender_id=tender.pk, **form.cleaned_data["times"]
            )
            proposed = _finding_rows(found)
        except (DomainPermissionDenied, NotAuthenticated, NotFound):
            raise
        except DomainError as exc:
            error = _error_context(exc)
    context = {"timeline_form": form, "proposed": proposed, "check_error": error}
    if request.headers.get("HX-Request"):
        return render(
            request, "projects/_timeline_check.html", {**context, "tender": tender, "fragment": True}
        )
    return render(request, "projects/tender_detail.html", _tender_context(request, tender, **context))


@login_required
@require_POST
@_hidden_or_denied
def publish(request: HttpRequest, tender_id: int) -> HttpResponse:
    return _tender_command(
        request,
        tender_id=tender_id,
        form_class=PublishForm,
        action="publish",
        form_key="publish_form",
        run=lambda p, t, d: services.publish_tender(
            principal=p, tender_id=t.pk, expected_version=d["version"], title=d["title"], body=d["body"]
        ),
        success=_("The tender notice was published."),
    )


@login_required
@require_POST
@_hidden_or_denied
def amend(request: HttpRequest, tender_id: int) -> HttpResponse:
    return _tender_command(
        request,
        tender_id=tender_id,
        form_class=AmendForm,
        action="publish",
        form_key="amend_form",
        run=lambda p, t, d: services.amend_tender(
            principal=p,
            tender_id=t.pk,
            expected_version=d["version"],
            reason=d["reason"],
            body=d["body"],
            affects_preparation=d["affects_preparation"],
            **d["times"],
        ),
        success=_("The amendment was published as a new notice version."),
    )


@login_required
@require_POST
@_hidden_or_denied
def suspend(request: HttpRequest, tender_id: int) -> HttpResponse:
    return _tender_command(
        request,
        tender_id=tender_id,
        form_class=SuspendForm,
        action="suspend",
        form_key="suspend_form",
        run=lambda p, t, d: services.suspend_tender(
            principal=p,
            tender_id=t.pk,
            reason=d["reason"],
            ground=d["ground"],
            until=d["until"],
            expected_version=d["version"],
        ),
        success=_("The tender was suspended; its deadlines stop."),
    )


@login_required
@require_POST
@_hidden_or_denied
def resume(request: HttpRequest, tender_id: int) -> HttpResponse:
    return _tender_command(
        request,
        tender_id=tender_id,
        form_class=ResumeForm,
        action="suspend",
        form_key="resume_form",
        run=lambda p, t, d: services.resume_tender(
            principal=p, tender_id=t.pk, reason=d["reason"], expected_version=d["version"]
        ),
        success=_("The tender resumed; its deadlines were recomputed."),
    )


@login_required
@require_POST
@_hidden_or_denied
def cancel(request: HttpRequest, tender_id: int) -> HttpResponse:
    return _tender_command(
        request,
        tender_id=tender_id,
        form_class=CancelForm,
        action="cancel",
        form_key="cancel_form",
        run=lambda p, t, d: services.cancel_tender(
            principal=p, tender_id=t.pk, reason=d["reason"], expected_version=d["version"]
        ),
        success=_("The tender was terminated."),
    )


@login_required
@require_POST
@_hidden_or_denied
def retender(request: HttpRequest, tender_id: int) -> HttpResponse:
    return _tender_command(
        request,
        tender_id=tender_id,
        form_class=RetenderForm,
        action="manage",
        form_key="retender_form",
        run=lambda p, t, d: services.retender(
            principal=p,
            tender_id=t.pk,
            bids_received=d["bids_received"],
            reason=d["reason"],
            expected_version=d["version"],
        ),
        success=_("A new tender was started, linked to the failed one."),
    )
