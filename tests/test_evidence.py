"""Evidence locker: hashing on attach, embedding limit, re-verification."""

import hashlib

import pytest

import core.assessment.evidence as evidence
from core.errors import InputFileError, PreflightError
from core.assessment.evidence import EMBED_LIMIT, EvidenceFile, describe_file, reverify


def test_describe_file_by_reference(tmp_path):
    path = tmp_path / "scan.txt"
    path.write_bytes(b"no critical findings\n")
    record, data = describe_file(path, "Security scan")
    assert data is None
    assert record.id is None and record.label == "Security scan" and not record.embedded
    assert record.sha256 == hashlib.sha256(b"no critical findings\n").hexdigest()
    assert record.size == 21
    assert record.path == str(path.resolve())
    assert record.attached_utc.endswith("Z")
    assert EvidenceFile.from_dict(record.to_dict()) == record


def test_describe_file_embedded_returns_bytes_and_defaults_label(tmp_path):
    path = tmp_path / "review.pdf"
    path.write_bytes(b"%PDF-1.4 fake")
    record, data = describe_file(path, embed=True)
    assert data == b"%PDF-1.4 fake"
    assert record.embedded and record.label == "review.pdf"
    assert record.sha256 == hashlib.sha256(data).hexdigest()


def test_the_real_embedding_limit_refuses_a_file_one_byte_over(tmp_path):
    path = tmp_path / "over.bin"
    with open(path, "wb") as fh:
        fh.truncate(EMBED_LIMIT + 1)  # sparse: nothing is written
    with pytest.raises(PreflightError, match="too large to embed"):
        describe_file(path, embed=True)
    with open(path, "r+b") as fh:
        fh.truncate(EMBED_LIMIT)
    record, data = describe_file(path, embed=True)
    assert record.embedded and len(data) == EMBED_LIMIT


def test_embedding_over_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(evidence, "EMBED_LIMIT", 10)
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 11)
    with pytest.raises(PreflightError, match="too large to embed"):
        describe_file(path, embed=True)
    record, data = describe_file(path)  # by reference is fine
    assert data is None and record.size == 11
    path.write_bytes(b"x" * 10)  # exactly at the limit may be embedded
    assert describe_file(path, embed=True)[1] == b"x" * 10


def test_describe_missing_file_names_it(tmp_path):
    with pytest.raises(InputFileError, match="gone.txt"):
        describe_file(tmp_path / "gone.txt")


def test_reverify_ok_changed_missing(tmp_path):
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    for p in (a, b, c):
        p.write_text(p.name)
    records = []
    for i, p in enumerate((a, b, c), start=1):
        rec, _ = describe_file(p)
        records.append(EvidenceFile(**{**rec.to_dict(), "id": i}))
    b.write_text("edited")
    c.unlink()
    out = reverify(records)
    assert [r.status for r in out] == ["ok", "changed", "missing"]
    assert [r.id for r in out] == [1, 2, 3]
    assert out[0].actual_sha256 == out[0].expected_sha256
    assert out[1].actual_sha256 is None  # only the recorded size plus one byte is read
    assert "5 -> 6 bytes" in out[1].message
    assert out[2].actual_sha256 is None and "not found" in out[2].message
    assert out[1].to_dict()["status"] == "changed"


def test_reverify_embedded_copy_is_checked_from_the_blob(tmp_path):
    path = tmp_path / "card.md"
    path.write_text("card")
    rec, data = describe_file(path, embed=True)
    rec = EvidenceFile(**{**rec.to_dict(), "id": 7})
    path.unlink()  # original gone, stored copy still there
    assert reverify([rec], blobs={7: data})[0].status == "ok"
    assert reverify([rec], blobs={7: b"cart"})[0].status == "changed"
    assert reverify([rec])[0].status == "missing"
