"""CLI: profile, profile merge/export/import, and drift --reference-profile-file."""

import json

import numpy as np
import pandas as pd
import pytest

from core.cli import main


def _tables(tmp_path):
    rng = np.random.default_rng(7)
    n = 9000
    df = pd.DataFrame({"amount": rng.lognormal(3, 1, n), "score": rng.integers(300, 850, n),
                       "city": rng.choice(["paris", "lyon", "nice"], n)})
    df.loc[::50, "amount"] = np.nan
    df.to_csv(tmp_path / "whole.csv", index=False)
    for i in range(3):
        df.iloc[i::3].to_csv(tmp_path / f"p{i}.csv", index=False)
    cur = df.copy()
    cur["amount"] = cur["amount"] * 1.8
    cur.to_csv(tmp_path / "cur.csv", index=False)
    return df


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _error(capsys, *argv):
    code, out, err = _run(capsys, *argv)
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_profile_merge_and_drift_against_the_merged_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _tables(tmp_path)
    assert _run(capsys, "profile", "whole.csv", "--out", "whole.json", "--json")[0] == 0
    for i in range(3):
        assert _run(capsys, "profile", f"p{i}.csv", "--edges-from", "whole.json", "--out", f"p{i}.json")[0] == 0
    code, out, _ = _run(capsys, "profile", "merge", "p0.json", "p1.json", "p2.json", "--out", "u.json", "--json")
    assert code == 0 and json.loads(out)["rows"] == 9000
    results = {}
    for ref in ("whole.json", "u.json"):
        code, out, _ = _run(capsys, "drift", "cur.csv", "--reference-profile-file", ref, "--method", "psi",
                            "--no-multivariate", "--json")
        results[ref] = json.loads(out)
        assert code == (1 if results[ref]["dataset_drift"] else 0)
    code, out, _ = _run(capsys, "drift", "whole.csv", "cur.csv", "--method", "psi", "--no-multivariate", "--json")
    raw = json.loads(out)
    for a, b, c in zip(results["whole.json"]["columns"], results["u.json"]["columns"], raw["columns"]):
        assert a["score"] == b["score"] == c["score"], a["name"]
    drifted = {c["name"] for c in raw["columns"] if c["drifted"]}
    assert drifted == {"amount"}
    prov = results["u.json"]["reference"]["profile"]
    assert prov["rows"] == 9000 and prov["source"] == "p0.csv + p1.csv + p2.csv"
    assert prov["sha256"] == __import__("hashlib").sha256((tmp_path / "u.json").read_bytes()).hexdigest()


def test_import_export_round_trip_and_failed_import_stores_nothing(tmp_path, capsys, monkeypatch):
    from core.assessment.store import create_assessment, open_assessment

    monkeypatch.chdir(tmp_path)
    _tables(tmp_path)
    create_assessment(tmp_path / "a.preflight", name="t").close()
    assert _run(capsys, "profile", "whole.csv", "--out", "whole.json")[0] == 0
    bad = json.loads((tmp_path / "whole.json").read_text())
    bad["version"] = 99
    (tmp_path / "new.json").write_text(json.dumps(bad))
    line = _error(capsys, "profile", "import", "a.preflight", "new.json")
    assert "new.json" in line and "format version 99" in line
    store = open_assessment(tmp_path / "a.preflight", read_only=True)
    assert store.profiles() == []
    store.close()
    code, out, _ = _run(capsys, "profile", "import", "a.preflight", "whole.json", "--name", "ref", "--json")
    assert code == 0
    code, out, _ = _run(capsys, "drift", "cur.csv", "--assessment", "a.preflight", "--reference-profile", "ref",
                        "--method", "psi", "--no-multivariate", "--json")
    via_store = json.loads(out)
    assert via_store["reference"]["sha256"] == json.loads(
        _run(capsys, "profile", "import", "a.preflight", "whole.json", "--json")[1])["sha256"]
    assert _run(capsys, "profile", "export", "a.preflight", "ref", "--out", "back.json")[0] == 0
    back, orig = (json.loads((tmp_path / f).read_text()) for f in ("back.json", "whole.json"))
    assert back["columns"] == orig["columns"] and back["rows"] == orig["rows"]


def test_bad_inputs_are_one_line_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    df = _tables(tmp_path)
    assert _run(capsys, "profile", "whole.csv", "--out", "whole.json")[0] == 0
    df.drop(columns=["city"]).to_csv(tmp_path / "nocity.csv", index=False)
    line = _error(capsys, "drift", "nocity.csv", "--reference-profile-file", "whole.json")
    assert "whole.json" in line and "'city'" in line
    line = _error(capsys, "drift", "cur.csv", "--reference-profile-file", "whole.json", "--categorical", "score")
    assert "whole.json" in line and "'score'" in line and "numeric in the profile but categorical" in line
    assert _run(capsys, "profile", "p0.csv", "--out", "own0.json")[0] == 0
    assert _run(capsys, "profile", "p1.csv", "--out", "own1.json")[0] == 0
    line = _error(capsys, "profile", "merge", "own0.json", "own1.json", "--out", "u.json")
    assert "own1.json" in line and "other bin edges" in line
    assert not (tmp_path / "u.json").exists()
    line = _error(capsys, "profile", "whole.csv", "--columns", "nope", "--out", "x.json")
    assert "'nope'" in line and not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("argv", [["profile", "whole.csv"], ["profile", "merge", "--out", "u.json"]])
def test_missing_arguments(tmp_path, capsys, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    _tables(tmp_path)
    _error(capsys, *argv)


def test_report_names_the_profile_provenance(tmp_path, capsys, monkeypatch):
    import hashlib

    from core.assessment.store import create_assessment, open_assessment
    from core.render.registry import render_run

    monkeypatch.chdir(tmp_path)
    _tables(tmp_path)
    create_assessment(tmp_path / "a.preflight", name="t").close()
    assert _run(capsys, "profile", "whole.csv", "--out", "whole.json")[0] == 0
    sha = hashlib.sha256((tmp_path / "whole.json").read_bytes()).hexdigest()
    assert _run(capsys, "profile", "import", "a.preflight", "whole.json", "--name", "ref")[0] == 0
    _run(capsys, "drift", "cur.csv", "--reference-profile-file", "whole.json", "--assessment", "a.preflight",
         "--no-multivariate")
    _run(capsys, "drift", "cur.csv", "--reference-profile", "ref", "--assessment", "a.preflight",
         "--no-multivariate")
    store = open_assessment(tmp_path / "a.preflight", read_only=True)
    runs = [store.run(r["id"]) for r in store.runs("drift")]
    store.close()
    assert len(runs) == 2
    for run in runs:
        html = render_run(run)
        assert "Reference profile" in html and sha in html and "preflight-pandas" in html
        assert "whole.csv" in html and "9,000 rows" in html.replace("9000", "9,000")
