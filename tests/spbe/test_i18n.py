"""The catalogs: in step with the code, Indonesian complete, the language a setting, compiled when stale."""

from __future__ import annotations

import gettext
import os
from pathlib import Path

import pytest

from spbe import i18n
from spbe.errors import ConfigError
from spbe.i18n import _, ngettext, use_language
from spbe.i18n_catalog import problems
from spbe.settings import settings_from


def test_every_string_of_the_code_is_in_the_catalogs_and_has_its_indonesian():
    """Fails when someone adds `_("...")` without `python -m spbe.i18n_catalog update` and a translation."""
    assert problems() == []


def test_indonesian_is_the_default_and_english_is_available(tmp_path: Path):
    assert settings_from({"SPBE_DATA_DIR": str(tmp_path)}).language == "id"
    assert settings_from({"SPBE_DATA_DIR": str(tmp_path), "SPBE_LANG": "EN"}).language == "en"
    with pytest.raises(ConfigError, match="SPBE_LANG"):
        settings_from({"SPBE_DATA_DIR": str(tmp_path), "SPBE_LANG": "fr"})


def test_a_message_reads_in_the_chosen_language():
    message = "{name} (UNVERIFIED)"
    with use_language("id"):
        assert _(message).format(name="x") == "x (BELUM TERVERIFIKASI)"
    with use_language("en"):
        assert _(message).format(name="x") == "x (UNVERIFIED)"


def test_indonesian_has_one_plural_form():
    one, many = "phase {name} opened; {n} notice queued", "phase {name} opened; {n} notices queued"
    with use_language("id"):
        expected = "tahap {name} dibuka; {n} pemberitahuan masuk antrean"
        assert ngettext(one, many, 1) == ngettext(one, many, 3) == expected
    with use_language("en"):
        assert (ngettext(one, many, 1), ngettext(one, many, 3)) == (one, many)


def test_a_stale_or_missing_mo_is_compiled_from_the_po(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A fresh clone has no .mo (not in git) and a pull leaves an old one: the first use compiles it."""
    po = tmp_path / "id" / "LC_MESSAGES" / "spbe.po"
    po.parent.mkdir(parents=True)
    po.write_bytes(i18n.po_path("id").read_bytes())
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(i18n, "_loaded", {})
    mo = po.with_suffix(".mo")
    assert i18n.translations("id").gettext("{name} (UNVERIFIED)") == "{name} (BELUM TERVERIFIKASI)"
    assert mo.exists()

    po.write_bytes(po.read_bytes().replace(b'"{name} (BELUM TERVERIFIKASI)"', b'"{name} (belum diverifikasi)"'))
    os.utime(po, (mo.stat().st_mtime + 10, mo.stat().st_mtime + 10))
    monkeypatch.setattr(i18n, "_loaded", {})
    assert i18n.translations("id").gettext("{name} (UNVERIFIED)") == "{name} (belum diverifikasi)"
    with mo.open("rb") as handle:
        assert gettext.GNUTranslations(handle).gettext("{name} (UNVERIFIED)") == "{name} (belum diverifikasi)"


def test_a_missing_catalog_speaks_the_source_strings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(i18n, "_loaded", {})
    assert i18n.translations("id").gettext("phase") == "phase"


def test_a_translation_that_loses_or_invents_a_placeholder_is_caught(monkeypatch: pytest.MonkeyPatch):
    """'{opd}' dropped from the Indonesian shows a message without the OPD; a misspelt '{nama}' raises
    KeyError where the message is shown. The catalog check names both."""
    from spbe import i18n_catalog

    real = i18n_catalog.read

    def tampered(lang: str):
        catalog = real(lang)
        if lang == "id":
            catalog.get("{name} (UNVERIFIED)").string = "{nama} (BELUM TERVERIFIKASI)"
        return catalog

    monkeypatch.setattr(i18n_catalog, "read", tampered)
    found = [p for p in problems() if "placeholders" in p]
    assert len(found) == 1 and "{name}" in found[0] and "{nama}" in found[0]


def test_the_help_texts_of_the_cli_are_held_by_the_catalog_check(monkeypatch: pytest.MonkeyPatch):
    """`spbe --help` texts are msgids too (an option's help, a command's whole docstring): one left without its
    Indonesian is named by the check, as any other string is."""
    from spbe import i18n_catalog

    docstring = "Open a phase and send its opening notices (a no-op if it is already open)."
    templates = {m.id: m for m in i18n_catalog.extracted() if m.id}
    assert [file for file, _ in templates[docstring].locations] == ["spbe/cli/cmd_phases.py"]
    assert "Why (kept in the audit trail)." in templates and "Show this message and exit." in templates

    real = i18n_catalog.read

    def untranslated(lang: str):
        catalog = real(lang)
        if lang == "id":
            catalog.get(docstring).string = ""
        return catalog

    monkeypatch.setattr(i18n_catalog, "read", untranslated)
    assert problems() == [f"id.po has no Indonesian for {docstring!r}"]


def test_no_message_is_hidden_inside_an_f_string():
    """Babel does not read a call inside an f-string's braces: `f"{_('late')}"` is never extracted, so the
    catalog check stays silent while the word is shown in English. Such a call is written outside the f-string."""
    import re

    from spbe.settings import PROJECT_ROOT

    hidden = re.compile(r"""\{\s*(?:_|gettext|ngettext)\(\s*(?:'[^']*'|"[^"]*")""")
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for folder in ("spbe", "flows", "tasks")
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if hidden.search(line) and ('f"' in line or "f'" in line)
    ]
    assert found == []
