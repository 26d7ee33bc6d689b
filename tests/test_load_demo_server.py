"""The demo endpoint: its model against scikit-learn, its routes and errors, keep-alive and pipelining,
and the injected latency and errors."""

import http.client
import json
import socket

import pytest

from core.errors import PreflightError
from core.load.demo_server import DemoServer, demo_model
from core.load.engine import run_load
from core.load.plan import constant_plan


@pytest.fixture(scope="module")
def demo():
    with DemoServer() as srv:
        yield srv


def _call(srv, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, json.loads(data)


def test_health(demo):
    status, body = _call(demo, "GET", "/health")
    assert status == 200 and body["status"] == "ok" and body["features"] == 30


def test_prediction_matches_scikit_learn(demo):
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    model = demo_model()
    for i in (0, 1, 100, 300):
        row = {str(n): float(v) for n, v in zip(data.feature_names, data.data[i])}
        status, body = _call(demo, "POST", "/predict", json.dumps(row))
        expected = model.pipeline.predict_proba(data.data[i:i + 1])[0, 1]
        assert status == 200 and body["missing"] == 0
        assert body["probability"] == pytest.approx(expected, abs=1e-6)
        assert body["prediction"] == int(model.pipeline.predict(data.data[i:i + 1])[0])
        assert body["label"] == str(data.target_names[body["prediction"]])


def test_missing_features_take_the_training_mean(demo):
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    row = data.data.mean(axis=0)
    row[0] = 25.0
    status, body = _call(demo, "POST", "/predict", json.dumps({"features": {"mean radius": 25.0, "unknown": 1}}))
    assert status == 200 and body["missing"] == 29
    assert body["probability"] == pytest.approx(demo_model().pipeline.predict_proba(row[None, :])[0, 1], abs=1e-6)


@pytest.mark.parametrize("method, path, body, status", [
    ("POST", "/predict", "not json", 400),
    ("POST", "/predict", "[1, 2]", 400),
    ("POST", "/predict", '{"mean radius": "big"}', 400),
    ("GET", "/predict", None, 405),
    ("GET", "/nowhere", None, 404),
])
def test_errors(demo, method, path, body, status):
    got, payload = _call(demo, method, path, body)
    assert got == status and "error" in payload


def test_keep_alive_and_pipelining(demo):
    body = b'{"mean radius": 12}'
    req = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    with socket.create_connection(("127.0.0.1", demo.port), timeout=5) as s:
        s.sendall(req + req + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while data.count(b"HTTP/1.1 200") < 3 or not data.endswith(b"}"):
            data += s.recv(65536)
    assert data.count(b"HTTP/1.1 200 OK") == 3 and b'"status":"ok"' in data


def test_injected_errors_and_latency():
    with DemoServer(error_rate=0.3, latency_ms=20, seed=4) as srv:
        r = run_load(constant_plan(srv.url, 100, 2.0))
    assert r.requests == 200
    assert 30 <= r.error_types.get("http_5xx", 0) <= 90
    assert set(r.status_counts) == {"200", "500"}
    # every reply was held back by at least the configured latency
    assert r.service_histogram["min_ms"] >= 20 * 0.99


def test_bad_settings():
    for kw in ({"stall_ms": 100}, {"error_rate": 1.5}, {"latency_ms": -1},
               {"stall_every_s": 1, "stall_ms": 1000}, {"host": "0.0.0.0"}):
        with pytest.raises(PreflightError):
            DemoServer(**kw)


def test_port_in_use_is_a_clear_error(demo):
    with pytest.raises(PreflightError, match="cannot listen"):
        DemoServer(port=demo.port).start()
