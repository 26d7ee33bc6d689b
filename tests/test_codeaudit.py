"""The code-audit scanner on small sources and notebooks built here: each finding kind, magics, syntax errors."""

from __future__ import annotations

import json

import pytest

from core.codeaudit import dependencies, secrets
from core.codeaudit.paths import path_style
from core.codeaudit.scanner import audit, scan_notebook, scan_python, scan_text

ARTICLE = """import pandas as pd
data = pd.read_csv('/Users/john/data.csv')
model.fit(data, epochs=10000, batch_size=512)
"""


def code(source, count=None, outputs=()):
    return {"cell_type": "code", "source": source, "execution_count": count, "outputs": list(outputs),
            "metadata": {}}


def markdown(source):
    return {"cell_type": "markdown", "source": source, "metadata": {}}


def notebook(*cells, language="python"):
    return {"nbformat": 4, "nbformat_minor": 5, "cells": list(cells),
            "metadata": {"kernelspec": {"name": "k", "language": language}}}


def kinds(findings, kind):
    return [f for f in findings if f.kind == kind]


def test_the_articles_example_is_caught():
    result = scan_text(ARTICLE)
    paths = kinds(result.findings, "absolute_path")
    assert len(paths) == 1 and paths[0].line == 2 and "/Users/john/data.csv" in paths[0].message
    magic = kinds(result.findings, "magic_number")
    assert sorted(f.message.split()[2] for f in magic) == ["10000", "512"]
    assert {f.line for f in magic} == {3}
    structure = kinds(result.findings, "structure")
    assert len(structure) == 1 and "needs refactoring" in structure[0].message
    metrics = result.scans[0].metrics
    assert metrics["functions"] == 0 and metrics["reusability"] == "low"
    assert result.summary["magic_numbers"] == {"call_argument": 2, "comparison": 0}
    assert result.summary["passed"] is True and result.summary["by_kind"] == {
        "absolute_path": 1, "magic_number": 2, "structure": 1}


def test_refactored_code_is_not_flagged_for_structure_or_named_numbers():
    source = '''"""Train."""
EPOCHS = 10000
BATCH = max(512, 64)


def load(path):
    return read(path)


def train(data):
    return fit(data, epochs=EPOCHS, batch_size=BATCH)


def main():
    train(load(settings.path))


if __name__ == "__main__":
    main()
'''
    result = scan_text(source)
    assert result.findings == ()
    assert result.scans[0].metrics["functions"] == 3 and result.scans[0].metrics["reusability"] == "ok"


@pytest.mark.parametrize("text, style", [
    ("/Users/john/data.csv", "POSIX"), ("/home/ana/x", "POSIX"), ("/srv/models/v2/model.pkl", "POSIX"),
    ("C:\\Users\\ana\\data.csv", "Windows"), ("D:/data/x.parquet", "Windows"),
    ("\\\\fileserver\\share\\data.csv", "UNC"),
    ("/api/v1/predict", None), ("/", None), ("relative/data.csv", None), ("http://host/data.csv", None),
    ("a/b", None),
])
def test_absolute_path_styles(text, style):
    assert path_style(text) == style


def test_a_windows_path_is_quoted_as_written():
    result = scan_text("open('C:\\\\Users\\\\ana\\\\churn.csv')\n")
    assert '"C:\\Users\\ana\\churn.csv"' in kinds(result.findings, "absolute_path")[0].message


def test_control_characters_of_a_path_are_not_echoed():
    message = kinds(scan_text('open("/home/a/\x1b[31mred.csv")\n').findings, "absolute_path")[0].message
    assert "\x1b" not in message and "/home/a/?[31mred.csv" in message


def test_paths_in_docstrings_are_not_findings_but_fstring_parts_are():
    result = scan_text('"""Reads /home/ana/data.csv."""\nopen(f"/home/{user}/data.csv")\n')
    paths = kinds(result.findings, "absolute_path")
    assert [f.line for f in paths] == [2]


