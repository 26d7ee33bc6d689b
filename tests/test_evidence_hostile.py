"""Evidence paths that are not plain files: FIFOs, devices, links to them, files that grow or never end."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import core.assessment.evidence as evidence
from core.assessment import templates
from core.assessment.evidence import EvidenceFile, describe_file, reverify
from core.assessment.store import create_assessment
from core.errors import InputFileError, PreflightError

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and /dev/zero")


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.fixture
def zero_link(tmp_path):
    path = tmp_path / "zeros.bin"
    path.symlink_to("/dev/zero")
    return path


@pytest.mark.parametrize("embed", [False, True])
def test_a_fifo_is_refused_without_opening_it(fifo, embed):
    with pytest.raises(InputFileError, match="FIFO.*not a regular file"):
        describe_file(fifo, embed=embed)


@pytest.mark.parametrize("embed", [False, True])
def test_a_link_to_dev_zero_is_refused(zero_link, embed):
    with pytest.raises(InputFileError, match="character device \\(a link to /dev/zero\\)"):
        describe_file(zero_link, embed=embed)


def test_a_link_to_a_regular_file_records_the_target(tmp_path):
    target = tmp_path / "real" / "scan.txt"
    target.parent.mkdir()
    target.write_text("findings: none\n")
    link = tmp_path / "latest.txt"
    link.symlink_to(target)
    record, _ = describe_file(link)
    assert record.path == str(target.resolve())
    assert record.label == "latest.txt"
    assert record.size == len("findings: none\n")


def _record(path) -> EvidenceFile:
    rec, _ = describe_file(path)
    return EvidenceFile(**{**rec.to_dict(), "id": 1})


@pytest.mark.parametrize("replacement", ["fifo", "zero"])
def test_reverify_of_a_file_replaced_by_a_fifo_or_device_is_changed_not_a_hang(tmp_path, replacement):
    path = tmp_path / "report.txt"
    path.write_text("ok\n")
    rec = _record(path)
    path.unlink()
    if replacement == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    [result] = reverify([rec])
    assert result.status == "changed"
    assert "not a regular file" in result.message
    assert result.actual_sha256 is None


def test_reverify_reads_at_most_the_recorded_size_plus_one(tmp_path, monkeypatch):
    path = tmp_path / "grows.bin"
    path.write_bytes(b"12345")
    rec = _record(path)
    with open(path, "r+b") as fh:
        fh.truncate(64 * 1024 * 1024)  # sparse: it grew to 64 MiB
    read = []
    real_read = os.read
    monkeypatch.setattr(evidence.os, "read", lambda fd, n: read.append(n) or real_read(fd, n))
    [result] = reverify([rec])
    assert result.status == "changed"
    assert sum(read) <= rec.size + 1
    assert f"5 -> {64 * 1024 * 1024} bytes" in result.message


def test_reading_past_the_time_limit_stops_with_a_clear_message(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(3 * (1 << 20)))
    with pytest.raises(PreflightError, match="took longer than 0 s and was stopped"):
        describe_file(path, timeout=0)
    rec = _record(path)
    [result] = reverify([rec], timeout=0)
    assert result.status == "missing" and "was stopped" in result.message


def test_report_of_an_assessment_whose_evidence_became_a_fifo_finishes(tmp_path):
    path = tmp_path / "a.preflight"
    ev = tmp_path / "evidence.txt"
    ev.write_text("signed scan\n")
    rec, _ = describe_file(ev)
    store = create_assessment(path, name="A", items=templates.load("seed").items)
    store.add_evidence_file(label=rec.label, path=rec.path, sha256=rec.sha256, size=rec.size)
    store.close()
    ev.unlink()
    os.mkfifo(ev)
    out = tmp_path / "r.json"
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "report", str(path), "--out", str(out)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "not a regular file" in out.read_text()
