"""PSI bin edges are the contract's np.quantile deciles bit for bit, for raw tables and stored profiles."""

import json

import numpy as np
import pandas as pd
import pytest

from core.drift.compute import compute_drift
from core.drift.profile import ReferenceProfile, build_profile

DEC = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def run(ref, cur, kinds, **kw):
    kw.setdefault("multivariate", False)
    return compute_drift(ref, cur, kinds, **kw)


def psi_by_hand(r, c):
    r = np.where(np.asarray(r) == 0, 1e-4, r)
    c = np.where(np.asarray(c) == 0, 1e-4, c)
    return float(np.sum((c - r) * np.log(c / r)))


def _on_edge_tables(seed):
    """Integer ties (deciles fall on data values) plus current values set exactly to the reference deciles."""
    rng = np.random.default_rng(seed)
    ref = np.concatenate([rng.integers(0, 40, 997).astype(float), rng.normal(20, 7, 211) / 3])
    edges = np.quantile(ref, DEC)
    cur = np.concatenate([rng.integers(0, 45, 800).astype(float), np.repeat(edges, 25),
                          np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)])
    return ref, cur, edges


@pytest.mark.parametrize("seed", range(6))
def test_psi_edges_are_np_quantile_bit_for_bit_raw_and_profile(seed):
    ref, cur, edges = _on_edge_tables(seed)
    kinds = {"x": "numeric"}
    rdf, cdf = pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur})
    raw = run(rdf, cdf, kinds).column("x")
    assert raw.psi_bins["edges"] == edges.tolist()  # == on floats: bit for bit
    profile = ReferenceProfile.from_dict(json.loads(json.dumps(build_profile(rdf, kinds).to_dict())))
    assert profile.columns["x"]["deciles"] == edges.tolist()
    prof = run(profile, cdf, kinds).column("x")
    assert prof.psi_bins["edges"] == edges.tolist()
    # the documented left-closed bins: (-inf, e0), [e0, e1), ..., [e8, inf), i.e. searchsorted(side="right")
    r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=10) / ref.size
    c = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=10) / cur.size
    assert raw.psi_bins["reference"] == r.tolist() and raw.psi_bins["current"] == c.tolist()
    assert raw.psi == pytest.approx(psi_by_hand(r, c), rel=1e-12)
    assert prof.psi == raw.psi and prof.psi_bins == raw.psi_bins


def test_sketch_quantiles_equal_np_quantile_where_a_naive_lerp_is_one_ulp_off():
    from core.drift.profile import sketch_probs, sorted_quantiles

    rng = np.random.default_rng(11)
    off = 0
    for _ in range(300):
        a = np.sort(rng.normal(size=int(rng.integers(2, 300))) * 10.0 ** int(rng.integers(-3, 6)))
        probs = np.r_[DEC, rng.random(30), 0.0, 1.0]
        lo = np.floor(probs * (a.size - 1)).astype(int)
        hi = np.minimum(lo + 1, a.size - 1)
        naive = a[lo] + (a[hi] - a[lo]) * (probs * (a.size - 1) - lo)
        off += not np.array_equal(naive, np.quantile(a, probs))
        assert np.array_equal(sorted_quantiles(a, probs), np.quantile(a, probs))
    assert off > 0  # the data does exercise the case a hand-rolled interpolation gets wrong
    big = np.sort(np.round(rng.lognormal(size=30_000), 2))
    assert np.array_equal(sorted_quantiles(big, sketch_probs(big.size)), np.quantile(big, sketch_probs(big.size)))
