"""SM2 keys (GB/T 32918) as small value classes, encoded like any other EC key. Pure.

``cryptography`` cannot load SM2 keys, so SM2 keys are parsed and written with ``asn1crypto``
and the arithmetic is done by ``gmalg``:

* public keys: SubjectPublicKeyInfo, algorithm ``id-ecPublicKey`` (1.2.840.10045.2.1) with the named
  curve ``sm2p256v1`` (1.2.156.10197.1.301) as parameters; the algorithm OID 1.2.156.10197.1.301 itself
  is accepted on input too;
* private keys: PKCS#8 PrivateKeyInfo with the same algorithm identifier wrapping an RFC 5915
  ECPrivateKey (the 32-byte scalar and the public point); SEC1 ``EC PRIVATE KEY`` is accepted on input.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import gmalg
from asn1crypto import algos, core, keys, pem
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from yingshang.envelope.errors import EnvelopeError

__all__ = [
    "SM2_CURVE_OID",
    "SM2_SIGNATURE_OID",
    "SM2_USER_ID",
    "Sm2PrivateKey",
    "Sm2PublicKey",
    "gmalg_random",
]

SM2_CURVE_OID = "1.2.156.10197.1.301"
SM2_SIGNATURE_OID = "1.2.156.10197.1.501"  # SM2 with SM3, used in certificates
SM2_USER_ID = b"1234567812345678"
SM2_ORDER = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_7203DF6B_21C6052B_53BBF409_39D54123
SM2_P = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_00000000_FFFFFFFF_FFFFFFFF
SM2_A = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_00000000_FFFFFFFF_FFFFFFFC
SM2_B = 0x28E9FA9E_9D9F5E34_4D5A9E4B_CF6509A7_F39789F5_15AB8F92_DDBCBD41_4D940E93
_CURVE_NAME = "sm2p256v1"

if SM2_CURVE_OID not in keys.NamedCurve._map:
    keys.NamedCurve.register(_CURVE_NAME, SM2_CURVE_OID, 32)
_CURVE_NAME = keys.NamedCurve._map[SM2_CURVE_OID]


def gmalg_random(rng: Callable[[int], bytes] | None) -> Callable[[int], int] | None:
    """Adapt a byte source to gmalg's ``rnd_fn(bits) -> int`` (None: gmalg's own ``secrets``)."""
    if rng is None:
        return None
    source = rng

    def rnd(bits: int) -> int:
        size = (bits + 7) // 8
        return int.from_bytes(source(size), "big") >> (8 * size - bits)

    return rnd


def _domain() -> keys.ECDomainParameters:
    return keys.ECDomainParameters(name="named", value=_CURVE_NAME)


def is_sm2_algorithm(algorithm: keys.PublicKeyAlgorithm | keys.PrivateKeyAlgorithm) -> bool:
    """Whether an asn1crypto algorithm identifier names an SM2 key."""
    if algorithm["algorithm"].dotted == SM2_CURVE_OID:
        return True
    if algorithm["algorithm"].dotted != "1.2.840.10045.2.1":
        return False
    parameters = algorithm["parameters"]
    return parameters.name == "named" and parameters.chosen.dotted == SM2_CURVE_OID


@dataclass(frozen=True)
class Sm2PublicKey:
    """An SM2 public key: the uncompressed point ``04 || x || y`` (65 bytes)."""

    point: bytes

    def __post_init__(self) -> None:
        if len(self.point) != 65 or self.point[0] != 4:
            raise EnvelopeError("bad_key", "an SM2 public key is an uncompressed point of 65 bytes")
        x = int.from_bytes(self.point[1:33], "big")
        y = int.from_bytes(self.point[33:], "big")
        # on the curve (the SM2 curve has cofactor 1: a point on it is in the group)
        if not (x < SM2_P and y < SM2_P and (y * y - (x * x * x + SM2_A * x + SM2_B)) % SM2_P == 0):
            raise EnvelopeError("bad_key", "the SM2 public key is not a point of the SM2 curve")

    @classmethod
    def from_spki(cls, info: keys.PublicKeyInfo) -> Sm2PublicKey:
        if not is_sm2_algorithm(info["algorithm"]):
            raise EnvelopeError("bad_key", "not an SM2 public key")
        return cls(bytes(info["public_key"]))

    @classmethod
    def from_der(cls, der: bytes) -> Sm2PublicKey:
        """From a DER SubjectPublicKeyInfo."""
        try:
            info = keys.PublicKeyInfo.load(der)
            info.native  # noqa: B018 - forces a full parse
        except Exception as exc:
            raise EnvelopeError("bad_key", "not a DER SubjectPublicKeyInfo") from exc
        return cls.from_spki(info)

    def public_bytes_der(self) -> bytes:
        """DER SubjectPublicKeyInfo (id-ecPublicKey, named curve sm2p256v1)."""
        info = keys.PublicKeyInfo(
            {
                "algorithm": keys.PublicKeyAlgorithm({"algorithm": "ec", "parameters": _domain()}),
                "public_key": self.point,
            }
        )
        return bytes(info.dump())

    def public_bytes_pem(self) -> bytes:
        return bytes(pem.armor("PUBLIC KEY", self.public_bytes_der()))


@dataclass(frozen=True, repr=False)
class Sm2PrivateKey:
    """An SM2 private key: the 32-byte big-endian scalar (1 <= d <= n - 2)."""

    scalar: bytes
    _public: Sm2PublicKey | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        value = int.from_bytes(self.scalar, "big")
        if len(self.scalar) != 32 or not 1 <= value <= SM2_ORDER - 2:
            raise EnvelopeError("bad_key", "an SM2 private key is a 32-byte scalar in [1, n-2]")

    def __repr__(self) -> str:
        return "Sm2PrivateKey(<secret>)"

    @classmethod
    def generate(cls, rng: Callable[[int], bytes] | None = None) -> Sm2PrivateKey:
        """A new key; ``rng`` (n bytes -> bytes) only for reproducible tests and vectors."""
        source = rng or os.urandom
        while True:
            value = int.from_bytes(source(32), "big")
            if 1 <= value <= SM2_ORDER - 2:
                return cls(value.to_bytes(32, "big"))

    def public_key(self) -> Sm2PublicKey:
        if self._public is None:  # computed once per key object (a scalar multiplication)
            object.__setattr__(self, "_public", Sm2PublicKey(gmalg.SM2().generate_pk(self.scalar)))
        assert self._public is not None
        return self._public

    def _ec_private_key(self) -> keys.ECPrivateKey:
        ec_key = keys.ECPrivateKey(
            {
                "version": "ecPrivkeyVer1",
                "private_key": int.from_bytes(self.scalar, "big"),
                "public_key": self.public_key().point,
            }
        )
        ec_key["private_key"].set_encoded_width(32)  # RFC 5915: the full 32 bytes
        return ec_key

    def private_bytes_der(self, password: bytes | None = None) -> bytes:
        """PKCS#8 PrivateKeyInfo, DER; with ``password`` an EncryptedPrivateKeyInfo (PBES2,
        PBKDF2-HMAC-SHA256 with a 16-byte salt and 600 000 iterations, AES-256-CBC), as OpenSSL writes."""
        info = keys.PrivateKeyInfo(
            {
                "version": 0,
                "private_key_algorithm": keys.PrivateKeyAlgorithm(
                    {"algorithm": "ec", "parameters": _domain()}
                ),
                "private_key": self._ec_private_key(),
            }
        )
        if password is None:
            return bytes(info.dump())
        return _encrypt_pkcs8(bytes(info.dump()), password)

    def private_bytes_pem(self, password: bytes | None = None) -> bytes:
        """PKCS#8, PEM (``PRIVATE KEY``, or ``ENCRYPTED PRIVATE KEY`` with ``password``)."""
        kind = "PRIVATE KEY" if password is None else "ENCRYPTED PRIVATE KEY"
        return bytes(pem.armor(kind, self.private_bytes_der(password)))

    @classmethod
    def _from_ec_private_key(cls, ec_key: keys.ECPrivateKey) -> Sm2PrivateKey:
        value = ec_key["private_key"].native
        if not isinstance(value, int):
            raise EnvelopeError("bad_key", "malformed EC private key")
        key = cls(value.to_bytes(32, "big"))
        public = ec_key["public_key"]
        if public.native is not None and bytes(public) != key.public_key().point:
            raise EnvelopeError("bad_key", "the SM2 private key does not match its public point")
        return key

    @classmethod
    def from_der(cls, der: bytes, password: bytes | None = None) -> Sm2PrivateKey:
        """From PKCS#8 (SM2 algorithm identifier; PBES2-encrypted when ``password`` is given) or
        SEC1 ECPrivateKey naming sm2p256v1."""
        if password is not None:
            der = _decrypt_pkcs8(der, password)
        try:
            info = keys.PrivateKeyInfo.load(der)
            algorithm = info["private_key_algorithm"]
            algorithm.native  # noqa: B018
        except Exception:
            info = None
        if info is not None:
            if not is_sm2_algorithm(algorithm):
                raise EnvelopeError("bad_key", "not an SM2 private key")
            try:
                ec_key = keys.ECPrivateKey.load(bytes(info["private_key"]))
                ec_key.native  # noqa: B018
            except EnvelopeError:
                raise
            except Exception as exc:
                raise EnvelopeError("bad_key", "malformed SM2 private key") from exc
            return cls._from_ec_private_key(ec_key)
        try:
            ec_key = keys.ECPrivateKey.load(der)
            parameters = ec_key["parameters"]
            ec_key.native  # noqa: B018
        except Exception as exc:
            raise EnvelopeError("bad_key", "not a PKCS#8 or SEC1 private key") from exc
        if parameters.native is None or parameters.chosen.dotted != SM2_CURVE_OID:
            raise EnvelopeError("bad_key", "not an SM2 private key")
        return cls._from_ec_private_key(ec_key)

    @classmethod
    def from_pem(cls, data: bytes, password: bytes | None = None) -> Sm2PrivateKey:
        try:
            _kind, _headers, der = pem.unarmor(data)
        except Exception as exc:
            raise EnvelopeError("bad_key", "not a PEM private key") from exc
        return cls.from_der(bytes(der), password)


