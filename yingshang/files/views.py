"""Pages: upload a document, list one's documents, download one. Thin: the work is the facade's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from yingshang.files import facade, selectors, services, uploads
from yingshang.files.forms import UploadForm
from yingshang.files.responses import download as download_response
from yingshang.files.rules import KINDS, PURPOSES
from yingshang.identity.facade import principal_for
from yingshang.kernel.errors import DomainError, NotFound

PAGE_SIZE = 50


@csrf_exempt  # the upload cap must be installed before the CSRF check reads the body
@login_required
@uploads.capped
@csrf_protect
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "files/upload.html", {"form": UploadForm()})
    form = UploadForm(request.POST, request.FILES)
    status = 400
    if uploads.stopped_too_large(request):
        error = services.too_large_for_any_purpose()
        form.add_error("file", str(error))
        status = error.status
    elif form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            ref = facade.store_document(
                principal=principal_for(request),
                name=uploaded.name or "",
                stream=uploaded,
                purpose=form.cleaned_data["purpose"],
            )
        except DomainError as error:
            form.add_error("file", str(error))
            status = error.status
        else:
            messages.success(request, _("“%(name)s” was uploaded.") % {"name": ref.name})
            return redirect("files:list")
    return render(request, "files/upload.html", {"form": form}, status=status)


@login_required
@require_GET
def document_list(request: HttpRequest) -> HttpResponse:
    documents = selectors.own_documents(principal_for(request))[:PAGE_SIZE]
    rows = [
        (
            document,
            PURPOSES[document.purpose].label if document.purpose in PURPOSES else document.purpose,
            KINDS[document.media_type].label if document.media_type in KINDS else document.media_type,
        )
        for document in documents
    ]
    return render(request, "files/list.html", {"rows": rows})


@login_required
@require_GET
def download(request: HttpRequest, document_id: int) -> HttpResponseBase:
    try:
        ref = facade.document_for(principal_for(request), document_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return download_response(request, ref)
