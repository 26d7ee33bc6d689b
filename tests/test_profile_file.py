"""Reference profile files: merging partitions exactly, drift against a merged profile, bad files."""

import json

import numpy as np
import pandas as pd
import pytest

from core.drift import profile_file as pf
from core.drift.compute import compute_drift
from core.drift.profile import ReferenceProfile
from core.drift.profile_merge import chan_combine, merge_profiles
from core.errors import InputFileError

KINDS = {"x": "numeric", "t": "numeric", "k": "numeric", "c": "categorical", "b": "boolean", "s": "numeric",
         "d": "datetime"}


def _table(n=21_000, seed=3, shift=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(loc=1e6 + shift, scale=3.0, size=n)  # large mean: the moments must not lose precision
    x[::101] = np.nan
    x[5::997] = np.inf
    return pd.DataFrame({
        "x": x,
        "t": rng.standard_t(2, size=n) + shift,                         # heavy tails
        "k": rng.integers(0, 4, size=n).astype(float),                  # ties on the decile edges
        "c": rng.choice(["a", "b", "c", None], size=n, p=[0.5, 0.3, 0.15, 0.05]),
        "b": rng.random(n) < 0.3,
        "s": np.where(rng.random(n) < 0.8, rng.normal(size=n), np.nan)[:n],
        "d": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 86400 * 90, n), unit="s"),
    })


def _doc(df, edges_from=None, source="t"):
    data = pf.build_profile_data(df, KINDS, edges_from=edges_from)
    return pf.make_profile_file(data, engine=pf.ENGINE, source=source, edges="given" if edges_from else "own")


def _parts(df, k):
    return [df.iloc[i::k] for i in range(k)]


@pytest.mark.parametrize("k", [2, 5])
def test_merged_partitions_equal_the_whole(k):
    df = _table()
    whole = _doc(df)
    docs = [(_doc(part, edges_from=whole), f"p{i}.json") for i, part in enumerate(_parts(df, k))]
    merged = merge_profiles(docs)
    assert merged["rows"] == whole["rows"] == len(df)
    for name, w in whole["columns"].items():
        m = merged["columns"][name]
        for key in ("count", "missing", "infinite", "bin_counts", "deciles", "categories", "other_count", "min",
                    "max"):
            assert m.get(key) == w.get(key), (name, key)
        if w["kind"] == "datetime":
            assert m["mean"] == pytest.approx(w["mean"], rel=1e-12)
            assert m["m2"] == pytest.approx(w["m2"], rel=1e-12)
        if w["kind"] == "numeric":
            values = df[name].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            assert m["count"] == values.size
            assert m["mean"] == pytest.approx(np.mean(values), rel=1e-12)
            assert m["mean"] == pytest.approx(w["mean"], rel=1e-12)
            assert m["m2"] == pytest.approx(w["m2"], rel=1e-12)
            assert m["std"] == pytest.approx(np.std(values), rel=1e-12)
            assert m["sum"] == pytest.approx(np.sum(values), rel=1e-12)


def test_drift_against_merged_profile_equals_drift_against_whole():
    ref, cur = _table(), _table(seed=4, shift=0.4)
    whole = _doc(ref)
    merged_data = merge_profiles([(_doc(p, edges_from=whole), "p") for p in _parts(ref, 3)])
    merged = pf.make_profile_file(merged_data, engine="x", source="parts", edges="merged")
    pf.check_profile_doc(merged, "merged.json")
    for method in ("psi", "jensenshannon", "chi2"):
        cols = ["c", "b"] if method == "chi2" else None
        a = compute_drift(ReferenceProfile.from_dict(whole), cur, KINDS, method=method, columns=cols,
                          multivariate=False).to_dict()
        b = compute_drift(ReferenceProfile.from_dict(merged), cur, KINDS, method=method, columns=cols,
                          multivariate=False).to_dict()
        raw = compute_drift(ref, cur, KINDS, method=method, columns=cols, multivariate=False).to_dict()
        for ca, cb, cr in zip(a["columns"], b["columns"], raw["columns"]):
            assert cb["score"] == ca["score"] == cr["score"], (method, ca["name"])
            assert cb.get("psi") == ca.get("psi") == cr.get("psi")
            assert cb.get("chi2_p_value") == cr.get("chi2_p_value")
        assert any(c["score"] for c in b["columns"]), method  # not a comparison of zeros


