"""Notebook and code audit: the notebook-to-production gap as checklist evidence.

The scan reads ``.py`` files and Jupyter notebooks (nbformat v4 JSON), parses the code with
:mod:`ast` and reports, per file, cell and line: hard-coded absolute paths, magic numbers,
secrets in literals (always redacted), randomness without a seed, notebook hygiene,
structure (functions, classes, share of top-level code) and dependencies missing from a
requirements file.  Layout, following the plug-in contract in ``core/README.md``:

* :mod:`~core.codeaudit.model` - findings, parsed units and the shared AST helpers;
* :mod:`~core.codeaudit.sources` - magic lines set aside, notebooks split into cells;
* one module per check: ``paths``, ``numbers``, ``secrets``, ``randomness``, ``hygiene``,
  ``structure``, ``dependencies``;
* :mod:`~core.codeaudit.scanner` - the pure per-file scan and the folder summary;
* :mod:`~core.codeaudit.run` - ``run_code_audit`` (reads and hashes the files) and ``record_code_audit``;
* ``report.py`` (report kind ``code_audit`` and its gate) and ``cli.py`` (``audit-code``).
"""
