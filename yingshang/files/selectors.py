"""Reads of the files context, always filtered by what the principal may see."""

from __future__ import annotations

from django.db.models import QuerySet

from yingshang.files.contracts import PrincipalLike
from yingshang.files.models import Document
from yingshang.files.permissions import policy
from yingshang.kernel.errors import NotFound


def visible_documents(principal: PrincipalLike) -> QuerySet[Document]:
    return policy.visible(principal, Document.objects.select_related("blob"))


def own_documents(principal: PrincipalLike) -> QuerySet[Document]:
    return policy.own(principal, Document.objects.select_related("blob"))


def document_for(principal: PrincipalLike, document_id: int) -> Document:
    """The document if the principal may see it; otherwise ``NotFound`` (never a hint it exists)."""
    document = Document.objects.select_related("blob").filter(pk=document_id).first()
    if document is None or not policy.may_view(principal, document):
        raise NotFound()
    return document


def document_by_id(document_id: int) -> Document:
    """A document for other contexts' own checks (no visibility filter: they hold the id)."""
    document = Document.objects.select_related("blob").filter(pk=document_id).first()
    if document is None:
        raise NotFound()
    return document