def test_merged_sketch_keeps_its_stated_rank_error():
    df = _table(n=30_000)
    whole = _doc(df)
    merged = merge_profiles([(_doc(p, edges_from=whole), "p") for p in _parts(df, 3)])
    values = np.sort(df["t"].to_numpy())
    sk = merged["columns"]["t"]["sketch"]
    assert sk["type"] == "quantiles" and 0 < sk["rank_error"] < 0.01
    lo = np.searchsorted(values, sk["values"], side="left") / values.size
    hi = np.searchsorted(values, sk["values"], side="right") / values.size
    p = np.asarray(sk["probs"])
    gap = np.maximum(0, np.maximum(lo - p, p - hi))  # how far the true rank of each sketch value is from p
    assert gap.max() <= sk["rank_error"] + 1.0 / values.size


def test_small_parts_merge_into_an_exact_values_sketch():
    df = _table(n=600)
    whole = _doc(df)
    merged = merge_profiles([(_doc(p, edges_from=whole), "p") for p in _parts(df, 4)])
    assert merged["columns"]["t"]["sketch"] == whole["columns"]["t"]["sketch"]
    assert merged["columns"]["k"]["unique"] == whole["columns"]["k"]["unique"] == 4


def test_a_part_without_values_in_a_column_merges():
    df = _table(n=3000)
    df.loc[df.index % 3 == 0, "s"] = np.nan  # the first part has no value in "s"
    whole = _doc(df)
    docs = [(_doc(p, edges_from=whole), f"p{i}.json") for i, p in enumerate(_parts(df, 3))]
    assert docs[0][0]["columns"]["s"]["count"] == 0
    merged = merge_profiles(docs)["columns"]["s"]
    assert merged["bin_counts"] == whole["columns"]["s"]["bin_counts"]
    assert merged["mean"] == pytest.approx(whole["columns"]["s"]["mean"], rel=1e-12)
    other = json.loads(json.dumps(docs[2][0]))
    other["columns"]["s"]["deciles"] = [v + 1e-9 for v in other["columns"]["s"]["deciles"]]
    with pytest.raises(InputFileError, match=r"p2\.json: column 's' has other bin edges than in p1\.json"):
        merge_profiles(docs[:2] + [(other, "p2.json")])


def test_chan_combine_matches_two_pass():
    rng = np.random.default_rng(0)
    a, b = rng.normal(5, 2, 1000), rng.normal(-3, 7, 37)
    n, mean, m2 = chan_combine(a.size, a.mean(), ((a - a.mean()) ** 2).sum(), b.size, b.mean(),
                               ((b - b.mean()) ** 2).sum())
    both = np.concatenate([a, b])
    assert n == both.size
    assert mean == pytest.approx(both.mean(), rel=1e-13)
    assert m2 == pytest.approx(((both - both.mean()) ** 2).sum(), rel=1e-12)


def test_parts_with_their_own_edges_do_not_merge():
    df = _table(n=3000)
    a, b = (_doc(p) for p in _parts(df, 2))
    with pytest.raises(InputFileError, match=r"b\.json: column '(x|t|s|d)' has other bin edges"):
        merge_profiles([(a, "a.json"), (b, "b.json")])


