"""SM2 against another implementation: values produced once by OpenSSL 3.0 (`openssl pkeyutl`) for the
test key ``sm2_key()`` (scalar 2000), kept here as constants so the test needs no OpenSSL binary.

    openssl pkeyutl -sign -rawin -digest sm3 -pkeyopt distid:1234567812345678 -inkey key.pem -in msg
    openssl pkeyutl -encrypt -pubin -inkey pub.pem -in k32        (DER SM2Ciphertext: x, y, C3, C2)
"""

from __future__ import annotations

import pytest
from asn1crypto import algos, core

from yingshang.envelope import SM2_ENC, SM2_SM3, EnvelopeError, Signature, load_private_key, verify
from yingshang.envelope.tests.certs import certificate, sm2_key
from yingshang.envelope.wrapping import Wrapped, unwrap_key

MESSAGE = b"hello sm2"
OPENSSL_SIGNATURE = bytes.fromhex(
    "3045022100acbc385f810be3d9df4d16b5c6c56bf6b9e2b84cf778317a5fc7df3f1a85acef0220220f9dfa1f221a0f27f0f2"
    "4cccee6c7e5ed7d6fbe6669bdd04207d94640e7426"
)
PLAIN_KEY = bytes.fromhex("f5ef0396a411296105e89e6feca97eed3ba2b99cae7b80f9a3371443aa878f2e")
OPENSSL_CIPHERTEXT = bytes.fromhex(
    "30818a022100876d38be298f503cabfa38b4d39cda42ea83e31c99912452f471c33bdd554bcc02210086c412be8adb9333"
    "168492023ea33d4214bd6bb36a1aa28c3eac15e57d425e280420fb9123932800853a9a242fbfa60f022f85f457cc636178"
    "7a8ea59bbb9d8bcd510420481fe9994abf92458826d0d5275a8b64a353c5965e30737f6b4840ffd45ea2af"
)


# openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:secret (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC)
OPENSSL_ENCRYPTED_KEY = b"""-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjheN6uh+i4zwICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEIiUgUs4W45vSthmj841N5kEgZAr
mg8x9M4PuBjrEZVz5eAiZr9FltsrWzTB5QvDnyRfH7qla2t3sNTxrlSUF+kyWX+o
exhI7fLW+Nhq8taAK3CK8ambcQ9zuvED+l+OkuR6EzC96BYH3P97FH8htssstlah
+I1CXQrKPmC8adZAr4NKsn8JZsQ6zMmDcAJ1hQbHFnlmD5fPeAcwYbFcgyaERCA=
-----END ENCRYPTED PRIVATE KEY-----
"""


class Sm2Ciphertext(core.Sequence):
    _fields = [
        ("x", core.Integer),
        ("y", core.Integer),
        ("hash", core.OctetString),
        ("ciphertext", core.OctetString),
    ]


def test_an_openssl_sm2_signature_verifies():
    parsed = algos.DSASignature.load(OPENSSL_SIGNATURE)
    raw = parsed["r"].native.to_bytes(32, "big") + parsed["s"].native.to_bytes(32, "big")
    verify(sm2_key().public_key(), MESSAGE, Signature(SM2_SM3, raw))


def test_an_openssl_sm2_ciphertext_opens_in_c1_c3_c2_order():
    parsed = Sm2Ciphertext.load(OPENSSL_CIPHERTEXT)
    c1 = b"\x04" + parsed["x"].native.to_bytes(32, "big") + parsed["y"].native.to_bytes(32, "big")
    value = c1 + parsed["hash"].native + parsed["ciphertext"].native  # C1 || C3 || C2
    wrapped = Wrapped(SM2_ENC, certificate(sm2_key()), value)
    assert unwrap_key(wrapped, sm2_key()) == PLAIN_KEY


def test_an_openssl_encrypted_sm2_key_loads():
    assert load_private_key(OPENSSL_ENCRYPTED_KEY, b"secret") == sm2_key()
    with pytest.raises(EnvelopeError) as caught:
        load_private_key(OPENSSL_ENCRYPTED_KEY, b"wrong")
    assert caught.value.code == "bad_key"
