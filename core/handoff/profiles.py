"""Signer profiles in the user data directory (never in the assessment file).

A profile is one JSON file per signer under ``<user data dir>/signers/``: the signer's printed name, the
public key and fingerprint, and the private key encrypted under the signer's password
(:mod:`core.handoff.keys`).  The password itself is written nowhere; the encrypted key is the only thing
derived from it.  The scrypt parameters are fixed in code, so nothing in a profile sets the cost.

The same folder holds ``settings.json`` with the trusted-keys folder chosen in the app.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from core import paths
from core.canonical import utc_now_seconds
from core.errors import PreflightError
from core.handoff import keys

PROFILE_FORMAT = "preflight-signer-profile"
PROFILE_VERSION = 1
MAX_PROFILE_BYTES = 16 * 1024


def profiles_dir() -> Path:
    folder = paths.data_dir() / "signers"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def profile_path(name: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")[:40] or "signer"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
    return profiles_dir() / f"{slug}-{digest}.json"


@dataclass(frozen=True)
class Profile:
    name: str
    public_key: str
    fingerprint: str
    sealed: dict  # salt, nonce, encrypted_private_key (base64)
    created_utc: str
    path: str

    def unlock(self, password: str):
        """The private key, or None when the password is wrong."""
        return keys.decrypt_private_key(self.sealed, self.name, self.public_key, password)


def _write(path: Path, record: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=1, sort_keys=True)
        try:
            os.chmod(tmp, 0o600)
        except OSError:
            pass
        os.replace(tmp, path)
    except OSError as exc:
        raise PreflightError(f"{path}: cannot write the signer profile ({exc.strerror or exc})") from None


def load_profile(name: str) -> Profile | None:
    """The local profile of ``name``, or None when this machine has none."""
    path = profile_path(name)
    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_PROFILE_BYTES + 1)
        if len(data) > MAX_PROFILE_BYTES:
            raise ValueError("too large")
        record = json.loads(data.decode("utf-8"))
        if record.get("format") != PROFILE_FORMAT or record.get("version") != PROFILE_VERSION:
            raise ValueError("unknown format")
        if record.get("kdf") != keys.KDF_LABEL:
            raise ValueError("unknown key derivation")
        if record.get("name") != name:
            raise ValueError("the profile belongs to another name")
        pub = record["public_key"]
        fp = keys.fingerprint(keys.unb64(pub, "public key", 32))
        if fp != record.get("fingerprint"):
            raise ValueError("fingerprint does not match the public key")
        sealed = {k: record[k] for k in ("salt", "nonce", "encrypted_private_key")}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, PreflightError) as exc:
        raise PreflightError(f"{path}: the signer profile of {name} is damaged ({exc})") from None
    return Profile(name, pub, fp, sealed, str(record.get("created_utc", "")), str(path))


def create_profile(name: str, password: str) -> Profile:
    """A new key pair for ``name`` under ``password``; refuses when the profile already exists."""
    name = (name or "").strip()
    if not name:
        raise PreflightError("a signer needs a name")
    keys.check_new_password(password)
    path = profile_path(name)
    if path.exists():
        raise PreflightError(f"{name} already has a signer profile on this machine ({path})")
    private = keys.new_key_pair()
    pub = keys.b64(keys.public_raw(private))
    record = {"format": PROFILE_FORMAT, "version": PROFILE_VERSION, "kdf": keys.KDF_LABEL, "name": name,
              "public_key": pub, "fingerprint": keys.fingerprint(keys.public_raw(private)),
              "created_utc": utc_now_seconds(), **keys.encrypt_private_key(private, name, password)}
    _write(path, record)
    return load_profile(name)


def change_profile_password(profile: Profile, private, new_password: str) -> Profile:
    """Re-encrypt the (already unlocked) private key under a new password."""
    keys.check_new_password(new_password)
    if keys.b64(keys.public_raw(private)) != profile.public_key:
        raise PreflightError("the unlocked key does not belong to this profile")
    path = Path(profile.path)
    record = {"format": PROFILE_FORMAT, "version": PROFILE_VERSION, "kdf": keys.KDF_LABEL, "name": profile.name,
              "public_key": profile.public_key, "fingerprint": profile.fingerprint,
              "created_utc": profile.created_utc, "password_changed_utc": utc_now_seconds(),
              **keys.encrypt_private_key(private, profile.name, new_password)}
    _write(path, record)
    return load_profile(profile.name)


def export_public_key(name: str, out) -> keys.PublicKey:
    profile = load_profile(name)
    if profile is None:
        raise PreflightError(f"{name} has no signer profile on this machine (add the signer first)")
    path = keys.write_public_key_file(out, name, profile.public_key)
    return keys.PublicKey(name, profile.fingerprint, profile.public_key, str(path))


# ------------------------------------------------------------------------------ app settings

def _settings_path() -> Path:
    return profiles_dir() / "settings.json"


def trusted_keys_dir() -> str | None:
    """The trusted-keys folder chosen in the app's settings, or None."""
    try:
        data = json.loads(_settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("trusted_keys_dir") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def set_trusted_keys_dir(folder) -> None:
    if folder and not Path(folder).is_dir():
        raise PreflightError(f"{folder}: the trusted-keys folder does not exist")
    _write(_settings_path(), {"trusted_keys_dir": str(folder) if folder else None})


def app_trusted_keys() -> dict:
    """The trusted signers from the app's trusted-keys folder (empty when none is set)."""
    folder = trusted_keys_dir()
    return keys.load_trusted_keys(folder) if folder else {}
