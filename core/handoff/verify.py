"""The signature part of ``audit verify``: found through the feature registry (``<feature>.verify``).

``verify(store, options)`` returns ``{"problems": [...], "notes": [...], "signatures": [...]}``:
every signature that does not verify by its key is a problem; with ``options["trusted_keys"]`` (a
folder of ``.pub`` files) a valid signature from a key outside that set is a problem too ("valid but
from an untrusted key"); without it, valid signatures are only reported as untrusted.
"""

from __future__ import annotations

from core.handoff.signing import verify_signatures

KEY_SCHEMA = 7  # signatures carry an Ed25519 key signature from this schema on


def verify(store, options: dict) -> dict:
    trusted = options.get("trusted_keys")
    if store.schema_version < KEY_SCHEMA:
        n = len(store.table_images().get("signatures", {}))  # the older table lacks the key columns
        notes = [f"{n} signature(s) made before key-based signing (schema {KEY_SCHEMA}): not verifiable by key"] if n else []
        return {"problems": [], "notes": notes, "signatures": []}
    checks = verify_signatures(store, trusted_keys=trusted)
    problems, notes = [], []
    for c in checks:
        what = f"signature {c.signature_id} ({c.signer}, {c.meaning}, {c.signed_utc})"
        legacy = getattr(c, "legacy", None)
        if legacy is None:  # made before key-based signing: no key, no signed head
            legacy = c.fingerprint is None and c.head_seq is None and not c.valid
        if legacy:
            notes.append(f"{what} was made before key-based signing: it cannot be verified by key")
        elif not c.valid or (trusted is not None and c.status != "trusted"):
            problems.append({"check": "signatures", "signature_id": c.signature_id, "status": c.status,
                             "message": f"{what}: {c.label}: {'; '.join(c.reasons)}"})
    if checks and trusted is None and any(c.valid for c in checks):
        notes.append("no trusted keys were given: a valid signature shows only that the holder of the recorded "
                     "key signed, not who that is (pass --trusted-keys DIR)")
    return {"problems": problems, "notes": notes, "signatures": [c.to_dict() for c in checks]}
