"""Signer accounts in an assessment: enrolment, the administrator, roles, passwords and the lockout.

* The first user of an assessment is its administrator.  Adding a signer, deactivating one or changing a
  role needs the administrator's password (which unlocks the administrator's key on this machine).
* A signer's password unlocks their private key in their local profile (:mod:`core.handoff.profiles`).
  Every attempt is an audit event; after :data:`LOCKOUT_ATTEMPTS` wrong passwords in a row the signer is
  locked for :data:`LOCKOUT_MINUTES` minutes.  The lockout state is kept in the assessment's user record,
  so it holds for whoever opens the file with Preflight (the clock can be injected for tests).
* One key is one person: a key already enrolled for another user is refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.errors import PreflightError
from core.handoff import keys, profiles
from core.handoff import signoff as so

LOCKOUT_ATTEMPTS = 5
LOCKOUT_MINUTES = 15


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc)


def _iso(when: datetime) -> str:
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def locked_until(user: dict, now: datetime | None = None) -> datetime | None:
    """When the user's lock ends, or None when the user is not locked now."""
    until = _parse(user.get("locked_until"))
    return until if until is not None and _now(now) < until else None


def unlock(store, user: dict, password: str, purpose: str, *, now: datetime | None = None):
    """The user's private key from this machine's profile; every attempt is audited, wrong ones count."""
    now = _now(now)
    name = user["name"]
    until = locked_until(user, now)
    if until is not None:
        store.record_password_attempt(user["id"], ok=False, purpose=purpose, failed_attempts=user["failed_attempts"],
                                      locked_until=user["locked_until"], detail="refused: the account is locked")
        raise PreflightError(f"{name} is locked until {_iso(until)} after {LOCKOUT_ATTEMPTS} wrong passwords in a "
                             "row")
    profile = profiles.load_profile(name)
    if profile is None:
        raise PreflightError(f"{name} has no signer profile on this machine: {name} signs on the machine where "
                             "their key was created")
    if user.get("public_key") and profile.public_key != user["public_key"]:
        raise PreflightError(f"the key in this machine's profile of {name} (fingerprint "
                             f"{keys.short_fingerprint(profile.fingerprint)}) is not the key enrolled in this "
                             f"assessment (fingerprint {keys.short_fingerprint(user.get('fingerprint'))})")
    private = profile.unlock(password)
    if private is None:
        previous = 0 if _parse(user.get("locked_until")) else int(user.get("failed_attempts") or 0)
        failed = previous + 1
        lock = _iso(now + timedelta(minutes=LOCKOUT_MINUTES)) if failed >= LOCKOUT_ATTEMPTS else None
        store.record_password_attempt(user["id"], ok=False, purpose=purpose, failed_attempts=failed,
                                      locked_until=lock)
        if lock:
            raise PreflightError(f"wrong password for {name}; after {LOCKOUT_ATTEMPTS} wrong passwords in a row "
                                 f"{name} is locked until {lock}")
        raise PreflightError(f"wrong password for {name}")
    store.record_password_attempt(user["id"], ok=True, purpose=purpose, failed_attempts=0, locked_until=None)
    return private


def administrator(store) -> dict | None:
    return next((u for u in store.users() if u["is_admin"]), None)


def check_admin(store, admin_name: str | None, admin_password: str | None, purpose: str, *,
                now: datetime | None = None) -> dict:
    """The administrator, after their password; a refusal is audited and raised."""
    admin = administrator(store)
    try:
        if admin is None:
            raise PreflightError("this assessment has no administrator yet")
        if admin_name and admin_name != admin["name"]:
            raise PreflightError(f"{admin_name} is not the administrator of this assessment ({admin['name']} is)")
        if not admin["public_key"]:
            raise PreflightError(f"the administrator {admin['name']} has no key yet (enrolled before key-based "
                                 f"signing): re-enrol {admin['name']} first")
        if not admin_password:
            raise PreflightError(f"{purpose} needs the administrator's ({admin['name']}'s) password")
    except PreflightError as exc:
        store.record_user_event("users", "admin_refused", {"purpose": purpose, "reason": str(exc)})
        raise
    unlock(store, admin, admin_password, purpose, now=now)
    return admin


