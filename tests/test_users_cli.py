"""The users and sign commands: administrator, key on another machine, refusals (exit 1) and errors (exit 2)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.assessment import templates
from core.assessment.store import create_assessment, open_assessment
from core.cli import main
from core.handoff import signing

ROOT = Path(__file__).resolve().parent.parent


def run(monkeypatch, capsys, argv, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def file(tmp_path):
    path = tmp_path / "c.preflight"
    create_assessment(path, name="C", items=templates.load("seed").items).close()
    return str(path)


def test_users_add_sign_and_refusals(monkeypatch, capsys, file):
    code, out, _ = run(monkeypatch, capsys, ["users", "add", file, "Ann", "--role", "preparer", "--password-stdin",
                                             "--json"], "ann password\n")
    assert code == 0 and json.loads(out)["administrator"] is True
    code, _, err = run(monkeypatch, capsys, ["users", "add", file, "Bob", "--role", "reviewer", "--password-stdin"],
                       "ann password\nbob password\n")
    assert code == 2 and err.startswith("error: ") and "--admin" in err
    code, _, err = run(monkeypatch, capsys, ["users", "add", file, "Bob", "--role", "reviewer", "--admin", "Ann",
                                             "--password-stdin"], "wrong password\nbob password\n")
    assert code == 1 and err == "refused: wrong password for Ann\n"
    code, out, _ = run(monkeypatch, capsys, ["users", "add", file, "Bob", "--role", "reviewer", "--admin", "Ann",
                                             "--password-stdin"], "ann password\nbob password\r\n")
    assert code == 0 and out.startswith("added Bob as reviewer; key fingerprint ")
    # out of order: Bob cannot review before authorship, and the refusal is audited
    code, _, err = run(monkeypatch, capsys, ["sign", file, "--user", "Bob", "--meaning", "reviewed",
                                             "--password-stdin"], "bob password\n")
    assert code == 1 and "no valid authorship signature" in err
    code, out, _ = run(monkeypatch, capsys, ["sign", file, "--user", "Ann", "--meaning", "authored",
                                             "--password-stdin", "--json"], "ann password\n")
    result = json.loads(out)
    assert code == 0 and (result["meaning"], result["stage"]) == ("authorship", "prepared")
    # separation of duties: the author cannot also review (even with a reviewer role she does not have)
    code, _, err = run(monkeypatch, capsys, ["sign", file, "--user", "Ann", "--meaning", "reviewed",
                                             "--password-stdin"], "ann password\n")
    assert code == 1 and "may sign only for authorship" in err
    code, _, err = run(monkeypatch, capsys, ["sign", file, "--user", "Nobody", "--meaning", "reviewed",
                                             "--password-stdin"], "x\n")
    assert code == 2 and "no user named 'Nobody'" in err
    with open_assessment(file) as store:
        failed = [json.loads(e["after"])["meaning"] for e in store.audit_events() if e["action"] == "sign_failed"]
        assert failed == ["review", "review"]
        assert signing.stage(store) == "prepared"


def test_key_from_another_machine(monkeypatch, capsys, file, tmp_path):
    desk_a, desk_b = tmp_path / "admin-machine", tmp_path / "reviewer-machine"
    desk_a.mkdir(), desk_b.mkdir()
    monkeypatch.setenv("PREFLIGHT_HOME", str(desk_b))
    assert run(monkeypatch, capsys, ["users", "export-key", "Rita", "--out", str(tmp_path / "rita.pub")])[0] == 2
    # Rita creates her key at her desk (a throw-away assessment adds her), then exports it
    scratch = tmp_path / "scratch.preflight"
    create_assessment(scratch, name="scratch").close()
    run(monkeypatch, capsys, ["users", "add", str(scratch), "Rita", "--role", "reviewer", "--password-stdin"],
        "rita password\n")
    assert run(monkeypatch, capsys, ["users", "export-key", "Rita", "--out", str(tmp_path / "rita.pub")])[0] == 0
    # the administrator adds Ann (local) and Rita by her public key: no password of Rita's is needed
    monkeypatch.setenv("PREFLIGHT_HOME", str(desk_a))
    run(monkeypatch, capsys, ["users", "add", file, "Ann", "--role", "preparer", "--password-stdin"], "ann password\n")
    code, out, err = run(monkeypatch, capsys, ["users", "add", file, "Rita", "--role", "reviewer", "--admin", "Ann",
                                               "--public-key", str(tmp_path / "rita.pub"), "--password-stdin"],
                         "ann password\n")
    assert code == 0, err
    run(monkeypatch, capsys, ["sign", file, "--user", "Ann", "--meaning", "authored", "--password-stdin"],
        "ann password\n")
    # Rita cannot sign on the administrator's machine: her private key is not there
    code, _, err = run(monkeypatch, capsys, ["sign", file, "--user", "Rita", "--meaning", "reviewed",
                                             "--password-stdin"], "rita password\n")
    assert code == 1 and "no signer profile on this machine" in err
    # the file travels to Rita, who signs at her desk
    monkeypatch.setenv("PREFLIGHT_HOME", str(desk_b))
    code, out, err = run(monkeypatch, capsys, ["sign", file, "--user", "Rita", "--meaning", "reviewed",
                                               "--password-stdin", "--json"], "rita password\n")
    assert code == 0, err
    assert json.loads(out)["stage"] == "reviewed"
    with open_assessment(file) as store:
        trusted = signing.verify_signatures(store, tmp_path)  # the folder holding rita.pub
    assert [(c.signer, c.status) for c in trusted] == [("Ann", "untrusted"), ("Rita", "trusted")]


def test_cli_in_a_subprocess_at_the_production_key_cost(tmp_path, file):
    env = {**os.environ, "PREFLIGHT_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, str(ROOT / "main.py")]
    add = subprocess.run(cmd + ["users", "add", file, "Ann", "--role", "preparer", "--password-stdin"],
                         input="ann password\n", capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert add.returncode == 0, add.stderr
    sign = subprocess.run(cmd + ["sign", file, "--user", "Ann", "--meaning", "authored", "--password-stdin",
                                 "--json"], input="ann password\n", capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)
    assert sign.returncode == 0, sign.stderr
    assert json.loads(sign.stdout)["fingerprint"] in (tmp_path / "home").joinpath("signers").glob("*.json").__next__(
    ).read_text(encoding="utf-8")
    bad = subprocess.run(cmd + ["sign", file, "--user", "Ann", "--meaning", "approved", "--password-stdin"],
                         input="not the password\n", capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert (bad.returncode, bad.stderr) == (1, "refused: wrong password for Ann\n")


def test_deactivate_role_and_passwd_commands(monkeypatch, capsys, file):
    run(monkeypatch, capsys, ["users", "add", file, "Ann", "--role", "preparer", "--password-stdin"], "ann password\n")
    run(monkeypatch, capsys, ["users", "add", file, "Bob", "--role", "reviewer", "--admin", "Ann", "--password-stdin"],
        "ann password\nbob password\n")
    code, _, err = run(monkeypatch, capsys, ["users", "role", file, "Bob", "--role", "approver", "--admin", "Bob",
                                             "--password-stdin"], "bob password\n")
    assert code == 1 and "Bob is not the administrator" in err
    code, out, _ = run(monkeypatch, capsys, ["users", "role", file, "Bob", "--role", "approver", "--admin", "Ann",
                                             "--password-stdin"], "ann password\n")
    assert (code, out) == (0, "Bob's role is now approver\n")
    code, _, err = run(monkeypatch, capsys, ["users", "passwd", file, "Bob", "--password-stdin"], "bob password\nshort\n")
    assert code == 1 and "at least 8" in err
    code, _, _ = run(monkeypatch, capsys, ["users", "passwd", file, "Bob", "--password-stdin"],
                     "bob password\nnew bob password\n")
    assert code == 0
    code, _, _ = run(monkeypatch, capsys, ["users", "deactivate", file, "Bob", "--admin", "Ann", "--reason", "left",
                                           "--password-stdin"], "ann password\n")
    assert code == 0
    code, out, _ = run(monkeypatch, capsys, ["users", "list", file, "--json"])
    users = {u["name"]: u for u in json.loads(out)["users"]}
    assert (users["Bob"]["role"], users["Bob"]["active"], users["Ann"]["is_admin"]) == ("approver", False, True)
    with open_assessment(file) as store:
        actions = [e["action"] for e in store.audit_events()]
    assert {"admin_refused", "password_changed", "deactivate"} <= set(actions)
