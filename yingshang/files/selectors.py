"""Reads of the files context, always filtered by what the principal may see."""

from __future__ import annotations

from django.db.models import QuerySet

from yingshang.files.models import Document
from yingshang.files.permissions import policy
from yingshang.kernel.errors import NotFound
from yingshang.kernel.policy import Principal


def visible_documents(principal: Principal) -> QuerySet[Document]:
    return policy.filter_queryset(principal, Document.objects.select_related("blob"))


def own_documents(principal: Principal) -> QuerySet[Document]:
    return policy.own(principal, Document.objects.select_related("blob"))


def document_for(principal: Principal, document_id: int) -> Document:
    """The document if the principal may see it; otherwise ``NotFound`` (never a hint it exists)."""
    document = Document.objects.select_related("blob").filter(pk=document_id).first()
    if document is None or not policy.allows(principal, "view", document):
        raise NotFound()
    return document


def document_by_id(document_id: int) -> Document:
    """A document for other contexts' own checks (no visibility filter: they hold the id)."""
    document = Document.objects.select_related("blob").filter(pk=document_id).first()
    if document is None:
        raise NotFound()
    return document
