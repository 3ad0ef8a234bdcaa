"""No Indonesian prose outside the catalogs: every text a person reads goes through `_()`, `N_()` or `ngettext`.

An AST scan of spbe/, flows/ and tasks/ for string constants (f-string parts included) that contain common
Indonesian words and are neither inside one of those calls nor a docstring. Two lists soften it, and nothing
else is skipped:

- ALLOWED: (file, literal prefix) pairs of Indonesian text that is data, not prose (a spreadsheet header
  alias compared with what users type, a value stored in the database, a regulation's official name), each
  with its reason. An entry that no longer matches any literal fails the test, so the list stays true.
- PENDING: files written before the catalogs that still print Indonesian literals. They are converted one
  by one (the English msgid in the code, the old Indonesian text as id.po's msgstr); until then the scan
  does not hold them to the rule. PENDING only shrinks: a file listed there with no raw literal left fails
  the test until it is removed from the list, and a file not listed fails at its first raw literal.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("spbe", "flows", "tasks")
MARKERS = {"_", "N_", "ngettext", "gettext", "pgettext"}
WORDS = re.compile(
    r"\b(tidak|belum|sudah|tahap|indikator|jalankan|untuk|dengan|dari|pada|atau|agar|yang|tautan|berkas|baris"
    r"|kolom|bukan|harus|dapat|boleh|memuat|tanpa|silakan|sebagai|ditemukan|diperiksa)\b",
    re.IGNORECASE,
)

# (file, literal prefix): Indonesian text that is data, compared or stored, never shown as prose.
ALLOWED: frozenset[tuple[str, str]] = frozenset({
    ("spbe/evidence_files.py", "berkas"),  # display_name fallback label, kept with the stored file record
    ("spbe/linkcheck/policy.py", "spbe-linkcheck/0.1 ("),  # the HTTP User-Agent servers log, an identifier
})

# Files not yet converted (see the module docstring): the list only shrinks.
PENDING: tuple[str, ...] = (
    "flows/deployments.py",
    "flows/registry.py",
    "spbe/channels/base.py",
    "spbe/channels/email.py",
    "spbe/channels/http.py",
    "spbe/cli/cmd_core.py",
    "spbe/cli/main.py",
    "spbe/demo/item_participants.py",
    "spbe/demo/participants.py",
    "spbe/demo/runner.py",
    "spbe/frameworks.py",
    "spbe/history.py",
    "spbe/ics.py",
    "spbe/intake/item_rows.py",
    "spbe/intake/item_values.py",
    "spbe/intake/layout.py",
    "spbe/intake/ods_bounds.py",
    "spbe/intake/templates.py",
    "spbe/intake/xlsx_bounds.py",
    "spbe/items/catalog.py",
    "spbe/items/conditions.py",
    "spbe/items/externals.py",
    "spbe/items/index.py",
    "spbe/items/model.py",
    "spbe/items/planner.py",
    "spbe/items/provenance.py",
    "spbe/items/rules.py",
    "spbe/items/status.py",
    "spbe/items/valuation.py",
    "spbe/linkcheck/checker.py",
    "spbe/linkcheck/service.py",
    "spbe/messages.py",
    "spbe/planner.py",
    "spbe/portal/app.py",
    "spbe/portal/item_views.py",
    "spbe/portal/problems.py",
    "spbe/portal/views.py",
    "spbe/portal/web.py",
    "spbe/prefect_env.py",
    "spbe/report/charts.py",
    "spbe/report/item_progress.py",
    "spbe/report/model.py",
    "spbe/report/render_markdown.py",
    "spbe/report/render_xlsx.py",
    "spbe/report/yearly.py",
    "spbe/roster.py",
    "spbe/scoring.py",
    "spbe/services/history.py",
    "spbe/services/item_catalog.py",
    "spbe/services/item_setup.py",
    "spbe/services/item_thread.py",
    "spbe/services/items.py",
    "spbe/services/levels.py",
    "spbe/services/ministry_export.py",
    "spbe/services/nudge.py",
    "spbe/services/report.py",
    "spbe/services/status.py",
    "spbe/store/db.py",
    "tasks/evidence.py",
    "tasks/phases.py",
    "tasks/report.py",
)


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def raw_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every Indonesian-looking string constant of a module outside the markers and docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) in MARKERS:
            for arg in node.args:
                skipped.update(id(sub) for sub in ast.walk(arg))
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
        and WORDS.search(node.value)
    ]


def _scan() -> dict[str, list[tuple[int, str]]]:
    found: dict[str, list[tuple[int, str]]] = {}
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            hits = raw_literals(path)
            if hits:
                found[name] = hits
    return found


def _allowed(name: str, text: str) -> bool:
    return any(name == file and text.startswith(prefix) for file, prefix in ALLOWED)


def test_no_raw_indonesian_outside_the_catalogs():
    found = _scan()
    offending = [
        f"{name}:{line}: {text[:70]!r}"
        for name, hits in found.items()
        if name not in PENDING
        for line, text in hits
        if not _allowed(name, text)
    ]
    assert offending == [], (
        "Indonesian text outside `_()`: write the English msgid in `_()`/`N_()` and its Indonesian in id.po "
        "(python -m spbe.i18n_catalog update), or, for data, add it to ALLOWED with its reason:\n  "
        + "\n  ".join(offending)
    )


def test_pending_only_shrinks():
    found = _scan()
    done = [
        name for name in PENDING if not any(not _allowed(name, text) for _line, text in found.get(name, []))
    ]
    assert done == [], f"no raw Indonesian left in these files: remove them from PENDING: {done}"
    assert len(set(PENDING)) == len(PENDING)


def test_every_allowed_entry_still_matches():
    found = _scan()
    stale = [
        (file, prefix)
        for file, prefix in sorted(ALLOWED)
        if not any(text.startswith(prefix) for _line, text in found.get(file, []))
    ]
    assert stale == [], f"ALLOWED entries that match no literal any more: drop them: {stale}"
