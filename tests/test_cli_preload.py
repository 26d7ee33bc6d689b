"""The CLI driver loads a command's libraries in the background while the command starts."""

import pytest

from core import cli
from core.drift import cli as drift_cli


def _args(argv):
    return cli.build_parser().parse_args(argv)


def test_drift_preloads_the_statistics_but_never_scikit_learn():
    # scikit-learn is imported by the classifier's thread alone: two threads importing it at once
    # could meet in a module-lock deadlock
    for extra in ([], ["--no-multivariate"]):
        names = drift_cli.preload(_args(["drift", "a.csv", "b.csv", *extra]))
        assert names == ("scipy.stats",)


def test_preload_imports_the_modules_and_ignores_a_failing_one(monkeypatch):
    seen = []

    def fake_import(name):
        seen.append(name)
        if name == "broken":
            raise ImportError(name)

    args = _args(["drift", "a.csv", "b.csv"])
    monkeypatch.setattr(drift_cli, "preload", lambda args: ("first", "broken", "never"))
    monkeypatch.setattr(cli.importlib, "import_module", fake_import)
    thread = cli.preload(args)
    thread.join(30)
    assert not thread.is_alive() and seen == ["first", "broken"]  # stops quietly at the failure


def test_preloads_name_third_party_libraries_only():
    from core.features import feature_modules

    for module in feature_modules("cli"):
        if hasattr(module, "preload"):
            for name in module.preload(_args(["drift", "a.csv", "b.csv"])):
                assert not name.startswith(("core", "ui", "main")), (module.__name__, name)


def test_commands_without_a_preload_start_no_thread():
    assert cli.preload(_args(["new", "x.preflight"])) is None


@pytest.mark.parametrize("extra", [[], ["--no-multivariate"]])
def test_drift_errors_stay_one_line_with_the_preload(tmp_path, capsys, extra):
    code = cli.main(["drift", str(tmp_path / "missing.csv"), str(tmp_path / "also.csv"), *extra])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
