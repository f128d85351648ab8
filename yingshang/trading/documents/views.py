"""Pages: the template catalogue, a tender's documents (bidders download with a receipt), the
document editor and the revision form for the tender's managers, receipts, and the Q&A page.
Thin: the work is done by the services; errors become 404/403 or a message on the page."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yingshang.identity.facade import principal_for
from yingshang.kernel import clock
from yingshang.kernel.errors import DomainError, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from yingshang.kernel.money import InvalidAmount, fen_to_yuan, parse_yuan
from yingshang.kernel.policy import Principal
from yingshang.ledger import facade as ledger
from yingshang.trading.documents import catalogue, selectors, services
from yingshang.trading.documents.models import TenderDocument
from yingshang.trading.documents.permissions import manages, oversees, policy
from yingshang.trading.documents.responses import pdf_response, receipt_json

View = Callable[..., HttpResponseBase]


def domain_errors(view: View) -> View:
    """NotFound -> 404, denials -> sign-in or 403; other domain errors propagate to the view."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        except NotAuthenticated:
            return redirect_to_login(request.get_full_path())
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from exc

    return wrapper


def _with_ledger_indexes(versions: list[Any]) -> list[Any]:
    """Each version with ``ledger_index`` (None until sequenced): one query for the list."""
    indexes = ledger.indexes_of(v.ledger_entry_hash for v in versions)
    for version in versions:
        version.ledger_index = indexes.get(version.ledger_entry_hash)
    return versions


def _tender_context(principal: Principal, tender_id: int) -> dict[str, Any]:
    tender = selectors.visible_tender(principal, tender_id)
    document = selectors.document_of(tender.id)
    insider = manages(principal, tender) or oversees(principal, tender) or principal.is_superuser
    if document is not None and document.status == TenderDocument.Status.DRAFT and not insider:
        document = None
    return {
        "tender": tender,
        "document": document,
        "versions": _with_ledger_indexes(list(selectors.published_versions(tender.id)))
        if document is not None
        else [],
        "manages": manages(principal, tender),
        "insider": insider,
        "is_bidder": policy.allows(principal, "download", tender),
        "receipts": list(selectors.own_receipts(principal, tender.id)) if principal.is_authenticated else [],
        "now": clock.now(),
    }


@require_GET
def catalogue_page(request: HttpRequest) -> HttpResponse:
    groups: dict[str, list[catalogue.StandardTemplate]] = {}
    for template in catalogue.current_templates():
        groups.setdefault(template.category, []).append(template)
    rows = [(catalogue.CATEGORIES[code], groups.get(code, [])) for code in catalogue.CATEGORIES]
    return render(request, "tenderdocs/catalogue.html", {"groups": rows})


@require_GET
def template_page(request: HttpRequest, code: str, version: int) -> HttpResponse:
    template = catalogue.load_catalogue().get((code, version))
    if template is None:
        raise Http404(_("There is no such template."))
    return render(request, "tenderdocs/template.html", {"template": template})


@require_GET
@domain_errors
def tender_page(request: HttpRequest, tender_id: int) -> HttpResponse:
    context = _tender_context(principal_for(request), tender_id)
    return render(request, "tenderdocs/tender.html", context)


