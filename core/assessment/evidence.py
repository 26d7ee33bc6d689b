"""Evidence locker: files attached to an assessment, fixed by their SHA-256.

Attaching a file records its label, path, size and SHA-256.  Files up to
:data:`EMBED_LIMIT` may also be embedded (their bytes stored in the assessment),
so the evidence survives the original being moved or deleted.  Larger files are
referenced by path and hash only.

:func:`reverify` re-hashes every file later and reports ``ok`` (same hash),
``changed`` (different hash) or ``missing`` (cannot be found or read).  For an
embedded file whose stored bytes are passed in ``blobs``, the stored copy is
checked instead of the path.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass

from core.canonical import hash_stream, utc_now_seconds
from core.errors import InputFileError, PreflightError, check_cancel

EMBED_LIMIT = 20 * 1024 * 1024
_CHUNK = 1 << 20


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


def _hash_stream(path: str, progress=None, cancelled=None, base: int = 0, total: int = 0) -> tuple[str, int]:
    return hash_stream(path, progress, cancelled, base=base, total=total, chunk=_CHUNK)


def describe_file(path, label: str = "", *, embed: bool = False,
                  progress=None, cancelled=None) -> tuple[EvidenceFile, bytes | None]:
    """Hash a file for the evidence locker.

    Returns the record (``id`` None until stored) and, when ``embed`` is true,
    the file's bytes.  Embedding a file larger than :data:`EMBED_LIMIT` raises
    :class:`PreflightError`; attach it by reference instead.  The label
    defaults to the file name.
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.isdir(path):
        raise InputFileError(path, "is a folder; attach a file")
    try:
        size = os.path.getsize(path)
        if embed:
            if size > EMBED_LIMIT:
                raise PreflightError(
                    f"{path}: {size / 1048576:.1f} MiB is too large to embed (limit "
                    f"{EMBED_LIMIT // 1048576} MiB); attach it by reference instead")
            with open(path, "rb") as fh:
                data = fh.read()
            if len(data) > EMBED_LIMIT:  # grew since the size check
                raise PreflightError(f"{path}: file is larger than the {EMBED_LIMIT // 1048576} MiB embed limit")
            sha, size = hashlib.sha256(data).hexdigest(), len(data)
            if progress is not None:
                progress(1.0)
        else:
            data = None
            sha, size = _hash_stream(path, progress, cancelled, total=size)
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except PermissionError:
        raise InputFileError(path, "permission denied: cannot read the file") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read the file ({exc.strerror or exc})") from None
    label = (label or "").strip() or os.path.basename(path)
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
             progress=None, cancelled=None) -> list[Reverification]:
    """Re-hash each evidence file and compare with the hash recorded when attached.

    ``blobs`` optionally maps an evidence id to its embedded bytes; an embedded
    file found there is checked from the stored copy, otherwise from its path.
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
                actual, size = _hash_stream(f.path, progress, cancelled, base=base, total=total)
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
            detail = f"size {f.size} -> {size} bytes" if size != f.size else "same size, different content"
            out.append(Reverification(f.id, f.label, f.path, "changed", f.sha256, actual,
                                      f"{source} changed since it was attached ({detail})"))
    if progress is not None:
        progress(1.0)
    return out
