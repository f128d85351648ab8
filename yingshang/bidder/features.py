"""Feature codes of the machine that packs a bid, and the metadata of its documents.

They travel raw inside the sealed package (only the bid's key opens it); at the opening the
server replaces every value by a keyed hash (HMAC with a platform key) and keeps no raw value,
so two bids made on the same machine or from the same files can be compared without anyone
keeping the personal data.

Collecting never fails: a source the operating system does not give (no ``/sys/class/net``, an
unreadable ``/etc/machine-id``, a malformed PDF) is recorded under ``unavailable`` with the
reason, and the other sources are still collected.

Shape (every value a string, a list of strings, or ``None``)::

    {"tool_version": "0.1.0",
     "host_name": "...", "user_name": "...", "user_id": "1000",
     "mac_addresses": ["52:54:00:12:34:56", ...],      # sorted, without 00:00:00:00:00:00
     "processors": ["Intel(R) Xeon(R) ...", "serial:..."],
     "disks": ["ata-Samsung_SSD_870_..."],              # /dev/disk/by-id, whole disks only
     "machine_id": "...",                               # /etc/machine-id
     "documents": [{"path": "documents/x.pdf", "format": "pdf", "author": ..., ...}],
     "unavailable": {"disks": "no /dev/disk/by-id", ...}}
"""

from __future__ import annotations

import getpass
import os
import platform
import socket
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from yingshang.bidder import __version__

PDF_FIELDS = ("author", "creator", "producer", "created", "modified")
DOCX_FIELDS = ("author", "last_modified_by", "created", "modified", "revision")
NULL_MAC = "00:00:00:00:00:00"


@dataclass(frozen=True)
class Sources:
    """Where the operating system keeps each identifier (tests point these at a folder of their own)."""

    net: Path = Path("/sys/class/net")
    cpuinfo: Path = Path("/proc/cpuinfo")
    disks: Path = Path("/dev/disk/by-id")
    machine_id: Path = Path("/etc/machine-id")
    use_getnode: bool = True


def _mac_addresses(sources: Sources, unavailable: dict[str, str]) -> list[str]:
    found: set[str] = set()
    try:
        interfaces = sorted(os.listdir(sources.net))
    except OSError as exc:
        interfaces = []
        reason = f"{sources.net}: {exc.strerror or exc}"
    else:
        reason = f"no network card address under {sources.net}"
    for name in interfaces:
        try:
            address = (sources.net / name / "address").read_text(encoding="ascii").strip().lower()
        except (OSError, UnicodeDecodeError):
            continue
        if address and address != NULL_MAC:
            found.add(address)
    if not found and sources.use_getnode:
        node = uuid.getnode()
        if not node >> 40 & 1:  # the multicast bit marks a random number: no real address was found
            found.add(":".join(f"{node >> shift & 0xFF:02x}" for shift in range(40, -1, -8)))
    if not found:
        unavailable["mac_addresses"] = reason
    return sorted(found)


def _processors(sources: Sources, unavailable: dict[str, str]) -> list[str]:
    found: list[str] = []
    try:
        text = sources.cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        text = ""
        reason = f"{sources.cpuinfo}: {exc.strerror or exc}"
    else:
        reason = f"no model name or serial in {sources.cpuinfo}"
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not value:
            continue
        if key in ("model name", "hardware", "cpu model"):
            entry = value
        elif key == "serial":
            entry = f"serial:{value}"
        else:
            continue
        if entry not in found:
            found.append(entry)
    if not found:
        fallback = platform.processor()
        if fallback:
            found.append(fallback)
    if not found:
        unavailable["processors"] = reason
    return found


def _disks(sources: Sources, unavailable: dict[str, str]) -> list[str]:
    try:
        names = sorted(os.listdir(sources.disks))
    except OSError as exc:
        unavailable["disks"] = f"{sources.disks}: {exc.strerror or exc}"
        return []
    whole = [name for name in names if "-part" not in name]
    if not whole:
        unavailable["disks"] = f"no disk identifier under {sources.disks}"
    return whole


