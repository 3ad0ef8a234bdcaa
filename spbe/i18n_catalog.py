"""Keeping the catalogs in step with the code (Babel): extract every `_()`, `ngettext()` and `N_()` string of
spbe/, flows/, tasks/, the `{% trans %}` blocks of config/templates/ and the `--help` texts of spbe/cli/ (see
`help_texts`), merge them into each language's `.po`, and compile the `.mo` files.

    python -m spbe.i18n_catalog update    # after adding or changing a string: then translate id.po's new entries
    python -m spbe.i18n_catalog compile   # the .mo files (make setup runs it; spbe.i18n also does on first use)
    python -m spbe.i18n_catalog check     # what tests/spbe/test_i18n.py asserts: in step, Indonesian complete

The .po files carry no line numbers and are sorted by msgid, so two branches that add strings merge as text.
Not imported by any command: Babel's extraction machinery is for maintainers and tests only.
"""

from __future__ import annotations

import ast
import io
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from spbe.i18n import DOMAIN, LOCALE_DIR, compile_po, po_path
from spbe.settings import LANGUAGES, PROJECT_ROOT

METHOD_MAP = [
    ("spbe/store/migrations/**.py", "ignore"),
    ("spbe/cli/**.py", "spbe.i18n_catalog:extract_cli"),  # first match wins: its `_()` strings and its help texts
    ("spbe/**.py", "python"),
    ("flows/**.py", "python"),
    ("tasks/**.py", "python"),
    ("config/templates/**.j2", "jinja2.ext:babel_extract"),
]
TEMPLATE_OPTIONS = {"config/templates/**.j2": {"trim_blocks": "true", "lstrip_blocks": "true"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
COMMENT_TAGS = ["TRANSLATORS:"]
STAMP = datetime(2025, 1, 1, tzinfo=UTC)  # fixed header dates: a date that moved at every update would conflict
HEADERS = {
    "id": "Bahasa Indonesia: every msgid (the code's English source string) needs its translation here.",
    "en": "English: the msgids are English already; a msgstr here only rewords one.",
}


def extracted():
    """The template catalog: every marked string of the code, with the files it occurs in."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    template = Catalog(domain=DOMAIN, project="spbe-engine", version="0.1", charset="utf-8",
                       creation_date=STAMP, revision_date=STAMP)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PROJECT_ROOT),
        method_map=METHOD_MAP,
        options_map=TEMPLATE_OPTIONS,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def extract_cli(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Babel extraction method of spbe/cli/: the module's `_()` strings (Babel's Python extractor) and the help
    texts typer shows for its commands, which are English literals the CLI translates when a help page is shown
    (spbe.cli.main.speak_help_in_language)."""
    from babel.messages.extract import extract_python

    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    for lineno, text in help_texts(source):
        yield lineno, None, text, []


HELP_OWNERS = {"Option", "Argument", "Typer"}  # typer.X(help=...)
REGISTRARS = {"command", "callback"}  # app.command(...), group.callback(...): a function becomes a command


def help_texts(source: bytes | str) -> Iterator[tuple[int, str]]:
    """Every help text typer builds from a CLI module, as the msgid the CLI looks it up by: the literal
    `help=` of typer.Option / typer.Argument / typer.Typer and of a command or callback registration, and the
    docstring of each function registered as a command without a `help=` of its own (`@app.command(...)`
    above it or `app.command(...)(function)`). Typer shows a docstring or a Typer's help `inspect.cleandoc`-ed
    and only part of it in places; the whole cleaned text is one msgid, and so is a cleaned option help
    (the lookup cleans every text the same way). A help that is not a literal cannot be extracted:
    tests/spbe/cli/test_help_language.py compares this with the help texts of the real command tree."""
    import inspect

    tree = ast.parse(source)
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (_is_help_owner(node.func) or _registrar(node)):
            text = _help_keyword(node)
            if text is not None:
                yield node.lineno, inspect.cleandoc(text)
    for function in _registered(tree, functions):
        doc = ast.get_docstring(function, clean=True)  # what typer's inspect.getdoc gives
        if doc:
            yield function.body[0].lineno, doc


def _is_help_owner(func: ast.expr) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and func.attr in HELP_OWNERS
        and isinstance(func.value, ast.Name)
        and func.value.id == "typer"
    )


def _registrar(node: ast.expr) -> bool:
    """`something.command(...)` or `something.callback(...)`."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in REGISTRARS


def _help_keyword(call: ast.Call) -> str | None:
    for keyword in call.keywords:
        if keyword.arg == "help" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
            return keyword.value.value
    return None


def _registered(tree: ast.Module, functions: dict[str, ast.FunctionDef]) -> Iterator[ast.FunctionDef]:
    """The module's functions whose docstring becomes a command's help: decorated by a registration, or passed
    to one (`app.command("init")(init)`); a registration with its own `help=` shows that instead."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if any(_registrar(d) and _help_keyword(d) is None for d in node.decorator_list):
                yield node
        elif isinstance(node, ast.Call) and _registrar(node.func) and _help_keyword(node.func) is None:
            for arg in node.args:
                if isinstance(arg, ast.Name) and arg.id in functions:
                    yield functions[arg.id]


def read(lang: str):
    from babel.messages.pofile import read_po

    path = po_path(lang)
    if not path.exists():
        from babel.messages.catalog import Catalog

        return Catalog(locale=lang, domain=DOMAIN, project="spbe-engine", version="0.1")
    with path.open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def write(lang: str, catalog) -> None:
    from babel.messages.pofile import write_po

    catalog.header_comment = f"# spbe-engine: {HEADERS.get(lang, lang)}\n"
    catalog.fuzzy = False
    catalog.creation_date = catalog.revision_date = STAMP
    catalog.last_translator = catalog.language_team = "spbe-engine"
    catalog.msgid_bugs_address = ""
    out = io.BytesIO()
    write_po(out, catalog, width=120, no_location=False, omit_header=False, sort_output=True,
             ignore_obsolete=True, include_lineno=False)
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def update(langs: Iterable[str] = LANGUAGES) -> None:
    """Merge the code's strings into each .po: new ones empty (to translate), removed ones dropped."""
    template = extracted()
    for lang in langs:
        catalog = read(lang)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        write(lang, catalog)


def compile_all(langs: Iterable[str] = LANGUAGES) -> None:
    for lang in langs:
        po = po_path(lang)
        if po.exists():
            po.with_suffix(".mo").write_bytes(compile_po(po))


def problems(langs: Iterable[str] = LANGUAGES) -> list[str]:
    """Why the catalogs are not in step with the code, or Indonesian is incomplete (empty when all is well)."""
    code = {_key(m.id) for m in extracted() if m.id}
    found: list[str] = []
    for lang in langs:
        catalog = read(lang)
        listed = {_key(m.id) for m in catalog if m.id}
        found += [f"{lang}.po lacks {k!r} (run `python -m spbe.i18n_catalog update`)" for k in sorted(code - listed)]
        found += [f"{lang}.po still lists {k!r}, gone from the code (run update)" for k in sorted(listed - code)]
        if lang == "id":
            for message in catalog:
                if message.id and _key(message.id) in code and not _translated(message.string):
                    found.append(f"id.po has no Indonesian for {_key(message.id)!r}")
                if message.id and _key(message.id) in code and _translated(message.string):
                    lost = _fields(message.id) ^ _fields(message.string)
                    if lost:
                        found.append(
                            f"id.po's Indonesian for {_key(message.id)!r} does not carry the same placeholders "
                            f"({', '.join(sorted(lost))})"
                        )
                if message.id and message.fuzzy:
                    found.append(f"id.po marks {_key(message.id)!r} fuzzy: check it and drop the flag")
    return found


def _key(msgid: str | tuple) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}")


def _fields(text: str | tuple) -> set[str]:
    """The str.format placeholders a text fills in: '{name}', '{n:,}'; a translation must keep every one
    (a lost one is silently dropped, a new one raises KeyError where the message is shown)."""
    parts = text if isinstance(text, tuple) else (text,)
    return {f"{{{m}}}" for part in parts for m in _FIELD.findall(part or "")}


def _translated(string: str | tuple | None) -> bool:
    if isinstance(string, tuple):
        return bool(string) and all(s.strip() for s in string)
    return bool(string and string.strip())


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

__all__ = ["LOCALE_DIR", "compile_all", "extracted", "problems", "update"]