def _own_key(name: str, password: str | None) -> keys.PublicKey:
    """The signer's public key from this machine's profile, created under ``password`` when there is none."""
    if not password:
        raise PreflightError(f"a password for {name} is needed (or their exported public key file)")
    profile = profiles.load_profile(name)
    if profile is None:
        profile = profiles.create_profile(name, password)
    elif profile.unlock(password) is None:
        raise PreflightError(f"wrong password for {name}'s existing signer profile on this machine")
    return keys.PublicKey(name, profile.fingerprint, profile.public_key, profile.path)


def add_user(store, name: str, role: str, password: str | None = None, *, admin_password: str | None = None,
             admin: str | None = None, public_key: keys.PublicKey | None = None,
             now: datetime | None = None) -> int:
    """Add a signer with ``role`` (or give a signer of an older file their key) and return their id.

    The first user becomes the administrator and needs no administrator password; later ones need it.
    Without ``public_key`` the signer's key pair is created in this machine's profile under ``password``
    (or, when the profile exists, unlocked with it); with one (a ``.pub`` file read by
    :func:`core.handoff.keys.read_public_key_file`) no password for the signer is needed.
    """
    name = (name or "").strip()
    if not name:
        raise PreflightError("a user needs a name")
    if role not in so.ROLES:
        raise PreflightError(f"role {role!r} is not one of {', '.join(so.ROLES)}")
    existing = store.user_by_name(name)
    if existing is not None and existing["public_key"]:
        raise PreflightError(f"a user named {name!r} already exists in this assessment")
    if existing is not None and existing["role"] != role:
        raise PreflightError(f"{name} is a {existing['role']} in this assessment; re-enrol with that role")
    if public_key is None and password is not None:
        keys.check_new_password(password)
    first = administrator(store) is None
    needs_admin = not first and not (existing is not None and existing["is_admin"])
    acting = check_admin(store, admin, admin_password, f"adding {name}", now=now)["name"] if needs_admin else name
    if public_key is not None:
        if public_key.name != name:
            raise PreflightError(f"the key file is for {public_key.name!r}, not {name!r}")
        key = public_key
    else:
        key = _own_key(name, password)
    twin = next((u for u in store.users() if u["fingerprint"] == key.fingerprint and u["name"] != name), None)
    if twin is not None:
        raise PreflightError(f"that key is already enrolled for {twin['name']}: one key is one person")
    if existing is not None:
        store.enrol_user_key(existing["id"], key.public_key, key.fingerprint, actor=acting)
        return existing["id"]
    return store.add_user(name, role, public_key=key.public_key, fingerprint=key.fingerprint, is_admin=first,
                          actor=acting)


def change_password(store, user_id: int, old_password: str, new_password: str, *,
                    now: datetime | None = None) -> None:
    """Re-encrypt the signer's private key under a new password (audited; the old one must be right)."""
    keys.check_new_password(new_password)
    user = store.user(user_id)
    private = unlock(store, user, old_password, "change password", now=now)
    profiles.change_profile_password(profiles.load_profile(user["name"]), private, new_password)
    store.record_user_event(f"user:{user_id}", "password_changed", {"name": user["name"]}, actor=user["name"])


def deactivate_user(store, user_id: int, admin_password: str, reason: str = "", *, admin: str | None = None,
                    now: datetime | None = None) -> None:
    user = store.user(user_id)
    if user["is_admin"]:
        raise PreflightError(f"{user['name']} is the administrator and cannot be deactivated")
    acting = check_admin(store, admin, admin_password, f"deactivating {user['name']}", now=now)
    store.set_user_active(user_id, False, reason, actor=acting["name"])


def set_role(store, user_id: int, role: str, admin_password: str, *, admin: str | None = None,
             now: datetime | None = None) -> None:
    if role not in so.ROLES:
        raise PreflightError(f"role {role!r} is not one of {', '.join(so.ROLES)}")
    user = store.user(user_id)
    acting = check_admin(store, admin, admin_password, f"changing {user['name']}'s role", now=now)
    store.set_user_role(user_id, role, actor=acting["name"])