def test_magic_numbers_in_comparisons_not_indices_defaults_or_small_values():
    source = ("def f(x, limit=300):\n    return x[5]\n"
              "if score > 0.87 and n != 2:\n    g(-1, 0, 1, 2, x[7], -42)\n")
    result = scan_text(source)
    values = sorted(f.message for f in kinds(result.findings, "magic_number"))
    assert values == ["magic number -42 passed to g()", "magic number 0.87 in a comparison"]
    assert result.summary["magic_numbers"] == {"call_argument": 1, "comparison": 1}


@pytest.mark.parametrize("line, what", [
    ("key = 'AKIAIOSFODNN7EXAMPLE'", "AWS access key"),
    ("h = {'Authorization': 'Bearer eyJhbGciOiJIUzI1NiJ9abcdefghij'}", "bearer token"),
    ("pem = '''-----BEGIN RSA PRIVATE KEY-----\\nMIIEow\\n-----END RSA PRIVATE KEY-----'''", "private key"),
    ("password = 'hunter2!'", "assigned to 'password'"),
    ("connect(user='a', api_key='zq81hd7s')", "assigned to 'api_key'"),
    ("cfg = {'client_secret': 'p4ssw0rd-x'}", "assigned to 'client_secret'"),
    ("x = 'kF9dQ2mZ7vB4nX1cL8wR3tY6uP0sA5hJ'", "high-entropy"),
    ("x = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'", "JSON web"),
    ("cfg = {'apiKey': 'zq81hd7s'}", "assigned to 'apiKey'"),
])
def test_each_kind_of_secret_is_high_and_redacted(line, what):
    scan = scan_python(line + "\n", "s.py")
    found = kinds(scan.findings, "secret")
    assert len(found) == 1 and found[0].severity == "high" and what in found[0].message
    assert len(scan.redactions) == 1
    for token in ("AKIAIOSFODNN7EXAMPLE", "eyJhbGciOiJIUzI1NiJ9", "MIIEow", "hunter2", "zq81hd7s", "p4ssw0rd",
                  "kF9dQ2mZ", "dozjgNryP4J3"):
        assert token not in found[0].message
    masked = secrets.mask((line + "\n").split("\n"), [(r.line, r.col, r.end_line, r.end_col)
                                                       for r in scan.redactions])
    for token in ("AKIAIOSFODNN7EXAMPLE", "eyJhbGciOiJIUzI1NiJ9", "hunter2", "zq81hd7s", "p4ssw0rd", "kF9dQ2mZ",
                  "dozjgNryP4J3"):
        assert token not in "\n".join(masked)


@pytest.mark.parametrize("line", ["password = ''", "token = os.environ['TOKEN']", "password = 'changeme'",
                                  "secret_label = 'Secret in a literal'", "sha = 'e3b0c44298fc1c149afbf4c8996fb924'",
                                  "token = '${TOKEN}'", "token_type = 'bare-quoted-string'",
                                  "auth_header = 'Proxy-Authorization'",
                                  "chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'",
                                  "p = '/root/.pyenv/versions/3.11.7/lib/python3.11/config-3.11-x86_64-linux-gnu'"])
def test_placeholders_prose_and_hex_hashes_are_not_secrets(line):
    assert kinds(scan_python(line + "\n", "s.py").findings, "secret") == []


def test_unseeded_randomness():
    source = """import numpy as np
from numpy.random import rand
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split, KFold
import random
a = np.random.normal(size=3)
b = rand(3)
m = RandomForestClassifier(n_estimators=10)
ok = RandomForestClassifier(random_state=0)
x, y = train_test_split(a)
k = KFold(5, shuffle=True)
k2 = KFold(5)
g = np.random.default_rng()
g2 = np.random.default_rng(42)
r = random.choice([1, 2])
"""
    lines = sorted(f.line for f in kinds(scan_text(source).findings, "unseeded_random"))
    assert lines == [6, 7, 8, 10, 11, 13, 15]


