"""The demo city's certificate authorities and the demo bidders' certificates.

Three CA vendors from three regions, as the trading centre's mutual recognition accepts them
(each with a root and an issuing intermediate, each carrying the enterprise's USCC in its own
place), imported into the trust store; every demo bidder gets a signing and an encryption
certificate from one of them. Keys and certificates are written under ``var/demo-pki/`` (keys
owner-only) so a newcomer can sign in and seal a bid with the bidder tool::

    var/demo-pki/ca/<vendor>/root.pem, intermediate.pem          (public: the trust anchors)
    var/demo-pki/<username>/signing.pem, signing-key.pem          (the signing certificate and key)
    var/demo-pki/<username>/encryption.pem, encryption-key.pem    (the encryption certificate and key)
    var/demo-pki/<username>/chain.pem                             (the intermediate, for sign-in)
    var/demo-pki/<username>/uscc.txt                              (the organisation's credit code)
    var/demo-pki/open-tender.txt                                  (the open demo tender's and lot's ids)

Idempotent: what exists on disk is loaded, never made again (the trust store keeps the same
CAs, the bidders the same keys). These are demo CAs: a real deployment imports the real CA
vendors' certificates (docs/identity.md).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings

from yingshang.identity import facade as identity
from yingshang.pki import Authority, Issued, UsccRule, Vendor, load_certificate, private_key_pem

#: (directory, vendor name, region, where the USCC goes, key algorithm)
VENDORS: tuple[tuple[str, str, str, str, str], ...] = (
    ("jincheng-ca", "金城数字证书认证中心", "金城市", "serial_number", "ECDSA-P256"),
    ("huadong-ca", "华东数字认证有限公司", "上海市", "ou", "RSA-2048"),
    ("xibu-ca", "西部安全认证中心", "甘肃省", "extension", "ECDSA-P256"),
)
#: When the demo CAs were founded (their certificates are valid for ten years from then).
FOUNDED = dt.datetime(2025, 1, 2, 1, 0, tzinfo=dt.UTC)


def root_dir() -> Path:
    return Path(settings.VAR_DIR) / "demo-pki"


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    staged.replace(path)


def _load_authority(folder: Path, stem: str, name: str, parent: Authority | None) -> Authority | None:
    cert, key = folder / f"{stem}.pem", folder / f"{stem}-key.pem"
    if not (cert.exists() and key.exists()):
        return None
    private = load_pem_private_key(key.read_bytes(), password=None)
    return Authority(name, load_certificate(cert.read_bytes()), private, parent)  # type: ignore[arg-type]


def _save_authority(folder: Path, stem: str, authority: Authority) -> None:
    _write(folder / f"{stem}.pem", authority.pem)
    _write(folder / f"{stem}-key.pem", private_key_pem(authority.private_key), secret=True)


def vendor(directory: str, name: str, region: str, rule: str, algorithm: str) -> Vendor:
    folder = root_dir() / "ca" / directory
    root = _load_authority(folder, "root", name, None)
    intermediate = _load_authority(folder, "intermediate", f"{name} Issuing CA 1", root) if root else None
    if root is not None and intermediate is not None:
        return Vendor(
            name=name, region=region, rule=UsccRule.parse(rule), root=root, intermediate=intermediate
        )
    made = Vendor.create(name, now=FOUNDED, region=region, rule=rule, algorithm=algorithm)  # type: ignore[arg-type]
    _save_authority(folder, "root", made.root)
    _save_authority(folder, "intermediate", made.intermediate)
    return made


@dataclass(frozen=True)
class BidderKeys:
    username: str
    folder: Path
    signing: Issued
    encryption: Issued


def _load_issued(folder: Path, stem: str, issuer: Authority) -> Issued | None:
    cert, key = folder / f"{stem}.pem", folder / f"{stem}-key.pem"
    if not (cert.exists() and key.exists()):
        return None
    private = load_pem_private_key(key.read_bytes(), password=None)
    return Issued(load_certificate(cert.read_bytes()), private, issuer, stem)  # type: ignore[arg-type]


def bidder_keys(
    username: str, organisation_name: str, uscc: str, made_by: Vendor, *, algorithm: str, now: dt.datetime
) -> BidderKeys:
    """The bidder's signing and encryption certificates (made once, valid two years)."""
    folder = root_dir() / username
    issued: dict[str, Issued] = {}
    for usage in ("signing", "encryption"):
        found = _load_issued(folder, usage, made_by.intermediate)
        if found is None:
            found = made_by.issue_leaf(
                organisation_name,
                uscc,
                usage=usage,
                now=now,
                algorithm=algorithm,  # type: ignore[arg-type]
                not_after=now + dt.timedelta(days=730),
            )
            _write(folder / f"{usage}.pem", found.pem)
            _write(folder / f"{usage}-key.pem", found.private_key_pem(), secret=True)
        issued[usage] = found
    _write(folder / "chain.pem", made_by.intermediate.pem)
    _write(folder / "uscc.txt", (uscc + "\n").encode())
    return BidderKeys(username, folder, issued["signing"], issued["encryption"])


def ensure_trust_store() -> list[Vendor]:
    """The demo vendors, made or loaded, with their roots and intermediates in the trust store."""
    vendors = [vendor(*spec) for spec in VENDORS]
    for made, spec in zip(vendors, VENDORS, strict=True):
        for authority in made.authorities:
            identity.ensure_authority(
                certificate=authority.der, vendor=made.name, region=made.region, uscc_rule=spec[3]
            )
    return vendors
