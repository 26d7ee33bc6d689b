"""Signer keys: golden Ed25519 vector, the fixed scrypt cost, encrypted profiles and .pub files."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import PreflightError
from core.handoff import keys, profiles

# A fixed test key (the 32 bytes 00 01 .. 1f) and what it gives.  The literals below were derived once by
# hand with the cryptography package directly, not by Preflight's code.
TEST_SEED = bytes(range(32))
TEST_PUBLIC_B64 = "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
TEST_FINGERPRINT = "56475aa75463474c0285df5dbf2bcab73da651358839e9b77481b2eab107708c"
GOLDEN_PAYLOAD = (b'preflight-signature-v1\n{"audit_head":{"hash":"' + b"ab" * 32 + b'","seq":7},'
                  b'"content_hash":"' + b"cd" * 32 + b'","meaning":"approval","override_reason":null,'
                  b'"signed_utc":"2025-03-01T14:05:09Z","signer":"Ann Preparer"}')
GOLDEN_SIGNATURE = ("1fb4eab2a729f3be36b02a45cb23d8474e446b207c45d84a9fe446954bd27ba7"
                    "3b466dc0e9fe80d2679f0f98dc1844d0bc798b12e6e258b9bce191d1f7376707")


def test_golden_payload_signature_and_fingerprint():
    payload = keys.signing_payload(content_hash="cd" * 32, head_seq=7, head_hash="ab" * 32, meaning="approval",
                                   signer="Ann Preparer", signed_utc="2025-03-01T14:05:09Z")
    assert payload == GOLDEN_PAYLOAD
    private = Ed25519PrivateKey.from_private_bytes(TEST_SEED)
    assert keys.b64(keys.public_raw(private)) == TEST_PUBLIC_B64
    assert keys.fingerprint(keys.public_raw(private)) == TEST_FINGERPRINT
    assert keys.sign_payload(private, payload) == GOLDEN_SIGNATURE
    assert keys.verify_payload(TEST_PUBLIC_B64, GOLDEN_PAYLOAD, GOLDEN_SIGNATURE)
    assert not keys.verify_payload(TEST_PUBLIC_B64, GOLDEN_PAYLOAD.replace(b"seq\":7", b"seq\":8"),
                                   GOLDEN_SIGNATURE)
    assert not keys.verify_payload(TEST_PUBLIC_B64, GOLDEN_PAYLOAD, "00" * 64)


def test_profile_uses_the_fixed_production_scrypt_cost(monkeypatch):
    """Decrypt a profile with an independent scrypt(N=2^17, r=8, p=1) + AES-GCM: the documented recipe."""
    monkeypatch.setattr(keys, "TEST_ONLY_SCRYPT_N", None)
    profile = profiles.create_profile("Ann Preparer", "correct horse battery")
    record = json.loads(open(profile.path, encoding="utf-8").read())
    assert not {"n", "r", "p", "N"} & set(record)  # no cost parameter is stored, so none can be read
    assert "correct horse battery" not in json.dumps(record)
    key = hashlib.scrypt(b"correct horse battery", salt=base64.b64decode(record["salt"]), n=2 ** 17, r=8, p=1,
                         maxmem=2 ** 28, dklen=32)
    aad = b"preflight-signer-key-v1\x00Ann Preparer\x00" + base64.b64decode(record["public_key"])
    raw = AESGCM(key).decrypt(base64.b64decode(record["nonce"]), base64.b64decode(record["encrypted_private_key"]),
                              aad)
    assert keys.b64(keys.public_raw(Ed25519PrivateKey.from_private_bytes(raw))) == record["public_key"]


def test_profile_round_trip_wrong_password_and_change(_isolated_home):
    profile = profiles.create_profile("Bob", "first password")
    assert profile.path.startswith(str(_isolated_home))
    assert profile.unlock("wrong password") is None
    private = profile.unlock("first password")
    assert keys.b64(keys.public_raw(private)) == profile.public_key
    changed = profiles.change_profile_password(profile, private, "second password")
    assert changed.public_key == profile.public_key
    assert changed.unlock("first password") is None
    assert changed.unlock("second password") is not None
    with pytest.raises(PreflightError, match="already has a signer profile"):
        profiles.create_profile("Bob", "another password")
    with pytest.raises(PreflightError, match="at least 8"):
        profiles.create_profile("Carl", "short")


def test_damaged_or_foreign_profile_is_refused():
    profile = profiles.create_profile("Dee", "dee password")
    record = json.loads(open(profile.path, encoding="utf-8").read())
    record["kdf"] = "scrypt N=2^40"
    open(profile.path, "w", encoding="utf-8").write(json.dumps(record))
    with pytest.raises(PreflightError, match="damaged"):
        profiles.load_profile("Dee")


def test_pub_file_round_trip_and_trusted_folder(tmp_path):
    profiles.create_profile("Rita Reviewer", "rita password")
    exported = profiles.export_public_key("Rita Reviewer", tmp_path / "rita.pub")
    text = (tmp_path / "rita.pub").read_text(encoding="utf-8")
    assert text.splitlines()[:2] == ["preflight-signer-public-key v1", "name: Rita Reviewer"]
    assert f"fingerprint: {exported.fingerprint}" in text
    assert keys.read_public_key_file(tmp_path / "rita.pub") == keys.PublicKey(
        "Rita Reviewer", exported.fingerprint, exported.public_key, str(tmp_path / "rita.pub"))
    trusted = keys.load_trusted_keys(tmp_path)
    assert list(trusted) == [exported.fingerprint]
    (tmp_path / "bad.pub").write_text(text.replace(exported.fingerprint, "0" * 64), encoding="utf-8")
    with pytest.raises(PreflightError, match="bad.pub: the fingerprint does not match"):
        keys.load_trusted_keys(tmp_path)
    with pytest.raises(PreflightError, match="does not exist"):
        keys.load_trusted_keys(tmp_path / "missing")
    with pytest.raises(PreflightError, match="no signer profile"):
        profiles.export_public_key("Nobody", tmp_path / "n.pub")


def test_trusted_keys_folder_setting(tmp_path):
    assert profiles.trusted_keys_dir() is None and profiles.app_trusted_keys() == {}
    profiles.set_trusted_keys_dir(tmp_path)
    assert profiles.trusted_keys_dir() == str(tmp_path)
    with pytest.raises(PreflightError, match="does not exist"):
        profiles.set_trusted_keys_dir(tmp_path / "nope")
