"""The local witness: an append-only log, outside the assessment file, of the chain heads this machine wrote.

After each write that added audit events, one JSON line ``{"uuid", "path", "seq", "hash", "utc"}``
is appended to ``witness.jsonl`` in the user data directory.  A file whose chain no longer holds
event ``seq`` with that ``hash`` was rewritten, or replaced by an older copy of itself (rolled
back).  Entries are compared for the same assessment UUID at the same path, so a copy saved
elsewhere and edited on its own is not reported.  The witness only remembers writes made on this
machine with this user data directory; deleting the log removes that protection.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from core.canonical import utc_now
from core.paths import data_dir

FILE_NAME = "witness.jsonl"


def log_path() -> Path:
    return data_dir() / FILE_NAME


def _key(path) -> str:
    return str(Path(path).resolve())


def append(uuid: str, path, seq: int, head: str) -> None:
    """Record that the file at ``path`` held event ``seq`` with hash ``head``; never raises on I/O errors."""
    line = json.dumps({"uuid": uuid, "path": _key(path), "seq": int(seq), "hash": head, "utc": utc_now()},
                      sort_keys=True)
    try:
        fd = os.open(log_path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)
    except OSError:
        pass


def entries(uuid: str, path) -> list[dict]:
    """What the witness saw for this assessment at this path, in the order it was written."""
    key = _key(path)
    try:
        text = log_path().read_text(encoding="utf-8")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and rec.get("uuid") == uuid and rec.get("path") == key:
            out.append(rec)
    return out


def check(uuid: str | None, path, hashes: dict[int, str]) -> list[str]:
    """Findings for a chain whose event hashes are ``hashes`` (seq -> hash); empty when it holds all
    the witness saw.  Only the first rollback and the first rewrite are reported."""
    if not uuid:
        return []
    seen = entries(uuid, path)
    if not seen:
        return []
    count = max(hashes) if hashes else 0
    problems = []
    newest = max(seen, key=lambda r: r.get("seq", 0))
    if newest.get("seq", 0) > count:
        problems.append(f"rolled back: the witness saw event {newest['seq']} (hash {str(newest.get('hash'))[:16]}…) "
                        f"in this file at {newest.get('utc')}, but the file ends at event {count} "
                        "(replaced by an older copy, or events removed)")
    for rec in seen:
        seq = rec.get("seq")
        if seq in hashes and hashes[seq] != rec.get("hash"):
            problems.append(f"rewritten: event {seq} is not the event the witness saw at {rec.get('utc')} "
                            f"(hash {str(rec.get('hash'))[:16]}…, now {hashes[seq][:16]}…)")
            break
    return problems