def test_parts_with_other_columns_or_kinds_do_not_merge():
    df = _table(n=3000)
    a = _doc(df)
    fewer = pf.make_profile_file(pf.build_profile_data(df, {"x": "numeric"}), engine="e", source="s", edges="own")
    with pytest.raises(InputFileError, match=r"b\.json: column '\w' is in only one"):
        merge_profiles([(a, "a.json"), (fewer, "b.json")])
    kinds = dict(KINDS, k="categorical")
    other = pf.make_profile_file(pf.build_profile_data(df, kinds), engine="e", source="s", edges="own")
    with pytest.raises(InputFileError, match=r"b\.json: column 'k' is categorical here but numeric"):
        merge_profiles([(a, "a.json"), (other, "b.json")])


# ---------------------------------------------------------------- reading files

def _write(tmp_path, doc, name="p.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_round_trip_and_file_hash(tmp_path):
    doc = _doc(_table(n=2000))
    path = tmp_path / "p.json"
    sha = pf.write_profile_file(doc, path)
    back, file_sha = pf.read_profile_file(path)
    assert back == doc and file_sha == sha
    assert back["format"] == "preflight-reference-profile" and back["version"] == pf.FORMAT_VERSION
    assert back["provenance"]["rows"] == 2000 and back["provenance"]["engine"] == pf.ENGINE


def test_newer_version_is_refused(tmp_path):
    doc = _doc(_table(n=500))
    doc["version"] = pf.FORMAT_VERSION + 1
    doc["content_sha256"] = pf.content_sha256(doc)
    with pytest.raises(InputFileError, match=r"p\.json: .*format version 2, newer"):
        pf.read_profile_file(_write(tmp_path, doc))


def test_edited_or_garbled_files_are_refused(tmp_path):
    doc = _doc(_table(n=500))
    edited = json.loads(json.dumps(doc))
    edited["columns"]["x"]["bin_counts"][0] += 1
    with pytest.raises(InputFileError, match=r"p\.json: .*does not match its content_sha256"):
        pf.read_profile_file(_write(tmp_path, edited))
    edited["content_sha256"] = pf.content_sha256(edited)  # consistent hash, inconsistent counts
    with pytest.raises(InputFileError, match=r"p\.json: column 'x': the bin counts add up"):
        pf.read_profile_file(_write(tmp_path, edited))
    (tmp_path / "g.json").write_text('{"format": "preflight-reference-profile", "vers')
    with pytest.raises(InputFileError, match=r"g\.json: not a reference profile: the file is not valid JSON"):
        pf.read_profile_file(tmp_path / "g.json")
    with pytest.raises(InputFileError, match=r"n\.json: not a reference profile"):
        pf.read_profile_file(_write(tmp_path, {"rows": 1}, "n.json"))


def test_profile_is_checked_against_the_current_table():
    doc = _doc(_table(n=500))
    kinds = dict(KINDS)
    pf.check_against_table(doc, "p.json", kinds)
    with pytest.raises(InputFileError, match=r"p\.json: column 'k' is numeric in the profile but categorical"):
        pf.check_against_table(doc, "p.json", dict(kinds, k="categorical"))
    del kinds["t"]
    with pytest.raises(InputFileError, match=r"p\.json: column 't' of the profile is not in the current table"):
        pf.check_against_table(doc, "p.json", kinds)
    with pytest.raises(InputFileError, match=r"p\.json: the profile has no column 'zz'"):
        pf.check_against_table(doc, "p.json", KINDS, columns=["zz"])


def test_failed_write_leaves_nothing(tmp_path):
    doc = _doc(_table(n=500))
    doc["columns"]["x"]["mean"] = float("nan")  # not JSON
    with pytest.raises(ValueError):
        pf.write_profile_file(doc, tmp_path / "p.json")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_write_leaves_nothing_and_a_written_file_has_the_usual_permissions(tmp_path, monkeypatch):
    import os

    doc = _doc(_table(n=500))
    pf.write_profile_file(doc, tmp_path / "ok.json")
    umask = os.umask(0o022)
    os.umask(umask)
    assert (tmp_path / "ok.json").stat().st_mode & 0o777 == 0o666 & ~umask
    monkeypatch.setattr(pf.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        pf.write_profile_file(doc, tmp_path / "p.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.json"]
