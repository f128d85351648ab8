"""The sealed envelope: streaming AES-256-GCM encryption of a bid package with a key commitment, the
content key wrapped to the bidder's encryption certificate (and optionally split k-of-n to custodians),
and a detached signature by the bidder's signing certificate. Pure Python (no Django).

Format and every parameter: docs/envelope.md (format version :data:`FORMAT_VERSION`).
"""

from yingshang.envelope import signatures
from yingshang.envelope.errors import ERROR_CODES, EnvelopeError, SignatureError
from yingshang.envelope.header import (
    CIPHER,
    DEFAULT_CHUNK_SIZE,
    FORMAT_VERSION,
    MAGIC,
    CustodianShare,
    Header,
    Recipient,
    read_header,
)
from yingshang.envelope.sealing import (
    SealResult,
    check_content_key,
    key_commitment,
    open_envelope,
    recover_content_key,
    seal,
    unwrap_content_key,
    unwrap_share,
    verify_envelope,
)
from yingshang.envelope.shamir import Share
from yingshang.envelope.signatures import (
    ECDSA_P256_SHA256,
    ED25519,
    RSA_PSS_SHA256,
    SM2_SM3,
    PrivateKey,
    PublicKey,
    Signature,
    certificate_sha256,
    load_private_key,
    public_key_of_certificate,
    sign,
    signature_algorithm,
    verify,
)
from yingshang.envelope.sm2 import Sm2PrivateKey, Sm2PublicKey
from yingshang.envelope.wrapping import ECDH_P256_HKDF_SHA256_A256KW, RSA_OAEP_SHA256, SM2_ENC

__all__ = [
    "CIPHER",
    "DEFAULT_CHUNK_SIZE",
    "ECDH_P256_HKDF_SHA256_A256KW",
    "ECDSA_P256_SHA256",
    "ED25519",
    "ERROR_CODES",
    "FORMAT_VERSION",
    "MAGIC",
    "RSA_OAEP_SHA256",
    "RSA_PSS_SHA256",
    "SM2_ENC",
    "SM2_SM3",
    "CustodianShare",
    "EnvelopeError",
    "Header",
    "PrivateKey",
    "PublicKey",
    "Recipient",
    "SealResult",
    "Share",
    "Signature",
    "SignatureError",
    "Sm2PrivateKey",
    "Sm2PublicKey",
    "certificate_sha256",
    "check_content_key",
    "key_commitment",
    "load_private_key",
    "open_envelope",
    "public_key_of_certificate",
    "read_header",
    "recover_content_key",
    "seal",
    "sign",
    "signature_algorithm",
    "signatures",
    "unwrap_content_key",
    "unwrap_share",
    "verify",
    "verify_envelope",
]
