"""Evidence locker: files attached to an assessment, fixed by their SHA-256.

Attaching a file records its label, path, size and SHA-256.  Files up to
:data:`EMBED_LIMIT` may also be embedded (their bytes stored in the assessment),
so the evidence survives the original being moved or deleted.  Larger files are
referenced by path and hash only.

:func:`reverify` re-hashes every file later and reports ``ok`` (same hash),
``changed`` (different hash) or ``missing`` (cannot be found or read).  For an
embedded file whose stored bytes are passed in ``blobs``, the stored copy is
checked instead of the path.

Only regular files are read: a symbolic link is resolved and its target recorded,
and a FIFO, a device (``/dev/zero``) or a socket is refused without reading it.
Reading never goes past the recorded size plus one byte (one more byte is enough
to know the file changed), and stops with a clear message after
:data:`READ_TIMEOUT` seconds.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import asdict, dataclass

from core.canonical import utc_now_seconds
from core.errors import InputFileError, PreflightError, check_cancel

EMBED_LIMIT = 20 * 1024 * 1024
_CHUNK = 1 << 20
#: seconds one evidence file may take to read (a hung network share, a device that never ends)
READ_TIMEOUT = 300.0


@dataclass(frozen=True)
class EvidenceFile:
    id: int | None
    label: str
    path: str
    sha256: str
    size: int
    attached_utc: str
    embedded: bool

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "EvidenceFile":
        try:
            return cls(id=d.get("id"), label=str(d["label"]), path=str(d["path"]), sha256=str(d["sha256"]),
                       size=int(d["size"]), attached_utc=str(d.get("attached_utc") or ""),
                       embedded=bool(d.get("embedded", False)))
        except KeyError as exc:
            raise PreflightError(f"evidence record: missing field {exc.args[0]}") from None
        except (TypeError, ValueError):
            raise PreflightError(f"evidence record: size {d.get('size')!r} is not a whole number") from None


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def resolve_regular(path) -> str:
    """The absolute path of the regular file ``path`` names (symbolic links followed).

    Raises InputFileError for anything else, without opening it (opening a FIFO blocks).
    """
    given = os.path.abspath(os.fspath(path))
    target = os.path.realpath(given)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        raise InputFileError(given, "file not found") from None
    except OSError as exc:
        raise InputFileError(given, f"cannot read the file ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        via = f" (a link to {target})" if target != given else ""
        raise InputFileError(given, f"is {_kind(mode)}{via}, not a regular file; only regular files can be "
                                    "evidence")
    return target


def _read(path: str, limit: int | None, *, keep: bool = False, progress=None, cancelled=None,
          base: int = 0, total: int = 0, timeout: float | None = None):
    """SHA-256, size and (with ``keep``) the bytes of a regular file, reading at most ``limit`` bytes.

    The file is opened without blocking and checked to be regular on the open descriptor itself
    (so a file swapped for a FIFO after :func:`resolve_regular` is still refused).
    """
    timeout = READ_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputFileError(path, f"is {_kind(mode)}, not a regular file; only regular files can be evidence")
        digest, size, parts = hashlib.sha256(), 0, []
        while limit is None or size < limit:
            check_cancel(cancelled)
            want = _CHUNK if limit is None else min(_CHUNK, limit - size)
            block = os.read(fd, want)
            if not block:
                break
            digest.update(block)
            size += len(block)
            if keep:
                parts.append(block)
            if progress is not None and total:
                progress(min(1.0, (base + size) / total))
            if time.monotonic() >= deadline:
                raise PreflightError(f"{path}: reading took longer than {timeout:g} s and was stopped; "
                                     "is the file on a slow or disconnected drive?")
        return digest.hexdigest(), size, (b"".join(parts) if keep else None)
    finally:
        os.close(fd)


def _hash_stream(path: str, progress=None, cancelled=None, base: int = 0, total: int = 0,
                 limit: int | None = None, timeout: float | None = None) -> tuple[str, int]:
    digest, size, _ = _read(path, limit, progress=progress, cancelled=cancelled, base=base, total=total,
                            timeout=timeout)
    return digest, size


def describe_file(path, label: str = "", *, embed: bool = False, progress=None, cancelled=None,
                  timeout: float | None = None) -> tuple[EvidenceFile, bytes | None]:
    """Hash a file for the evidence locker.

    Returns the record (``id`` None until stored) and, when ``embed`` is true,
    the file's bytes.  Embedding a file larger than :data:`EMBED_LIMIT` raises
    :class:`PreflightError`; attach it by reference instead.  The label
    defaults to the file name.  A symbolic link is followed and its target is recorded; anything
    but a regular file is refused.
    """
    given = os.path.abspath(os.fspath(path))
    if os.path.isdir(given):
        raise InputFileError(given, "is a folder; attach a file")
    path = resolve_regular(given)
    try:
        size = os.path.getsize(path)
        if embed:
            if size > EMBED_LIMIT:
                raise PreflightError(
                    f"{path}: {size / 1048576:.1f} MiB is too large to embed (limit "
                    f"{EMBED_LIMIT // 1048576} MiB); attach it by reference instead")
            sha, got, data = _read(path, EMBED_LIMIT + 1, keep=True, cancelled=cancelled, timeout=timeout)
            if got > EMBED_LIMIT:  # grew since the size check
                raise PreflightError(f"{path}: file is larger than the {EMBED_LIMIT // 1048576} MiB embed limit")
            size = got
            if progress is not None:
                progress(1.0)
        else:
            data = None
            sha, got = _hash_stream(path, progress, cancelled, total=size, limit=size + 1, timeout=timeout)
            if got != size:
                raise PreflightError(f"{path}: the file changed size while it was read ({size} -> at least "
                                     f"{got} bytes); attach it again when it is complete")
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except PermissionError:
        raise InputFileError(path, "permission denied: cannot read the file") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read the file ({exc.strerror or exc})") from None
    label = (label or "").strip() or os.path.basename(given)
    record = EvidenceFile(id=None, label=label, path=path, sha256=sha, size=size,
                          attached_utc=utc_now_seconds(), embedded=data is not None)
    return record, data


@dataclass(frozen=True)
class Reverification:
    id: int | None
    label: str
    path: str
    status: str  # "ok" | "changed" | "missing"
    expected_sha256: str
    actual_sha256: str | None
    message: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def reverify(files: list[EvidenceFile], blobs: dict | None = None,
             progress=None, cancelled=None, timeout: float | None = None) -> list[Reverification]:
    """Re-hash each evidence file and compare with the hash recorded when attached.

    ``blobs`` optionally maps an evidence id to its embedded bytes; an embedded
    file found there is checked from the stored copy, otherwise from its path.  A path that is
    no longer a regular file counts as changed; at most the recorded size plus one byte is read.
    """
    blobs = blobs or {}
    out = []
    total = sum(max(0, int(f.size)) for f in files)
    base = 0
    for f in files:
        check_cancel(cancelled)
        if f.embedded and f.id in blobs and blobs[f.id] is not None:
            data = blobs[f.id]
            actual, size, source = hashlib.sha256(data).hexdigest(), len(data), "embedded copy"
        else:
            source = "file"
            try:
                target = resolve_regular(f.path)
                actual, size = _hash_stream(target, progress, cancelled, base=base, total=total,
                                            limit=max(0, int(f.size)) + 1, timeout=timeout)
            except InputFileError as exc:
                status = "missing" if exc.problem == "file not found" else "changed"
                out.append(Reverification(f.id, f.label, f.path, status, f.sha256, None, str(exc)))
                base += f.size
                continue
            except PreflightError as exc:  # timed out
                out.append(Reverification(f.id, f.label, f.path, "missing", f.sha256, None, str(exc)))
                base += f.size
                continue
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                out.append(Reverification(f.id, f.label, f.path, "missing", f.sha256, None,
                                          f"{f.path}: file not found"))
                base += f.size
                continue
            except OSError as exc:
                out.append(Reverification(f.id, f.label, f.path, "missing", f.sha256, None,
                                          f"{f.path}: cannot read the file ({exc.strerror or exc})"))
                base += f.size
                continue
        base += f.size
        if actual == f.sha256:
            out.append(Reverification(f.id, f.label, f.path, "ok", f.sha256, actual,
                                      f"{source} unchanged since it was attached"))
        else:
            if size > f.size:  # read stopped one byte past the recorded size: its hash is not the file's
                try:
                    now = os.stat(f.path).st_size
                except OSError:
                    now = None
                detail = f"size {f.size} -> {now} bytes" if now and now > f.size else \
                    f"larger than the recorded {f.size} bytes"
                actual = None
            else:
                detail = f"size {f.size} -> {size} bytes" if size != f.size else "same size, different content"
            out.append(Reverification(f.id, f.label, f.path, "changed", f.sha256, actual,
                                      f"{source} changed since it was attached ({detail})"))
    if progress is not None:
        progress(1.0)
    return out