def _machine_id(sources: Sources, unavailable: dict[str, str]) -> str | None:
    try:
        value = sources.machine_id.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        unavailable["machine_id"] = f"{sources.machine_id}: {getattr(exc, 'strerror', None) or exc}"
        return None
    if not value:
        unavailable["machine_id"] = f"{sources.machine_id} is empty"
        return None
    return value


def _host_and_user(unavailable: dict[str, str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {"host_name": None, "user_name": None, "user_id": None}
    try:
        out["host_name"] = socket.gethostname() or None
    except OSError as exc:
        unavailable["host_name"] = str(exc)
    if out["host_name"] is None:
        unavailable.setdefault("host_name", "the system gives no host name")
    try:
        out["user_name"] = getpass.getuser() or None
    except (OSError, KeyError, ImportError) as exc:
        unavailable["user_name"] = f"{type(exc).__name__}: {exc}"
    getuid = getattr(os, "getuid", None)
    if getuid is not None:
        out["user_id"] = str(getuid())
    else:
        unavailable["user_id"] = "the system has no numeric user id"
    return out


def _utc_iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def sniff_format(path: Path) -> str | None:
    """``"pdf"``, ``"docx"`` or ``None``, from the content (not the file name)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except OSError:
        return None
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except (zipfile.BadZipFile, OSError):
            return None
    return None


def _pdf_metadata(path: Path, out: dict[str, Any]) -> None:
    from pypdf import PdfReader

    reader = PdfReader(str(path), strict=False)
    if reader.is_encrypted:
        reader.decrypt("")
    info = reader.metadata
    if info is None:
        return
    out["author"] = _text(info.get("/Author"))
    out["creator"] = _text(info.get("/Creator"))
    out["producer"] = _text(info.get("/Producer"))
    for key, raw_key, getter in (
        ("created", "/CreationDate", "creation_date"),
        ("modified", "/ModDate", "modification_date"),
    ):
        try:
            out[key] = _utc_iso(getattr(info, getter))
        except (ValueError, TypeError):
            out[key] = _text(info.get(raw_key))  # an unparsable date travels as written


def _docx_metadata(path: Path, out: dict[str, Any]) -> None:
    import docx

    props = docx.Document(str(path)).core_properties
    out["author"] = _text(props.author)
    out["last_modified_by"] = _text(props.last_modified_by)
    out["created"] = _utc_iso(props.created)
    out["modified"] = _utc_iso(props.modified)
    out["revision"] = str(props.revision) if props.revision is not None else None


def document_metadata(path: Path, name: str) -> dict[str, Any] | None:
    """The metadata of a PDF or Word file (``None`` for other kinds); errors recorded, never raised."""
    kind = sniff_format(path)
    if kind is None:
        return None
    fields = PDF_FIELDS if kind == "pdf" else DOCX_FIELDS
    out: dict[str, Any] = {"path": name, "format": kind, **dict.fromkeys(fields)}
    try:
        (_pdf_metadata if kind == "pdf" else _docx_metadata)(path, out)
    except Exception as exc:  # a malformed document must not stop the packing
        out["error"] = f"{type(exc).__name__}: {exc}"[:500]
    return out


def collect(documents: Iterable[tuple[Path, str]] = (), *, sources: Sources | None = None) -> dict[str, Any]:
    """The feature codes of this machine and of ``documents`` (pairs of local path, name in the package)."""
    sources = sources or Sources()
    unavailable: dict[str, str] = {}
    codes: dict[str, Any] = {"tool_version": __version__}
    codes.update(_host_and_user(unavailable))
    codes["mac_addresses"] = _mac_addresses(sources, unavailable)
    codes["processors"] = _processors(sources, unavailable)
    codes["disks"] = _disks(sources, unavailable)
    codes["machine_id"] = _machine_id(sources, unavailable)
    codes["documents"] = [
        meta for path, name in documents if (meta := document_metadata(path, name)) is not None
    ]
    codes["unavailable"] = unavailable
    return codes
