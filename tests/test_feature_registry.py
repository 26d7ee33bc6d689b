"""A feature plugs in through the registries alone (core/README.md): adding its package name to
``core.features.FEATURES`` gives it a CLI command, a report body and a readiness gate, with no other file changed."""

from __future__ import annotations

import json

import pytest

from core import cli, features
from core.assessment import templates
from core.assessment.store import create_assessment
from core.render import registry

EXAMPLE = "tests.plugin_example"


@pytest.fixture
def with_example(monkeypatch):
    monkeypatch.setattr(features, "FEATURES", features.FEATURES + (EXAMPLE,))
    monkeypatch.setattr(registry, "_LOADED", False)
    monkeypatch.setattr(registry, "_RENDERERS", dict(registry._RENDERERS))
    monkeypatch.setattr(registry, "_GATES", dict(registry._GATES))


def test_the_shipped_features_register_their_commands_and_gates():
    import core.validation.report  # noqa: F401  (imported first on purpose: the order must not depend on it)

    parser = cli.build_parser()
    commands = set(parser._subparsers._group_actions[0].choices)
    assert {"new", "score", "checklist", "audit", "drift", "validate", "report"} <= commands
    assert [kind for kind, _label, _fn in registry.gates()][:2] == ["drift", "validation"]


def test_a_new_feature_gets_its_command_report_body_and_gate(with_example, tmp_path, capsys):
    data = tmp_path / "t.csv"
    data.write_text("a,b\n1,2\n3,4\n5,6\n")
    path = tmp_path / "a.preflight"
    create_assessment(path, name="x", items=list(templates.load("seed").items)).close()

    assert cli.main(["rowcount", str(data), "--minimum", "5", "--json", "--assessment", str(path)]) == 1
    assert json.loads(capsys.readouterr().out) == {"rows": 3, "minimum": 5, "passed": False}

    from core.report import build_report, render_html
    from core.assessment.store import open_assessment
    with open_assessment(path) as store:
        data_ = build_report(store)
    gate = next(c for c in data_.verdict["checks"] if c["key"] == "rowcount")
    assert gate["state"] == "fail" and "3 rows (minimum 5)" in gate["detail"]
    assert data_.verdict["status"] == "not_ready"
    assert "Row count: 3" in render_html(data_)


def test_without_the_registry_line_the_feature_is_absent(tmp_path):
    assert "rowcount" not in cli.build_parser()._subparsers._group_actions[0].choices
    assert "rowcount" not in [kind for kind, _l, _f in registry.gates()]


def test_gate_order_follows_the_feature_registry_not_import_order(monkeypatch):
    registry.load_kinds()
    monkeypatch.setattr(registry, "_GATES", dict(reversed(list(registry._GATES.items()))))
    kinds = [kind for kind, _label, _fn in registry.gates()]
    packages = [f"core.{k}" for k in ("drift", "validation", "performance", "load", "canary", "codeaudit")]
    expected = [p for p in features.FEATURES if p in packages]
    owner = {"drift": "core.drift", "validation": "core.validation", "canary": "core.canary",
             "code_audit": "core.codeaudit", "performance": "core.performance", "loadtest": "core.load",
             "capacity": "core.load", "autoscale": "core.load"}
    order = [owner[k] for k in kinds]
    # a feature with several run kinds (load: loadtest, capacity, autoscale) has its gates side by side
    assert [p for i, p in enumerate(order) if i == 0 or order[i - 1] != p] == expected
