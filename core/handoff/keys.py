"""Signer keys: Ed25519 key pairs, the password-encrypted private key, signing payloads and ``.pub`` files.

* Each signer has an Ed25519 key pair (the ``cryptography`` package).
* The private key is encrypted with AES-256-GCM under a key derived from the signer's password with
  scrypt at FIXED parameters (:data:`SCRYPT_N`, :data:`SCRYPT_R`, :data:`SCRYPT_P`).  The parameters are
  constants of this module and are never read from a file, so a crafted profile cannot make unlocking
  take hours.  A wrong password fails the GCM tag check.
* A signature signs :func:`signing_payload`: a fixed prefix and the canonical JSON of the content hash,
  the audit-chain head at the moment of signing (seq and hash), the meaning, the signer's printed name,
  the UTC time and the override reason (null when none).
* The fingerprint of a public key is the SHA-256 (hex) of its 32 raw bytes.
* A ``.pub`` file (:func:`public_key_text`) is a small text file with the signer's name, fingerprint and
  base64 public key; a folder of them is a set of trusted signers (:func:`load_trusted_keys`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.assessment.store.signoff_records import signature_payload, signature_verifies
from core.errors import PreflightError

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 17, 8, 1
SCRYPT_MAXMEM = 256 * 1024 * 1024  # scrypt needs 128 * N * r bytes = 128 MiB at these parameters
KDF_LABEL = "scrypt N=2^17 r=8 p=1, AES-256-GCM"
PUB_HEADER = "preflight-signer-public-key v1"
MAX_PUB_FILE_BYTES = 4096
MAX_TRUSTED_FILES = 10_000
MIN_PASSWORD_LENGTH = 8

#: Tests only: a lower scrypt N so that a test suite does not spend 0.4 s per key derivation.  Production
#: code never sets it and nothing reads it from a file or the environment; tests set it with monkeypatch.
TEST_ONLY_SCRYPT_N: int | None = None


def check_new_password(password) -> str:
    if not isinstance(password, str) or not password:
        raise PreflightError("the password is empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PreflightError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    return password


def _scrypt_n() -> int:
    return TEST_ONLY_SCRYPT_N if TEST_ONLY_SCRYPT_N is not None else SCRYPT_N


def derive_key(password: str, salt: bytes) -> bytes:
    """The 32-byte key that encrypts a private key, from the password (scrypt, fixed parameters)."""
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_scrypt_n(), r=SCRYPT_R, p=SCRYPT_P,
                          maxmem=SCRYPT_MAXMEM, dklen=32)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text, what: str, length: int | None = None) -> bytes:
    try:
        data = base64.b64decode(str(text).strip(), validate=True)
    except (binascii.Error, ValueError):
        raise PreflightError(f"{what} is not valid base64") from None
    if length is not None and len(data) != length:
        raise PreflightError(f"{what} must be {length} bytes, not {len(data)}")
    return data


def fingerprint(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()


def short_fingerprint(fp: str | None) -> str:
    """The first 16 hex digits in groups of four, for tables (the full one is in tooltips and reports)."""
    if not fp:
        return ""
    return " ".join(fp[i:i + 4] for i in range(0, 16, 4))


def grouped_fingerprint(fp: str | None) -> str:
    """The whole fingerprint in groups of four hex digits, so that it wraps and reads aloud."""
    return " ".join(fp[i:i + 4] for i in range(0, len(fp), 4)) if fp else ""


def public_raw(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def private_raw(private: Ed25519PrivateKey) -> bytes:
    return private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())


def _aad(name: str, pub: bytes) -> bytes:
    return b"preflight-signer-key-v1\x00" + name.encode("utf-8") + b"\x00" + pub


def new_key_pair() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def encrypt_private_key(private: Ed25519PrivateKey, name: str, password: str) -> dict:
    """``{"salt", "nonce", "encrypted_private_key"}`` (base64): the private key under the password."""
    check_new_password(password)
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    sealed = AESGCM(derive_key(password, salt)).encrypt(nonce, private_raw(private), _aad(name, public_raw(private)))
    return {"salt": b64(salt), "nonce": b64(nonce), "encrypted_private_key": b64(sealed)}


def decrypt_private_key(record: dict, name: str, public_key_b64: str, password: str) -> Ed25519PrivateKey | None:
    """The private key, or None when the password is wrong.  A damaged record raises PreflightError."""
    salt = unb64(record.get("salt"), "the profile's salt", 16)
    nonce = unb64(record.get("nonce"), "the profile's nonce", 12)
    sealed = unb64(record.get("encrypted_private_key"), "the profile's encrypted key", 48)
    pub = unb64(public_key_b64, "the profile's public key", 32)
    if not isinstance(password, str) or not password:
        return None
    try:
        raw = AESGCM(derive_key(password, salt)).decrypt(nonce, sealed, _aad(name, pub))
    except InvalidTag:
        return None
    private = Ed25519PrivateKey.from_private_bytes(raw)
    if public_raw(private) != pub:
        raise PreflightError("the profile's private key does not belong to its public key (the profile is damaged)")
    return private


# ------------------------------------------------------------------------------ signing payload

#: The exact bytes a signature signs (defined next to the store's guard, which checks every new signature).
signing_payload = signature_payload


def sign_payload(private: Ed25519PrivateKey, payload: bytes) -> str:
    return private.sign(payload).hex()


def verify_payload(public_key_b64: str, payload: bytes, signature_hex: str) -> bool:
    return signature_verifies(public_key_b64, payload, signature_hex)


# ------------------------------------------------------------------------------ .pub files

@dataclass(frozen=True)
class PublicKey:
    name: str
    fingerprint: str
    public_key: str  # base64 of the 32 raw bytes
    path: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "fingerprint": self.fingerprint, "public_key": self.public_key,
                "path": self.path}


def public_key_text(name: str, public_key_b64: str) -> str:
    fp = fingerprint(unb64(public_key_b64, "the public key", 32))
    return f"{PUB_HEADER}\nname: {name}\nfingerprint: {fp}\npublic-key: {public_key_b64}\n"


def parse_public_key_text(text: str, source: str = "the key file") -> PublicKey:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines or lines[0] != PUB_HEADER:
        raise PreflightError(f"{source}: not a Preflight public key file (first line must be {PUB_HEADER!r})")
    fields = {}
    for ln in lines[1:]:
        key, sep, value = ln.partition(":")
        if not sep:
            raise PreflightError(f"{source}: line {ln[:40]!r} is not 'field: value'")
        fields[key.strip()] = value.strip()
    missing = [k for k in ("name", "fingerprint", "public-key") if not fields.get(k)]
    if missing:
        raise PreflightError(f"{source}: missing {', '.join(missing)}")
    raw = unb64(fields["public-key"], f"{source}: the public key", 32)
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise PreflightError(f"{source}: not an Ed25519 public key") from None
    if fingerprint(raw) != fields["fingerprint"].lower():
        raise PreflightError(f"{source}: the fingerprint does not match the public key")
    return PublicKey(fields["name"], fingerprint(raw), b64(raw), source)


def read_public_key_file(path) -> PublicKey:
    path = Path(path)
    if not path.is_file():
        raise PreflightError(f"{path}: no such key file")
    with open(path, "rb") as fh:
        data = fh.read(MAX_PUB_FILE_BYTES + 1)
    if len(data) > MAX_PUB_FILE_BYTES:
        raise PreflightError(f"{path}: too large for a public key file (over {MAX_PUB_FILE_BYTES} bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PreflightError(f"{path}: not a text file") from None
    return parse_public_key_text(text, str(path))


def write_public_key_file(path, name: str, public_key_b64: str) -> Path:
    path = Path(path)
    if not path.parent.exists():
        raise PreflightError(f"{path}: the folder {path.parent} does not exist")
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(public_key_text(name, public_key_b64), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise PreflightError(f"{path}: cannot write the key file ({exc.strerror or exc})") from None
    return path


def load_trusted_keys(folder) -> dict[str, PublicKey]:
    """The trusted signers: every ``*.pub`` file in ``folder``, keyed by fingerprint.

    A file that is not a valid key file is an error naming it (a trust set is never silently partial).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PreflightError(f"{folder}: the trusted-keys folder does not exist")
    files = sorted(p for p in folder.iterdir() if p.suffix == ".pub")
    if len(files) > MAX_TRUSTED_FILES:
        raise PreflightError(f"{folder}: more than {MAX_TRUSTED_FILES} key files")
    out: dict[str, PublicKey] = {}
    for p in files:
        key = read_public_key_file(p)
        out[key.fingerprint] = key
    return out
