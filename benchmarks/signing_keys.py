"""How long key-based signing costs: scrypt at the fixed production parameters, Ed25519 sign and verify.

Run: python benchmarks/signing_keys.py   (uses a temporary user data directory)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["PREFLIGHT_HOME"] = tempfile.mkdtemp(prefix="preflight-bench-")

from core.handoff import keys, profiles  # noqa: E402


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    assert keys.TEST_ONLY_SCRYPT_N is None
    salt = os.urandom(16)
    print(f"scrypt N=2^17 r=8 p=1 key derivation: {timed(lambda: keys.derive_key('correct horse', salt), 5):.3f} s")
    profile = profiles.create_profile("Bench Signer", "correct horse")
    print(f"unlock a profile (right password):    {timed(lambda: profile.unlock('correct horse'), 5):.3f} s")
    print(f"unlock a profile (wrong password):    {timed(lambda: profile.unlock('wrong horse!'), 5):.3f} s")
    private = profile.unlock("correct horse")
    payload = keys.signing_payload(content_hash="a" * 64, head_seq=10, head_hash="b" * 64, meaning="review",
                                   signer="Bench Signer", signed_utc="2026-01-01T00:00:00Z")
    sig = keys.sign_payload(private, payload)
    n = 2000
    sign_s = timed(lambda: [keys.sign_payload(private, payload) for _ in range(n)], 3) / n
    verify_s = timed(lambda: [keys.verify_payload(profile.public_key, payload, sig) for _ in range(n)], 3) / n
    print(f"Ed25519 sign: {sign_s * 1e6:.0f} us, verify: {verify_s * 1e6:.0f} us per signature")


if __name__ == "__main__":
    main()