def test_seeding_the_global_generators_clears_them():
    source = ("import numpy as np\nimport random\nnp.random.seed(0)\nrandom.seed(1)\n"
              "np.random.rand(3)\nrandom.random()\n")
    result = scan_text(source)
    assert kinds(result.findings, "unseeded_random") == [] and result.summary["reproducible"] is True
    assert any(e["item"] == "Training is reproducible" for e in result.summary["suggested_evidence"])


def test_a_class_named_like_sklearns_from_elsewhere_is_not_flagged():
    source = "from mylib import RandomForestClassifier\nm = RandomForestClassifier()\n"
    assert kinds(scan_text(source).findings, "unseeded_random") == []


def test_notebook_hygiene():
    big = {"output_type": "stream", "name": "stdout", "text": ["x" * 1_100_000]}
    error = {"output_type": "error", "ename": "KeyError", "evalue": "'a'", "traceback": []}
    nb = notebook(
        markdown("# Title"),
        code("import pandas as pd\nprint(df.shape)", count=5),          # cell 2: uses df from cell 4
        code("x = 1", count=2, outputs=[big]),                             # cell 3: out of order, big output
        code("df = pd.DataFrame({'a': [1]})\ndf['b']", count=6, outputs=[error]),
        code("y = x + 1", count=None),                                     # cell 5: never run
        code("   ", count=None),                                           # blank: not reported
    )
    scan = scan_notebook(nb, "n.ipynb")
    got = {(f.kind, f.cell) for f in scan.findings if f.kind in (
        "hidden_state", "execution_order", "unexecuted_cell", "error_output", "large_output")}
    assert got == {("hidden_state", 2), ("execution_order", 3), ("large_output", 3), ("error_output", 4),
                   ("unexecuted_cell", 5)}
    hidden = kinds(scan.findings, "hidden_state")[0]
    assert "'df'" in hidden.message and "cell 4" in hidden.message and hidden.line == 2
    assert scan.metrics["cells"] == 6 and scan.metrics["code_cells"] == 5


def test_a_notebook_saved_with_outputs_cleared_has_no_unexecuted_findings():
    nb = notebook(code("a = 1"), code("b = a + 1"))
    assert kinds(scan_notebook(nb, "n.ipynb").findings, "unexecuted_cell") == []


def test_magic_lines_are_set_aside_and_the_rest_of_the_cell_is_checked():
    nb = notebook(code(["%matplotlib inline\n", "!pip install xgboost\n", "files = !ls\n",
                        "for i in range(3):\n", "    %time f(i)\n", "df = read('/home/ana/d.csv')\n"], count=1),
                  code("%%bash\necho '/home/ana/not-python'\n", count=2),
                  code("%%time\nopen('/mnt/x/y.csv')\n", count=3))
    scan = scan_notebook(nb, "n.ipynb")
    magic = kinds(scan.findings, "magic_command")
    assert [(f.cell, f.line) for f in magic] == [(1, 1), (1, 2), (1, 3), (1, 5), (2, 1), (3, 1)]
    assert all(f.severity == "info" for f in magic)
    assert "requirements" in magic[1].suggestion
    assert kinds(scan.findings, "syntax_error") == []
    assert sorted((f.cell, f.line) for f in kinds(scan.findings, "absolute_path")) == [(1, 6), (3, 2)]


def test_a_syntax_error_is_a_finding_and_the_other_cells_are_still_checked():
    nb = notebook(code("def broken(:\n    pass", count=1), code("open('/home/ana/a.csv')", count=2))
    scan = scan_notebook(nb, "n.ipynb")
    errors = kinds(scan.findings, "syntax_error")
    assert len(errors) == 1 and errors[0].cell == 1 and errors[0].line == 1 and errors[0].severity == "medium"
    assert [f.cell for f in kinds(scan.findings, "absolute_path")] == [2]


