"""Author, creator and timestamps from PDF and Word files, for collusion checks later.

Pure: no Django. Every document gets the same keys so that two bidders' files compare field by
field; a value the file does not carry is ``None``. Times are UTC ISO 8601 strings (a PDF date
without a time zone is taken as UTC). Extraction never refuses an upload: what cannot be read
is reported under ``"errors"``.

Keys: ``format``, ``author``, ``creator``, ``producer``, ``last_modified_by``, ``created``,
``modified``, ``revision``, ``application``, ``title``, and for PDF ``xmp`` (the XMP values
found, same key names) when the file has an XMP packet.
"""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
from lxml import etree
from pypdf import PdfReader

from yingshang.files.rules import DOCX, PDF

FIELDS = (
    "author",
    "creator",
    "producer",
    "last_modified_by",
    "created",
    "modified",
    "revision",
    "application",
    "title",
)
APP_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
MAX_APP_XML_BYTES = 1024 * 1024


def utc_iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _empty(format_name: str) -> dict[str, Any]:
    return {"format": format_name, **dict.fromkeys(FIELDS), "errors": []}


def _pdf(path: Path) -> dict[str, Any]:
    out = _empty("pdf")
    reader = PdfReader(str(path), strict=False)
    if reader.is_encrypted:
        reader.decrypt("")
    info = reader.metadata
    if info is not None:
        out["author"] = _text(info.author)
        out["creator"] = _text(info.creator)
        out["producer"] = _text(info.producer)
        out["title"] = _text(info.title)
        for key, getter in (("created", "creation_date"), ("modified", "modification_date")):
            try:
                out[key] = utc_iso(getattr(info, getter))
            except (ValueError, TypeError) as exc:
                out["errors"].append(f"{key}: {exc}")
    xmp = reader.xmp_metadata
    if xmp is not None:
        found = {
            "author": ", ".join(xmp.dc_creator or []) or None,
            "creator": _text(xmp.xmp_creator_tool),
            "producer": _text(xmp.pdf_producer),
            "created": utc_iso(xmp.xmp_create_date),
            "modified": utc_iso(xmp.xmp_modify_date),
        }
        out["xmp"] = {k: v for k, v in found.items() if v is not None}
        for key, value in out["xmp"].items():
            if out[key] is None:
                out[key] = value
    return out


def _application(path: Path) -> str | None:
    with zipfile.ZipFile(path) as archive:
        try:
            info = archive.getinfo("docProps/app.xml")
        except KeyError:
            return None
        if info.file_size > MAX_APP_XML_BYTES:
            return None
        raw = archive.read(info)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(raw, parser=parser)
    node = root.find(f"{APP_NS}Application")
    version = root.find(f"{APP_NS}AppVersion")
    name = _text(node.text) if node is not None else None
    if name and version is not None and _text(version.text):
        return f"{name} {_text(version.text)}"
    return name


def _docx(path: Path) -> dict[str, Any]:
    out = _empty("docx")
    props = docx.Document(str(path)).core_properties
    out["author"] = _text(props.author)
    out["last_modified_by"] = _text(props.last_modified_by)
    out["title"] = _text(props.title)
    out["revision"] = props.revision
    out["created"] = utc_iso(props.created)
    out["modified"] = utc_iso(props.modified)
    try:
        out["application"] = _application(path)
    except (etree.XMLSyntaxError, zipfile.BadZipFile, ValueError) as exc:
        out["errors"].append(f"application: {exc}")
    out["creator"] = out["application"]
    return out


def extract_metadata(path: Path, media_type: str) -> dict[str, Any]:
    """The document's metadata as JSON-ready values; ``{}`` for kinds without any."""
    known = {PDF: ("pdf", _pdf), DOCX: ("docx", _docx)}.get(media_type)
    if known is None:
        return {}
    format_name, extractor = known
    try:
        result = extractor(path)
    except Exception as exc:  # a malformed part must not refuse an upload that passed the checks
        result = _empty(format_name)
        result["errors"].append(f"{type(exc).__name__}: {exc}")
    if not result["errors"]:
        del result["errors"]
    return result
