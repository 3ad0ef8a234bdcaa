"""`spbe --help` speaks the person's language: Indonesian by default, English with SPBE_LANG=en; the help
texts of spbe/cli/ are extracted into the catalog (so an untranslated one fails the catalog check), and a
command that shows no help translates nothing."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import typer.main

from spbe.cli.main import HELP_OPTION_HELP, app, commands_of
from spbe.i18n_catalog import extracted, help_texts
from tests.utils.cli import Result, run_spbe

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = {"SPBE_LANG": ""}  # unset: the default language, whatever the test runner's environment says
ENGLISH = {"SPBE_LANG": "en"}


def _text(result: Result) -> str:
    """What a person reads, as one line: rich's boxes and its wrapping at the terminal width taken away."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", result.out + result.err).split())


def test_the_command_list_speaks_indonesian_by_default_and_english_on_request():
    indonesian = run_spbe("--help", env=DEFAULT)
    assert indonesian.code == 0
    said = _text(indonesian)
    assert "Penggunaan: spbe [OPSI] PERINTAH [ARG]..." in said
    assert "Mesin alur kerja evaluasi SPBE: tahap, syarat penutupan, pengingat" in said
    assert "Opsi --help -h Tampilkan pesan ini lalu keluar." in said
    assert "Perintah init Buat atau perbarui skema penyimpanan" in said
    assert "phase Buka, periksa, dan tutup keenam tahap." in said
    assert "Usage" not in said and "Show this message" not in said and "Open, check and close" not in said

    english = _text(run_spbe("--help", env=ENGLISH))
    assert "Usage: spbe [OPTIONS] COMMAND [ARGS]..." in english
    assert "Options --help -h Show this message and exit." in english
    assert "Commands init Create or upgrade the store's schema" in english
    assert "Penggunaan" not in english and "Tampilkan" not in english


def test_phase_open_help_in_both_languages():
    said = _text(run_spbe("phase", "open", "--help", env=DEFAULT))
    assert "Penggunaan: spbe phase open [OPSI] {name}" in said
    assert "Buka tahap dan kirim pemberitahuan pembukaannya (tidak berbuat apa-apa bila sudah terbuka)." in said
    assert "Argumen * name <str> locus, socialization, self-assessment, document-review, revision, atau" in said
    assert "[wajib]" in said
    assert "--reason <str> Alasannya (disimpan di jejak audit)." in said
    assert "--early Buka sebelum waktu pembukaan yang dijadwalkan (perlu --reason)." in said

    english = _text(run_spbe("phase", "open", "--help", env=ENGLISH))
    assert "Open a phase and send its opening notices (a no-op if it is already open)." in english
    assert "--reason <str> Why (kept in the audit trail)." in english
    assert "[required]" in english and "Alasannya" not in english


def test_report_help_keeps_option_names_backticks_and_rich_escapes():
    said = _text(run_spbe("report", "--help", env=DEFAULT))
    assert "`--send [BUILD]` mengirim satu susunan kepada pimpinan (koordinator)." in said
    assert "--basis <str> 'validated' atau 'claimed'; bawaan: basis di [report] siklus" in said  # \[ shown as [
    assert "--out -o <path> Folder tempat berkas laporan ditulis." in said
    english = _text(run_spbe("report", "--help", env=ENGLISH))
    assert "`--send [BUILD]` sends a build to leadership (coordinators)." in english


def test_a_group_without_its_subcommand_and_a_usage_error_speak_indonesian():
    group = run_spbe("phase", env=DEFAULT)
    said = _text(group)
    assert group.code == 2 and "Penggunaan: spbe phase [OPSI] PERINTAH [ARG]..." in said
    assert "reject Tolak tahap yang menunggu persetujuan: tahap itu tetap terbuka." in said

    wrong = run_spbe("phase", "open", env=DEFAULT)  # the phase is missing
    said = _text(wrong)
    assert wrong.code == 2 and "Traceback" not in said
    assert "Penggunaan: spbe phase open [OPSI] {name}" in said
    assert "Coba 'spbe phase open -h' untuk bantuan." in said and "Galat" in said
    assert "Try '" not in said


def test_every_help_text_of_the_command_tree_is_in_the_catalog():
    """The extractor reads the source; this reads what typer really built from it. A help it cannot see (a
    registration of a kind it does not know, a help that is not a literal) fails here, not silently in English."""
    msgids = {m.id for m in extracted() if m.id}
    root = typer.main.get_command(app)
    shown = {
        inspect.cleandoc(holder.help)
        for command in commands_of(root)
        for holder in (command, *command.params)
        if holder.help
    }
    assert len(shown) > 100
    assert sorted(shown - msgids) == []
    assert HELP_OPTION_HELP in msgids


def test_the_extractor_takes_literal_helps_and_the_docstrings_of_commands_only():
    source = '''
import typer
app = typer.Typer(help="The tool.")
sub = typer.Typer(help="""
    A group.
    Two lines.""")

def register(app):
    app.command("plain")(plain)
    app.command("named", help="Its own help.")(named)

def plain(x: str = typer.Option("--x", help="An option.")) -> None:
    """A command registered by call.
    Its second line."""

def named() -> None:
    """Not shown: the registration has its own help."""

@sub.command("deco")
def deco(path: str = typer.Argument(help=f"not a literal {1}")) -> None:
    """A decorated command."""

@sub.callback(invoke_without_command=True)
def group_default() -> None:
    """A callback."""

def helper() -> None:
    """Not a command."""
'''
    assert sorted(text for _, text in help_texts(source)) == sorted([
        "The tool.",
        "A group.\nTwo lines.",
        "Its own help.",
        "An option.",
        "A command registered by call.\nIts second line.",
        "A decorated command.",
        "A callback.",
    ])


PROBE = """
import sys
from spbe.cli import main
root = main.command_tree()
try:
    root(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print('SPOKEN=' + str(getattr(root, '_spoken_language', False)) + ' RICH=' + str('typer.rich_utils' in sys.modules))
"""


def test_a_command_that_shows_no_help_translates_none_and_a_help_page_does():
    def probe(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, timeout=120,
            env={**os.environ, "SPBE_LANG": ""},
        )
        return [line for line in proc.stdout.splitlines() if line.startswith("SPOKEN=")][-1]

    levels = ROOT / "config" / "examples" / "levels-example.csv"
    assert probe("score", "--levels", str(levels)) == "SPOKEN=False RICH=False"
    assert probe("score", "--help") == "SPOKEN=True RICH=True"
