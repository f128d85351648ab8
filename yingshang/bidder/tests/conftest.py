from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from yingshang.bidder.tests.stub_server import StubPlatform
from yingshang.pki import Issued, Vendor

USCC = "91310000MA1K000000"
NOW = datetime.now(UTC)


@dataclass
class Credentials:
    signing: Issued
    encryption: Issued
    cert: Path
    key: Path
    enc_cert: Path
    enc_key: Path


@pytest.fixture(scope="session")
def vendor() -> Vendor:
    return Vendor.create("Bidder Test CA", now=NOW, rule="serial_number")


def write_credentials(folder: Path, vendor: Vendor, algorithm: str = "ECDSA-P256") -> Credentials:
    signing = vendor.issue_leaf("Acme Ltd", USCC, usage="signing", now=NOW, algorithm=algorithm)  # type: ignore[arg-type]
    encryption = vendor.issue_leaf("Acme Ltd", USCC, usage="encryption", now=NOW, algorithm=algorithm)  # type: ignore[arg-type]
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "cert": signing.pem + vendor.intermediate.pem,
        "key": signing.private_key_pem(),
        "enc_cert": encryption.pem,
        "enc_key": encryption.private_key_pem(),
    }
    for name, data in paths.items():
        (folder / f"{name}.pem").write_bytes(data)
    return Credentials(
        signing,
        encryption,
        folder / "cert.pem",
        folder / "key.pem",
        folder / "enc_cert.pem",
        folder / "enc_key.pem",
    )


@pytest.fixture
def credentials(tmp_path: Path, vendor: Vendor) -> Credentials:
    return write_credentials(tmp_path / "pki", vendor)


@pytest.fixture
def platform() -> Iterator[StubPlatform]:
    server = StubPlatform().start()
    yield server
    server.stop()
