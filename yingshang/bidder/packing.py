"""``pack``: the bid documents and a manifest in one zip file (the plaintext that ``seal`` encrypts).

Layout of the zip::

    manifest.json            # see MANIFEST_FORMAT below
    documents/<name>         # every bid document, with its path relative to the folder packed

``manifest.json``::

    {"format": "yingshang-bid-package/1",
     "tender": "12", "lot": "3", "bidder": "<USCC>",
     "opening_sheet": {"price_fen": 123456789,
                       "price_uppercase": "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分",
                       "duration_days": 180, "quality": "合格", "project_manager": "张三"},
     "tool": {"name": "yingshang-bidder", "version": "0.1.0"},
     "packed_at": "2026-11-30T12:00:00Z",        # the tool's clock: a claim, not evidence
     "files": [{"path": "documents/bid.pdf", "size": 1234, "sha256": "<hex>"}],
     "feature_codes": {...}}                      # yingshang.bidder.features.collect
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from yingshang.bidder import TOOL_NAME, __version__, features
from yingshang.bidder.errors import InputError
from yingshang.bidder.files import HASH_BLOCK, atomic_output, sha256_file
from yingshang.bidder.uppercase import uppercase_yuan

MANIFEST_FORMAT = "yingshang-bid-package/1"
MANIFEST_NAME = "manifest.json"
DOCUMENTS_DIR = "documents"
USCC_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
MAX_PRICE_FEN = 10**17


@dataclass(frozen=True)
class OpeningSheet:
    """The figures read out at the opening (开标一览表)."""

    price_fen: int
    duration_days: int
    quality: str
    project_manager: str

    def validate(self) -> None:
        if isinstance(self.price_fen, bool) or not isinstance(self.price_fen, int):
            raise InputError("the price must be a whole number of fen", code="bad_price")
        if not 0 < self.price_fen < MAX_PRICE_FEN:
            raise InputError("the price must be more than 0 fen", code="bad_price")
        if isinstance(self.duration_days, bool) or not isinstance(self.duration_days, int):
            raise InputError("the duration must be a whole number of days", code="bad_duration")
        if self.duration_days <= 0:
            raise InputError("the duration must be at least 1 day", code="bad_duration")
        if not self.quality.strip():
            raise InputError("the quality commitment must not be empty", code="bad_quality")
        if not self.project_manager.strip():
            raise InputError("the project manager must not be empty", code="bad_project_manager")

    def as_json(self) -> dict[str, Any]:
        return {
            "price_fen": self.price_fen,
            "price_uppercase": uppercase_yuan(self.price_fen),
            "duration_days": self.duration_days,
            "quality": self.quality.strip(),
            "project_manager": self.project_manager.strip(),
        }


@dataclass(frozen=True)
class PackResult:
    path: Path
    manifest: dict[str, Any]
    sha256: str
    size: int


def collect_documents(inputs: Sequence[Path], *, exclude: Sequence[Path] = ()) -> list[tuple[Path, str]]:
    """Pairs (local path, name inside the package) for folders (walked) and single files, sorted."""
    if not inputs:
        raise InputError("name a folder or the files of the bid", code="no_documents")
    skip = {Path(p).resolve() for p in exclude}
    found: dict[str, Path] = {}

    def add(path: Path, relative: PurePosixPath) -> None:
        if path.resolve() in skip or path.name.startswith(".") or path.name.endswith(".part"):
            return
        name = f"{DOCUMENTS_DIR}/{relative.as_posix()}"
        if name in found:
            raise InputError(f"two documents would both be stored as {name}", code="duplicate_name")
        found[name] = path

    for given in inputs:
        item = Path(given)
        if item.is_dir():
            for path in sorted(item.rglob("*")):
                relative = path.relative_to(item)
                if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                    add(path, PurePosixPath(*relative.parts))
        elif item.is_file():
            add(item, PurePosixPath(item.name))
        elif item.exists():
            raise InputError(f"{item} is neither a file nor a folder", code="bad_input")
        else:
            raise InputError(f"{item}: no such file or folder", code="missing_file")
    if not found:
        raise InputError("no document found to pack", code="no_documents")
    return [(path, name) for name, path in sorted(found.items())]


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def pack(
    inputs: Sequence[Path],
    output: Path,
    *,
    tender: str,
    lot: str,
    bidder: str,
    sheet: OpeningSheet,
    sources: features.Sources | None = None,
    overwrite: bool = False,
) -> PackResult:
    """Write the bid package to ``output`` (all or nothing) and return its manifest."""
    tender, lot, bidder = str(tender).strip(), str(lot).strip(), str(bidder).strip().upper()
    if not tender or not lot:
        raise InputError("the tender and the lot must be given", code="bad_tender")
    if not USCC_PATTERN.match(bidder):
        raise InputError(f"{bidder!r} is not a unified social credit code (18 characters)", code="bad_bidder")
    sheet.validate()
    output = Path(output)
    documents = collect_documents(inputs, exclude=[output])
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "tender": tender,
        "lot": lot,
        "bidder": bidder,
        "opening_sheet": sheet.as_json(),
        "tool": {"name": TOOL_NAME, "version": __version__},
        "packed_at": _now(),
        "files": [],
    }
    with (
        atomic_output(output, overwrite=overwrite) as handle,
        zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
    ):
        for path, name in documents:
            digest = hashlib.sha256()
            size = 0
            try:
                with open(path, "rb") as source, archive.open(name, "w", force_zip64=True) as target:
                    while block := source.read(HASH_BLOCK):
                        digest.update(block)
                        size += len(block)
                        target.write(block)
            except OSError as exc:
                raise InputError(f"{path}: cannot read: {exc.strerror or exc}", code="unreadable") from exc
            manifest["files"].append({"path": name, "size": size, "sha256": digest.hexdigest()})
        manifest["feature_codes"] = features.collect(documents, sources=sources)
        archive.writestr(
            MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        )
    sha256, size = sha256_file(output)
    return PackResult(path=output, manifest=manifest, sha256=sha256, size=size)


def read_manifest(package: Path) -> dict[str, Any]:
    """The manifest of a package made by ``pack`` (``InputError`` if it is not one)."""
    try:
        with zipfile.ZipFile(package) as archive:
            raw = archive.read(MANIFEST_NAME)
    except FileNotFoundError as exc:
        raise InputError(f"{package}: no such file", code="missing_file") from exc
    except KeyError as exc:
        raise InputError(
            f"{package} has no {MANIFEST_NAME}: make it with `pack`", code="bad_package"
        ) from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{package} is not a bid package (zip): {exc}", code="bad_package") from exc
    try:
        manifest = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{package}: {MANIFEST_NAME} is not valid JSON", code="bad_package") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise InputError(f"{package}: unknown manifest format", code="bad_package")
    return manifest