def test_a_python_file_that_does_not_parse_is_reported_and_its_secrets_still_found():
    scan = scan_python("x = (\npassword = 'hunter22'\n", "bad.py")
    assert [f.kind for f in scan.findings if f.kind in ("syntax_error", "secret")] == ["syntax_error", "secret"]
    assert scan.redactions and "hunter22" not in json.dumps([f.to_dict() for f in scan.findings])


def test_a_secret_on_a_shell_line_is_redacted_in_the_magic_finding():
    nb = notebook(code("!curl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwx12345' http://h/", count=1))
    scan = scan_notebook(nb, "n.ipynb")
    text = json.dumps([f.to_dict() for f in scan.findings])
    assert "abcdefghijklmnop" not in text
    assert kinds(scan.findings, "secret") and scan.redactions


def test_non_python_and_old_notebooks():
    r = scan_notebook(notebook(code("x <- 1"), language="R"), "r.ipynb")
    assert [f.kind for f in r.findings] == ["unreadable"] and r.findings[0].severity == "info"
    old = scan_notebook({"nbformat": 3, "worksheets": [], "cells": []}, "old.ipynb")
    assert old.kind == "unreadable" and "nbformat 3" in old.findings[0].message


def test_dependencies_against_requirements_txt():
    reqs = dependencies.parse_requirements_txt(
        "# comment\npandas==2.1.0\nscikit-learn>=1.3\nPyYAML==6.0.1\nopencv-python-headless==4.9.0.80\n"
        "-r other.txt\n", "requirements.txt")
    source = ("import os, json\nimport pandas as pd\nimport sklearn.ensemble\nimport yaml\nimport cv2\n"
              "from PIL import Image\nimport torch\nimport helpers\nfrom . import sibling\n")
    result = audit([scan_python(source, "train.py"), scan_python("X = 1\n", "helpers.py")], reqs,
                   {"train", "helpers"})
    missing = kinds(result.findings, "undeclared_import")
    assert [(f.line, f.message.split("'")[1]) for f in missing] == [(6, "PIL"), (7, "torch")]
    assert "Pillow" in missing[0].message and "Pillow==" in missing[0].suggestion
    unpinned = kinds(result.findings, "unpinned_requirement")
    assert [(f.path, f.line) for f in unpinned] == [("requirements.txt", 3)]


def test_dependencies_from_pyproject_toml():
    text = ('[project]\nname = "mypkg"\ndependencies = ["numpy==1.26.4", "pandas>=2"]\n'
            '[project.optional-dependencies]\nml = ["scikit-learn==1.4.0"]\n')
    reqs = dependencies.parse_pyproject(text, "pyproject.toml")
    result = audit([scan_python("import numpy\nimport sklearn\nimport mypkg\nimport scipy\n", "a.py")], reqs)
    assert [f.message.split("'")[1] for f in kinds(result.findings, "undeclared_import")] == ["scipy"]
    assert [(f.line, f.message.split("'")[1]) for f in kinds(result.findings, "unpinned_requirement")] == [
        (3, "pandas>=2")]


def test_a_file_that_is_not_requirements_is_refused():
    with pytest.raises(dependencies.NotARequirement, match="line 1"):
        dependencies.parse_requirements_txt("import pandas as pd\n", "train.py")


def test_summary_counts_and_score():
    result = audit([scan_python(ARTICLE, "a.py"), scan_python("password = 'hunter22'\n", "b.py")])
    s = result.summary
    assert s["files"] == 2 and s["high"] == 1 and s["passed"] is False
    assert s["by_severity"]["high"] == 1 and s["by_kind"]["secret"] == 1
    # a.py: structure 3 + path 3 + magic 1; b.py: secret 10 + structure? (one assignment, no call: no)
    assert s["score"] == pytest.approx(100 * (1 - (7 + 10) / 20))
