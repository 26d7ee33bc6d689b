"""The report prints each signer's key fingerprint with the signature (HTML manifestation and JSON)."""

from __future__ import annotations

import json

from core.assessment import templates
from core.assessment.store import create_assessment
from core.handoff import signing
from core.report import write_report


def test_report_prints_the_signers_fingerprint(tmp_path):
    store = create_assessment(tmp_path / "r.preflight", name="R", items=templates.load("seed").items)
    ann = signing.add_user(store, "Ann", "preparer", "ann password")
    signing.sign(store, ann, "ann password", "authorship")
    fingerprint = store.user(ann)["fingerprint"]
    write_report(store, tmp_path / "r.html")
    write_report(store, tmp_path / "r.json")
    store.close()
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Ann (preparer) signed for authorship on " in html
    assert f"; key fingerprint {fingerprint}" in html
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    signed = data["signatures"]["signatures"][0]
    assert (signed["user_name"], signed["fingerprint"]) == ("Ann", fingerprint)
    assert signed["signature"] and signed["head_seq"] >= 1