def _form_values(
    template: catalogue.StandardTemplate, data: Any
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Field values from a form; money is entered in yuan and stored in fen."""
    values: dict[str, Any] = {}
    problems: list[dict[str, str]] = []
    for item in template.fields:
        raw = (data.get(f"f_{item.code}") or "").strip()
        if not raw:
            continue
        if item.type == "money":
            try:
                values[item.code] = parse_yuan(raw)
            except (InvalidAmount, ValueError, TypeError) as exc:
                problems.append({"field": item.code, "message": str(exc)})
        else:
            values[item.code] = raw
    return values, problems


def _editor_rows(
    template: catalogue.StandardTemplate, values: dict[str, Any], raw: Any = None
) -> list[dict[str, Any]]:
    rows = []
    for item in template.fields:
        if raw is not None:
            shown = raw.get(f"f_{item.code}", "")
        else:
            value = values.get(item.code)
            shown = (
                ""
                if value is None
                else (str(fen_to_yuan(int(value))) if item.type == "money" else str(value))
            )
        rows.append({"field": item, "value": shown, "name": f"f_{item.code}"})
    return rows


@require_http_methods(["GET", "POST"])
@domain_errors
def editor_page(request: HttpRequest, tender_id: int) -> HttpResponse:
    principal = principal_for(request)
    tender = selectors.visible_tender(principal, tender_id, "manage")
    document = selectors.document_of(tender.id)
    if document is None:
        if request.method == "POST":
            code, _sep, wanted = (request.POST.get("template") or "").partition("@v")
            try:
                services.create_documents(
                    principal=principal,
                    tender_id=tender.id,
                    template_code=code,
                    template_version=int(wanted) if wanted.isdigit() else None,
                )
            except DomainError as error:
                messages.error(request, str(error))
                return render(
                    request,
                    "tenderdocs/choose_template.html",
                    {"tender": tender, "templates": catalogue.current_templates()},
                    status=error.status,
                )
            return redirect("tenderdocs:editor", tender_id=tender.id)
        return render(
            request,
            "tenderdocs/choose_template.html",
            {"tender": tender, "templates": catalogue.current_templates()},
        )
    template = services.template_of(document)
    errors: dict[str, str] = {}
    status = 200
    raw = None
    if request.method == "POST":
        values, problems = _form_values(template, request.POST)
        revision_raw = request.POST.get("revision", "")
        revision = int(revision_raw) if revision_raw.isdigit() else None
        try:
            if problems:
                raise InvalidInput(problems[0]["message"], details=problems)
            document = services.save_draft(
                principal=principal, document_id=document.pk, values=values, revision=revision
            )
            if request.POST.get("action") == "publish":
                version = services.publish(principal=principal, document_id=document.pk)
                messages.success(request, _("Version %(number)s is published.") % {"number": version.number})
                return redirect("tenderdocs:tender", tender_id=tender.id)
            messages.success(request, _("The draft is saved."))
            return redirect("tenderdocs:editor", tender_id=tender.id)
        except DomainError as error:
            if isinstance(error, NotFound | PermissionDenied | NotAuthenticated):
                raise
            status = error.status
            raw = request.POST
            errors = {d.get("field", ""): d.get("message", "") for d in error.details}
            messages.error(request, str(error))
            document.refresh_from_db()
    return render(
        request,
        "tenderdocs/editor.html",
        {
            "tender": tender,
            "document": document,
            "template": template,
            "rows": _editor_rows(template, dict(document.values), raw),
            "errors": errors,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@domain_errors
def revise_page(request: HttpRequest, tender_id: int) -> HttpResponse:
    principal = principal_for(request)
    tender = selectors.visible_tender(principal, tender_id, "manage")
    document = selectors.document_of(tender.id)
    if document is None or document.status != TenderDocument.Status.PUBLISHED:
        raise NotFound()
    open_questions = list(selectors.questions_for_managers(tender.id).filter(status="open"))
    status = 200
    if request.method == "POST":
        answers = {
            q.number: request.POST.get(f"answer_{q.number}", "").strip()
            for q in open_questions
            if request.POST.get(f"answer_{q.number}", "").strip()
        }
        try:
            version = services.issue_revision(
                principal=principal,
                document_id=document.pk,
                reason=request.POST.get("reason", ""),
                answers=answers,
                affects_preparation=request.POST.get("affects_preparation") == "on",
                revision=int(request.POST["revision"])
                if request.POST.get("revision", "").isdigit()
                else None,
            )
        except DomainError as error:
            if isinstance(error, NotFound | PermissionDenied | NotAuthenticated):
                raise
            messages.error(request, str(error))
            status = error.status
        else:
            messages.success(request, _("Version %(number)s is published.") % {"number": version.number})
            return redirect("tenderdocs:tender", tender_id=tender.id)
    return render(
        request,
        "tenderdocs/revise.html",
        {"tender": tender, "document": document, "questions": open_questions},
        status=status,
    )


@require_POST
@domain_errors
def download_page(request: HttpRequest, tender_id: int, number: int) -> HttpResponse:
    principal = principal_for(request)
    selectors.visible_tender(principal, tender_id, "download")
    try:
        receipt = services.download(principal=principal, tender_id=tender_id, number=number)
    except DomainError as error:
        if isinstance(error, NotFound | PermissionDenied | NotAuthenticated):
            raise
        messages.error(request, str(error))
        context = _tender_context(principal, tender_id)
        return render(request, "tenderdocs/tender.html", context, status=error.status)
    return redirect("tenderdocs:receipt", number=receipt.number)


@require_GET
@domain_errors
def version_pdf_page(request: HttpRequest, tender_id: int, number: int) -> HttpResponseBase:
    principal = principal_for(request)
    selectors.visible_tender(principal, tender_id, "view_draft")
    return pdf_response(request, selectors.version(tender_id, number).file_id)


@require_GET
@domain_errors
def receipt_page(request: HttpRequest, number: str) -> HttpResponse:
    principal = principal_for(request)
    if principal.is_guest:
        raise NotAuthenticated()
    receipt = selectors.own_receipt(principal, number)
    data = receipt_json(receipt)
    return render(
        request,
        "tenderdocs/receipt.html",
        {"receipt": receipt, "data": data, "pretty": json.dumps(data, ensure_ascii=False, indent=2)},
    )


@require_GET
@domain_errors
def receipt_pdf_page(request: HttpRequest, number: str) -> HttpResponseBase:
    principal = principal_for(request)
    if principal.is_guest:
        raise NotAuthenticated()
    return pdf_response(request, selectors.own_receipt(principal, number).version.file_id)


@require_GET
@domain_errors
def receipt_json_page(request: HttpRequest, number: str) -> HttpResponse:
    principal = principal_for(request)
    if principal.is_guest:
        raise NotAuthenticated()
    receipt = selectors.own_receipt(principal, number)
    response = HttpResponse(
        json.dumps(receipt_json(receipt), ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{receipt.number}.json"'
    return response


@require_http_methods(["GET", "POST"])
@domain_errors
def questions_page(request: HttpRequest, tender_id: int) -> HttpResponse:
    principal = principal_for(request)
    tender = selectors.visible_tender(principal, tender_id)
    status = 200
    if request.method == "POST":
        policy.require(principal, "ask", tender)
        try:
            question = services.ask_question(
                principal=principal, tender_id=tender.id, text=request.POST.get("text", "")
            )
        except DomainError as error:
            if isinstance(error, NotFound | PermissionDenied | NotAuthenticated):
                raise
            messages.error(request, str(error))
            status = error.status
        else:
            messages.success(
                request, _("Question %(number)s is sent anonymously.") % {"number": question.number}
            )
            return redirect("tenderdocs:questions", tender_id=tender.id)
    sees_all = policy.allows(principal, "view_questions", tender)
    own_ids = set(selectors.own_questions(principal, tender.id).values_list("pk", flat=True))
    if sees_all:
        rows = list(selectors.questions_for_managers(tender.id))
    else:
        rows = list(
            (selectors.answered_questions(tender.id) | selectors.own_questions(principal, tender.id))
            .distinct()
            .order_by("number")
        )
    return render(
        request,
        "tenderdocs/questions.html",
        {
            "tender": tender,
            "rows": [(q, q.pk in own_ids) for q in rows],
            "may_ask": policy.allows(principal, "ask", tender),
            "manages": manages(principal, tender),
        },
        status=status,
    )


#: The largest receipt document the check page reads (a receipt is about 1 KB).
MAX_RECEIPT_CHARS = 20_000


@require_http_methods(["GET", "POST"])
def check_receipt_page(request: HttpRequest) -> HttpResponse:
    """Anyone (a supervisor handling a complaint, say) pastes a receipt a bidder shows them; the
    page says whether the platform signed it and which commitment the ledger holds for it.
    Nothing is stored or logged, as with the API's ``POST /receipts/check``."""
    context: dict[str, Any] = {"text": "", "result": None, "error": ""}
    status = 200
    if request.method == "POST":
        text = request.POST.get("receipt", "")[: MAX_RECEIPT_CHARS + 1]
        context["text"] = text[:MAX_RECEIPT_CHARS]
        try:
            if len(text) > MAX_RECEIPT_CHARS:
                raise ValueError
            parsed = json.loads(text)
            if not isinstance(parsed, dict) or not isinstance(parsed.get("receipt"), dict):
                raise ValueError
            signature = parsed.get("signature")
            if not isinstance(signature, dict):
                raise ValueError
        except ValueError:
            context["error"] = _(
                "Paste the whole receipt file (JSON with “receipt” and “signature”), as saved from "
                "the receipt page."
            )
            status = 400
        else:
            valid, commitment = services.check_receipt(parsed["receipt"], signature)
            context["result"] = {"valid": valid, "commitment": commitment}
    return render(request, "tenderdocs/check_receipt.html", context, status=status)