PBKDF2_ITERATIONS = 600_000
_HMACS: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def _pbkdf2(password: bytes, salt: bytes, iterations: int, length: int, hmac: str) -> bytes:
    return PBKDF2HMAC(algorithm=_HMACS[hmac](), length=length, salt=salt, iterations=iterations).derive(
        password
    )


def _encrypt_pkcs8(der: bytes, password: bytes) -> bytes:
    salt, iv = os.urandom(16), os.urandom(16)
    key = _pbkdf2(password, salt, PBKDF2_ITERATIONS, 32, "sha256")
    padder = padding.PKCS7(128).padder()
    padded = padder.update(der) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    algorithm = algos.EncryptionAlgorithm(
        {
            "algorithm": "pbes2",
            "parameters": {
                "key_derivation_func": {
                    "algorithm": "pbkdf2",
                    "parameters": {
                        "salt": algos.Pbkdf2Salt(name="specified", value=salt),
                        "iteration_count": PBKDF2_ITERATIONS,
                        "prf": {"algorithm": "sha256", "parameters": core.Null()},
                    },
                },
                "encryption_scheme": {"algorithm": "aes256_cbc", "parameters": iv},
            },
        }
    )
    info = keys.EncryptedPrivateKeyInfo(
        {"encryption_algorithm": algorithm, "encrypted_data": encryptor.update(padded) + encryptor.finalize()}
    )
    return bytes(info.dump())


