"""Real PDF and Word files with known metadata, made with pypdf and python-docx."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import docx
from pypdf import PdfWriter


def make_pdf(path: Path, *, author: str = "Zhang San") -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata(
        {
            "/Author": author,
            "/Creator": "WPS Writer",
            "/Producer": "Bid Maker 3.1",
            "/CreationDate": "D:20261101083000+08'00'",
            "/ModDate": "D:20261102093000+08'00'",
        }
    )
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def make_docx(path: Path, *, author: str = "Li Si") -> Path:
    document = docx.Document()
    document.add_paragraph("投标函 / letter of bid")
    props = document.core_properties
    props.author = author
    props.last_modified_by = "Wang Wu"
    props.created = datetime(2026, 10, 1, 1, 2, 3, tzinfo=UTC)
    props.modified = datetime(2026, 10, 2, 4, 5, 6, tzinfo=UTC)
    props.revision = 7
    document.save(str(path))
    return path