def _decrypt_pkcs8(der: bytes, password: bytes) -> bytes:
    """Decrypt a PBES2 (PBKDF2, AES-CBC) EncryptedPrivateKeyInfo; ``bad_key`` for anything else and for
    a wrong password."""
    try:
        info = keys.EncryptedPrivateKeyInfo.load(der)
        algorithm = info["encryption_algorithm"]
        supported = (algorithm.kdf, algorithm.encryption_cipher, algorithm.encryption_mode) == (
            "pbkdf2",
            "aes",
            "cbc",
        )
    except Exception as exc:
        raise EnvelopeError("bad_key", "not an encrypted PKCS#8 private key") from exc
    if not supported:
        raise EnvelopeError("bad_key", "encrypted SM2 keys need PBES2 with PBKDF2 and AES-CBC")
    try:
        key = _pbkdf2(
            password, algorithm.kdf_salt, algorithm.kdf_iterations, algorithm.key_length, algorithm.kdf_hmac
        )
        decryptor = Cipher(algorithms.AES(key), modes.CBC(algorithm.encryption_iv)).decryptor()
        padded = decryptor.update(bytes(info["encrypted_data"].native)) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except Exception as exc:
        raise EnvelopeError("bad_key", "cannot decrypt the private key (wrong password?)") from exc
