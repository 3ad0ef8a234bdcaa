"""A corpus of bad files: each is refused with a clear message naming where and what would fix it, and the
store is left exactly as it was (rows and audit trail). Every file also carries one valid row, so "nothing
written" proves all-or-nothing rather than "there was nothing to write"."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from spbe import clock
from spbe.errors import InputError, RefusedError, SpbeError
from spbe.intake.importer import import_file
from spbe.intake.templates import issue_template
from spbe.settings import get_settings
from spbe.store.db import get_engine, session_scope
from tests.utils import hostile_files as H
from tests.utils.intake import counts, loaded_store, set_assessors, the_cycle
from tests.utils.xlsx import add_row, fill, set_meta

SECRET = "uji-rahasia-templat-0123456789"
SEPT = datetime(2025, 9, 10, 3, 0, tzinfo=UTC)
GOOD = "https://drive.example.go.id/file/d/perwal/view"
SHEET = "lembar 'Penilaian Mandiri'"
LEVEL = "kolom F (Level diklaim (1-5))"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[str, Path, Path]:
    """One store and one pair of issued templates for the whole corpus (no case may change the store)."""
    folder = tmp_path_factory.mktemp("corpus")
    url = f"sqlite:///{folder / 'spbe.db'}"
    mp = pytest.MonkeyPatch()
    mp.setenv("SPBE_TEMPLATE_SECRET", SECRET)
    get_settings.cache_clear()
    try:
        engine = loaded_store(url)
        with clock.use_clock(SEPT), session_scope(engine) as session:
            cycle = the_cycle(session)
            xlsx = issue_template(
                session, cycle=cycle, kind="opd", subject="BAPPERIDA", out=folder / "t.xlsx", actor="koordinator"
            ).path
            csv_path = issue_template(
                session, cycle=cycle, kind="opd", subject="BAPPERIDA", out=folder / "t.csv", actor="koordinator"
            ).path
        fill(xlsx, {13: {"level": 2, "evidence": GOOD}})
        _fill_csv(csv_path, 13, level="2", evidence=GOOD)
    finally:
        mp.undo()
        get_settings.cache_clear()
    return url, xlsx, csv_path


def _fill_csv(path: Path, indicator: int, **values: str) -> None:
    header, *rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    for row in rows:
        if row[0] == str(indicator):
            for key, value in values.items():
                row[header.index(key)] = value
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows([header, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")


@pytest.fixture
def engine(store, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SPBE_TEMPLATE_SECRET", SECRET)
    get_settings.cache_clear()
    return get_engine(store[0])


def _import(engine, path: Path):
    with clock.use_clock(SEPT), Session(engine) as session:
        try:
            import_file(session, path=path, actor="koordinator")
            session.commit()
        finally:
            session.rollback()


def _cells(values: dict) -> Callable[[Path], None]:
    return lambda p: fill(p, {12: values})


def _formula(cell: str, text: str) -> Callable[[Path], None]:
    def mutate(p: Path) -> None:
        wb = load_workbook(p)
        ws = wb["Penilaian Mandiri"]
        ws[cell] = text  # openpyxl stores "=..." as a formula cell, as Excel does when one is typed
        ws["F2"] = ws["F2"].value if cell == "F2" else 3
        wb.save(p)
        assert load_workbook(p)["Penilaian Mandiri"][cell].data_type == "f"

    return mutate


def _extra_column(p: Path) -> None:
    wb = load_workbook(p)
    ws = wb["Penilaian Mandiri"]
    ws["J1"], ws["J2"] = "Tambahan", "data yang akan hilang"
    wb.save(p)


def _drop_meta(p: Path) -> None:
    wb = load_workbook(p)
    del wb["_meta"]
    wb.save(p)


XLSX_CASES: dict[str, tuple[Callable[[Path], None], type[SpbeError], list[str]]] = {
    "level 0": (_cells({"level": 0, "evidence": GOOD}), InputError, [f"{SHEET} baris 2, {LEVEL}: level 0 di luar 1–5"]),
    "level 6": (
        _cells({"level": 6, "evidence": GOOD}),
        InputError,
        [f"baris 2, {LEVEL}: level 6 di luar 1–5; pilih level"],
    ),
    "level 3.5": (_cells({"level": 3.5, "evidence": GOOD}), InputError, [f"baris 2, {LEVEL}: 3.5 bukan bilangan"]),
    "level tiga": (
        _cells({"level": "tiga", "evidence": GOOD}),
        InputError,
        [f"baris 2, {LEVEL}: 'tiga' bukan bilangan bulat; tulis level dengan angka 1 sampai 5"],
    ),
    "level empty": (_cells({"evidence": GOOD}), InputError, [f"baris 2, {LEVEL}: kosong; pilih level 1 sampai 5"]),
    "unknown indicator": (
        lambda p: add_row(p, {"indicator": 99, "level": 3, "evidence": GOOD}),
        InputError,
        ["baris 5, kolom A (No. Indikator): indikator 99 tidak ada dalam siklus pekalongan-2025 (1-47)"],
    ),
    "another OPD's indicator": (
        lambda p: add_row(p, {"indicator": 1, "level": 3, "evidence": GOOD}),
        InputError,
        [
            "baris 5, kolom A (No. Indikator): indikator 1 ditugaskan kepada DINKOMINFO, bukan BAPPERIDA; "
            "hapus barisnya (berkas ini khusus BAPPERIDA)"
        ],
    ),
    "duplicate rows": (
        lambda p: add_row(p, {"indicator": 13, "level": 3, "evidence": GOOD}),
        InputError,
        [f"baris 5, kolom A (No. Indikator): indikator 13 muncul lagi (pertama di {SHEET} baris 3)"],
    ),
    "tampered OPD": (
        lambda p: set_meta(p, "subject", "DINKOMINFO"),
        RefusedError,
        [
            "tanda tangan templat tidak cocok dengan siklus dan OPD-nya (pekalongan-2025, DINKOMINFO)",
            "terbitkan templat baru",
        ],
    ),
    "tampered cycle": (lambda p: set_meta(p, "cycle", "pekalongan-2024"), RefusedError, ["tanda tangan templat tidak"]),
    "forged signature": (lambda p: set_meta(p, "signature", "0" * 64), RefusedError, ["tanda tangan templat tidak"]),
    "huge cell": (
        _cells({"level": 3, "evidence": GOOD, "explanation": "x" * 100_000}),
        InputError,
        # openpyxl caps at Excel's max
        ["baris 2, kolom G (Penjelasan): berisi 32767 karakter; satu sel paling banyak 8000"],
    ),
    "explanation too long": (
        _cells({"level": 3, "evidence": GOOD, "explanation": "x" * 5000}),
        InputError,
        ["baris 2, kolom G (Penjelasan): berisi 5000 karakter; batasnya 4000: persingkat"],
    ),
    "formula as level": (
        _formula("F2", "=1+2"),
        InputError,
        [f"baris 2, {LEVEL}: berisi rumus (=1+2); rumus tidak dihitung: ketik nilainya langsung"],
    ),
    "formula as evidence": (
        _formula("H2", '=HYPERLINK("http://x.example","klik")'),
        InputError,
        ["baris 2, kolom H (Bukti dukung (URL, satu per baris)): berisi rumus"],
    ),
    "evidence not a link": (
        _cells({"level": 3, "evidence": "lihat lampiran"}),
        InputError,
        ["baris 2, kolom H (Bukti dukung (URL, satu per baris)): 'lihat' bukan tautan http(s)"],
    ),
    "a column added": (_extra_column, InputError, ["kolom J: judul kolom 'Tambahan' bukan kolom templat"]),
    "metadata sheet removed": (_drop_meta, InputError, ["bukan templat SPBE"]),
    "not a workbook": (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), InputError, ["bukan buku kerja .xlsx"]),
}


@pytest.mark.parametrize("case", list(XLSX_CASES))
def test_a_bad_workbook_is_refused_whole(case: str, store, engine, tmp_path: Path):
    mutate, error, expected = XLSX_CASES[case]
    path = tmp_path / "isian.xlsx"
    shutil.copy(store[1], path)
    mutate(path)
    before = counts(engine)
    with pytest.raises(error) as raised:
        _import(engine, path)
    message = str(raised.value)
    for text in expected:
        assert text in message, message
    assert "Traceback" not in message
    assert counts(engine) == before


def test_every_problem_is_listed_at_once(store, engine, tmp_path: Path):
    path = shutil.copy(store[1], tmp_path / "isian.xlsx")
    fill(path, {12: {"level": 0, "evidence": "ftp://x.example/a"}, 32: {"level": "tiga", "evidence": GOOD}})
    add_row(path, {"indicator": 1, "level": 3})
    with pytest.raises(InputError) as raised:
        _import(engine, path)
    assert len(raised.value.problems) == 4, raised.value.problems
    assert str(raised.value).startswith("isian.xlsx: 4 problems:")


CSV_CASES: dict[str, tuple[Callable[[str], bytes], list[str]]] = {
    "non-UTF-8": (
        lambda t: t.replace(";;2;;", ";Penjelasan dengan é;2;;", 1).encode("latin-1"),
        ["bukan teks UTF-8 (byte tidak sah pada posisi", "di Excel simpan sebagai 'CSV UTF-8'"],
    ),
    "no metadata columns": (
        lambda t: b"indicator;level;explanation;evidence;note\r\n12;3;;https://x.example/a;\r\n",
        ["kolom metadata templat tidak ada"],
    ),
    "metadata differs between rows": (
        lambda t: t.replace(";BAPPERIDA;", ";DINKOMINFO;", 1).encode(),
        ["baris 3: metadata templat berbeda dari baris 2"],
    ),
    "tampered OPD": (lambda t: t.replace(";BAPPERIDA;", ";DINKOMINFO;").encode(), ["tanda tangan templat tidak cocok"]),
    "level 6": (lambda t: t.replace(";;2;;", ";;6;;", 1).encode(), ["baris 3, kolom 'level': level 6 di luar 1–5"]),
    "formula text as level": (
        lambda t: t.replace(";;2;;", ";;=1+2;;", 1).encode(),
        ["baris 3, kolom 'level': '=1+2' bukan bilangan bulat"],
    ),
}


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_a_bad_csv_is_refused_whole(case: str, store, engine, tmp_path: Path):
    mutate, expected = CSV_CASES[case]
    path = tmp_path / "isian.csv"
    path.write_bytes(mutate(store[2].read_text(encoding="utf-8")))
    before = counts(engine)
    with pytest.raises(SpbeError) as raised:
        _import(engine, path)
    for text in expected:
        assert text in str(raised.value), str(raised.value)
    assert counts(engine) == before


def test_the_valid_csv_base_imports(store, engine, tmp_path: Path):
    """The corpus's CSV base is itself valid: the refusals above come from the mutation alone."""
    path = shutil.copy(store[2], tmp_path / "isian.csv")
    before = counts(engine)
    with clock.use_clock(SEPT), Session(engine) as session:
        report = import_file(session, path=path, actor="koordinator")
        assert [c["indicator"] for c in report.created] == [13]
        session.rollback()
    assert counts(engine) == before


def test_other_extensions_are_refused(store, engine, tmp_path: Path):
    path = tmp_path / "isian.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 old excel")
    with pytest.raises(InputError, match=r"\.xls tidak dapat diimpor: pakai templat \.xlsx"):
        _import(engine, path)


def test_bad_assessor_files_and_conflict_of_interest_at_review_time(store, engine, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'own.db'}"
    own = loaded_store(url, assessors={12: "asr-01", 13: "asr-01"})
    with clock.use_clock(SEPT), session_scope(own) as session:
        cycle = the_cycle(session)
        from spbe.services.submissions import submit

        for n in (12, 13):
            submit(session, cycle=cycle, opd="BAPPERIDA", indicator=n, level=3, evidence=[GOOD], actor="adm-bapperida")
        path = issue_template(
            session, cycle=cycle, kind="assessor", subject="asr-01", out=tmp_path / "a.xlsx", actor="koordinator"
        ).path
        # Made after the template was issued: asr-05 belongs to BAPPERIDA, the owner of 12.
        set_assessors(session, cycle, {12: "asr-05"})
        conflict = issue_template(
            session, cycle=cycle, kind="assessor", subject="asr-05", out=tmp_path / "c.xlsx", actor="koordinator"
        ).path
    fill(path, {12: {"verdict": "mungkin"}, 13: {"verdict": "terima"}}, kind="assessor")
    before = counts(own)
    with pytest.raises(InputError) as raised:
        _import(own, path)
    text = str(raised.value)
    assert "lembar 'Reviu Asesor' baris 2, kolom K (Keputusan (terima/revisi)): 'mungkin' bukan keputusan" in text
    assert "baris 3, kolom J (Level tervalidasi (1-5)): menerima perlu level tervalidasi" in text
    fill(path, {12: {"verdict": "revisi", "level": None}, 13: {"verdict": "terima", "level": 3}}, kind="assessor")
    with pytest.raises(InputError) as raised:
        _import(own, path)
    assert "baris 2, kolom L (Catatan asesor): permintaan revisi perlu catatan" in str(raised.value)
    fill(path, {12: {"note": "Lengkapi notulen"}}, kind="assessor")
    with pytest.raises(InputError) as raised:  # 12 now belongs to asr-05: this file may no longer post for it
        _import(own, path)
    assert "indikator 12 ditugaskan kepada asesor asr-05, bukan asr-01" in str(raised.value)
    fill(conflict, {12: {"verdict": "terima", "level": 3}}, kind="assessor")
    with pytest.raises(InputError) as raised:
        _import(own, conflict)
    assert "baris 2, kolom A (No. Indikator): conflict of interest: asr-05 belongs to BAPPERIDA" in str(raised.value)
    assert counts(own) == before


def test_a_zip_bomb_is_refused_before_it_is_inflated(store, engine, tmp_path: Path):
    import zipfile

    path = tmp_path / "bom.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (25 * 1024 * 1024))
    assert path.stat().st_size < 100_000
    with pytest.raises(InputError, match=r"terurai menjadi 26214400 byte; batasnya 20971520"):
        _import(engine, path)


# --- the hostile corpus: generated files, each refused where it is wrong or accepted as typed ------------
#
# Every file starts from the issued template with one valid row (indicator 13), so a refusal that writes
# nothing proves all-or-nothing. A refusal must name where (sheet, row and column; or line and column for
# CSV) unless the file as a whole is unreadable; its message must be printable (no raw control characters).
# Anything but an SpbeError is a crash. The counts are printed for the release note.

CELL = "cell"  # refused, naming the sheet/line, row and column
WHOLE = "whole"  # refused as a whole file, sheet or line (size, format, damage): no single cell to name
LOCATED = re.compile(r"(lembar '[^']+' baris \d+, kolom [A-Z]+|(line|baris) \d+(, kolom '[^']*'|: kolom '))")


@dataclass
class Hostile:
    name: str
    suffix: str
    make: Callable[[Path], None]
    refuse: tuple[str, ...] = ()  # phrases of the refusal; empty: the file must be accepted
    where: str = CELL
    accept: dict = field(default_factory=dict)  # indicator 12's stored fields when accepted

    @property
    def accepted(self) -> bool:
        return not self.refuse


DEFAULT = {"level": "3", "evidence": GOOD}
GOOD_2 = "https://drive.example.go.id/file/d/notulen/view"
OSC_52 = "lihat \x1b]52;c;cGF3bmVk\x07 ini"


def _value_cases() -> list[tuple[str, dict, tuple[str, str] | dict]]:
    """(name, cells of indicator 12's row, (column key, phrase) refused there | fields stored)."""
    many = " ".join(f"https://drive.example.go.id/d/{i}" for i in range(21))
    return [
        ("superscript two", {"level": "²"}, ("level", "'²' bukan bilangan bulat")),
        ("circled one", {"level": "①"}, ("level", "'①' bukan bilangan bulat")),
        ("Arabic-Indic three", {"level": "٣"}, ("level", "'٣' bukan bilangan bulat")),
        ("full-width three", {"level": "３"}, ("level", "'３' bukan bilangan bulat")),
        ("Devanagari three", {"level": "३"}, ("level", "'३' bukan bilangan bulat")),
        ("Roman numeral three", {"level": "Ⅲ"}, ("level", "'Ⅲ' bukan bilangan bulat")),
        ("level with NUL", {"level": "3\x00"}, ("level", "'3\\x00' bukan bilangan bulat")),
        ("level with ESC", {"level": "3\x1b[31m"}, ("level", "'3\\x1b[31m' bukan bilangan bulat")),
        ("level 3.5", {"level": "3.5"}, ("level", "'3.5' bukan bilangan bulat")),
        ("level -1", {"level": "-1"}, ("level", "'-1' bukan bilangan bulat")),
        ("level 6", {"level": "6"}, ("level", "level 6 di luar 1–5")),
        ("level 0", {"level": "0"}, ("level", "level 0 di luar 1–5")),
        ("level of 400 nines", {"level": "9" * 400}, ("level", "di luar 1–5")),
        ("level as text", {"level": "3"}, {"level": 3}),
        ("level padded", {"level": " 4 "}, {"level": 4}),
        ("level with plus", {"level": "+2"}, {"level": 2}),
        ("level 3.0", {"level": "3.0"}, {"level": 3}),
        ("indicator circled", {"indicator": "①"}, ("indicator", "'①' bukan nomor indikator")),
        ("indicator Arabic-Indic", {"indicator": "١٢"}, ("indicator", "'١٢' bukan nomor indikator")),
        ("indicator 12.5", {"indicator": "12.5"}, ("indicator", "'12.5' bukan nomor indikator")),
        ("indicator with NUL", {"indicator": "1\x002"}, ("indicator", "'1\\x002' bukan nomor indikator")),
        ("explanation with OSC 52", {"explanation": OSC_52}, ("explanation", "karakter kendali U+001B")),
        ("explanation with NUL", {"explanation": "a\x00b"}, ("explanation", "karakter kendali U+0000")),
        ("explanation with RTL override", {"explanation": "harga \u202e0001\u202c"}, ("explanation", "U+202E")),
        ("note with BEL", {"note": "catatan\x07"}, ("note", "karakter kendali U+0007")),
        ("note with C1 CSI", {"note": "x\x9b2J"}, ("note", "karakter kendali U+009B")),
        ("explanation too long", {"explanation": "x" * 4001}, ("explanation", "berisi 4001 karakter; batasnya")),
        ("typed apostrophe kept", {"explanation": "'=already-quoted"}, {"explanation": "'=already-quoted"}),
        ("formula-like text kept", {"explanation": "=SUM(A1:A9)"}, {"explanation": "=SUM(A1:A9)"}),
        ("apostrophe before plus kept", {"note": "'+62 812"}, {"note": "'+62 812"}),
        ("Javanese and emoji", {"explanation": "ꦲꦏ꧀ꦱꦫ 🙂 Rp1.000"}, {"explanation": "ꦲꦏ꧀ꦱꦫ 🙂 Rp1.000"}),
        ("CRLF in a cell", {"explanation": "baris satu\r\nbaris dua"}, {"explanation": "baris satu\nbaris dua"}),
        ("evidence 10.20.030.4", {"evidence": "http://10.20.030.4/x"}, ("evidence", "membacanya sebagai 10.20.24.4")),
        ("evidence 0177.0.0.1", {"evidence": "http://0177.0.0.1/"}, ("evidence", "membacanya sebagai 127.0.0.1")),
        ("evidence 0x7f.1", {"evidence": "http://0x7f.1/"}, ("evidence", "membacanya sebagai 127.0.0.1")),
        ("evidence 2130706433", {"evidence": "http://2130706433/"}, ("evidence", "membacanya sebagai 127.0.0.1")),
        ("evidence invalid IDNA", {"evidence": "http://Ⅻ.example/"}, ("evidence", "IDNA")),
        ("evidence bad punycode", {"evidence": "http://xn--a.example/"}, ("evidence", "punycode")),
        ("evidence zero-width joiner", {"evidence": "http://exa\u200dmple.go.id/"}, ("evidence", "karakter kendali")),
        ("evidence with ESC", {"evidence": "https://drive.example.go.id/\x1b[2J"}, ("evidence", "karakter kendali")),
        ("evidence 21 links", {"evidence": many}, ("evidence", "21 tautan; paling banyak 20")),
        ("evidence too long", {"evidence": GOOD + "x" * 2100}, ("evidence", "lebih panjang dari 2048")),
        ("evidence ftp", {"evidence": "ftp://files.example/a"}, ("evidence", "bukan tautan http(s)")),
        ("evidence credentials", {"evidence": "https://u:p@drive.example.go.id/x"}, ("evidence", "nama pengguna")),
        ("evidence bad port", {"evidence": "https://drive.example.go.id:99999/x"}, ("evidence", "tautan yang sah")),
        (
            "evidence mapped metadata",
            {"evidence": "http://[::ffff:169.254.169.254]/"},
            {"evidence": ["http://[::ffff:169.254.169.254]/"]},
        ),
        (
            "evidence IDNA name",
            {"evidence": "https://bücher.example/sk.pdf"},
            {"evidence": ["https://bücher.example/sk.pdf"]},
        ),
        ("evidence twice", {"evidence": f"{GOOD}\n{GOOD_2} {GOOD}"}, {"evidence": [GOOD, GOOD_2]}),
    ]


XLSX_COLUMN = {"indicator": "A", "level": "F", "explanation": "G", "evidence": "H", "note": "I"}
XLSX_LABEL = {
    "indicator": "No. Indikator",
    "level": "Level diklaim (1-5)",
    "explanation": "Penjelasan",
    "evidence": "Bukti dukung (URL, satu per baris)",
    "note": "Catatan",
}


def _values_xlsx(cells: dict) -> Callable[[Path], None]:
    return lambda p: H.set_cells(p, 2, {**DEFAULT, **cells})


def _values_csv(cells: dict) -> Callable[[Path], None]:
    return lambda p: H.csv_set(p, 12, {**DEFAULT, **cells})


def _xlsx_structural() -> list[Hostile]:
    def cells(**values) -> Callable[[Path], None]:
        def mutate(p: Path) -> None:
            H.set_cells(p, 2, DEFAULT)
            wb = load_workbook(p)
            ws = wb["Penilaian Mandiri"]
            for ref, value in values.items():
                ws[ref] = value
            wb.save(p)

        return mutate

    def with_row_12(change) -> Callable[[Path], None]:
        def mutate(p: Path) -> None:
            H.set_cells(p, 2, DEFAULT)
            change(p)

        return mutate

    def hidden_duplicate(p: Path) -> None:
        H.set_cells(p, 2, DEFAULT)
        wb = load_workbook(p)
        ws = wb["Penilaian Mandiri"]
        ws["J1"], ws["J2"] = "Level diklaim (1-5)", 5
        ws.column_dimensions["J"].hidden = True
        wb.save(p)

    def filled_rows(p: Path) -> None:
        H.set_cells(p, 2, DEFAULT)
        H.rewrite(p, {H.DATA: H.append_rows("".join(H.row_xml(r, H.inline(f"B{r}", "x")) for r in range(5, 2105)))})

    def sheet_wide_hyperlink(p: Path) -> None:
        H.set_cells(p, 2, {"level": "3", "evidence": "SK Tim SPBE (tautan)"})
        wb = load_workbook(p)
        wb["Penilaian Mandiri"]["H2"].hyperlink = GOOD_2
        wb.save(p)
        H.rewrite(p, {H.DATA: H.sub('<hyperlink ref="H2"', '<hyperlink ref="A1:XFD1048576"')})

    def raw_cell(xml: str) -> Callable[[Path], None]:
        return with_row_12(lambda p: H.rewrite(p, {H.DATA: H.sub(r'<c r="F2"[^>]*?(/>|>.*?</c>)', xml)}))

    def shared_index_out_of_range(p: Path) -> None:
        H.shared_strings_workbook(p, 1)
        H.rewrite(p, {H.DATA: H.sub(r'<c r="F2"[^>]*?(/>|>.*?</c>)', '<c r="F2" t="s"><v>99</v></c>')})

    def many_cells(p: Path) -> None:
        H.set_cells(p, 2, DEFAULT)
        empty = "".join(f'<c r="{c}{{r}}"/>' for c in "ABCDEFGHI")
        rows = "".join(H.row_xml(r, empty.replace("{r}", str(r))) for r in range(5, 7000))
        H.rewrite(p, {H.DATA: H.append_rows(rows)})

    def lying_size(p: Path) -> None:
        import struct

        H.set_cells(p, 2, DEFAULT)
        data = bytearray(p.read_bytes())
        name = H.DATA.encode()
        central = data.find(b"PK\x01\x02")  # central directory entries
        while central != -1:
            length = struct.unpack_from("<H", data, central + 28)[0]
            if data[central + 46 : central + 46 + length] == name:
                struct.pack_into("<I", data, central + 24, 10)  # declared size: 10 bytes
                local = struct.unpack_from("<I", data, central + 42)[0]
                struct.pack_into("<I", data, local + 22, 10)
                break
            central = data.find(b"PK\x01\x02", central + 4)
        p.write_bytes(bytes(data))

    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    billion_laughs = f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]>'

    def doctype(prolog: str, entity: str) -> Callable[[Path], None]:
        def mutate(p: Path) -> None:
            H.set_cells(p, 2, DEFAULT)
            H.rewrite(
                p,
                {
                    H.DATA: lambda xml: (
                        prolog.encode() + xml.replace(b"<t>Belum diisi</t>", f"<t>{entity}</t>".encode(), 1)
                    )
                },
            )

        return mutate

    whole_sheet = "A1:XFD1048576"
    merged = f'<mergeCells count="1"><mergeCell ref="{whole_sheet}"/></mergeCells>'
    formatting = (
        f'<conditionalFormatting sqref="{whole_sheet}"><cfRule type="expression" priority="1">'
        "<formula>TRUE</formula></cfRule></conditionalFormatting>"
    )
    validation = (
        f'<dataValidations count="1"><dataValidation type="whole" sqref="{whole_sheet}"><formula1>1</formula1>'
        "</dataValidation></dataValidations>"
    )
    ok = {"level": 3, "evidence": [GOOD]}
    return [
        Hostile(
            "XFD1 and A2001 (the 9 KB file)",
            ".xlsx",
            cells(XFD1="x", A2001="y"),
            ("baris 1, kolom XFD: judul kolom 'x' bukan kolom templat",),
        ),
        Hostile(
            "a value at XFD5",
            ".xlsx",
            cells(XFD5="x"),
            (f"{SHEET} baris 5, kolom XFD: ada isian di luar kolom templat",),
        ),
        Hostile(
            "a value at A1048576",
            ".xlsx",
            cells(A1048576="x"),
            (f"{SHEET} baris 1048576, kolom A: melewati batas templat",),
        ),
        Hostile("2,100 filled rows", ".xlsx", filled_rows, (f"{SHEET} baris 2002, kolom B: melewati batas templat",)),
        Hostile(
            "hidden duplicate level column",
            ".xlsx",
            hidden_duplicate,
            ("baris 1, kolom J: kolom 'Level diklaim (1-5)' sudah ada di kolom F",),
        ),
        Hostile(
            "duplicate column by key",
            ".xlsx",
            cells(J1="level"),
            ("baris 1, kolom J: kolom 'level' sudah ada di kolom F",),
        ),
        Hostile(
            "header renamed",
            ".xlsx",
            cells(F1="Tingkat"),
            ("baris 1, kolom F: judul kolom 'Tingkat' bukan kolom templat", "kolom tidak ada: Level diklaim (1-5)"),
        ),
        Hostile(
            "header with ESC",
            ".xlsx",
            with_row_12(lambda p: H.set_cells(p, 1, {"J": "x\x1b[31m"})),
            ("baris 1, kolom J: judul kolom 'x\\x1b[31m' bukan",),
        ),
        Hostile(
            "headers cleared",
            ".xlsx",
            with_row_12(lambda p: H.rewrite(p, {H.DATA: H.sub(r'<row r="1">.*?</row>', "")})),
            (f"{SHEET} baris 1: kolom tidak ada: No. Indikator, Level diklaim",),
        ),
        Hostile(
            "hyperlink over the whole sheet", ".xlsx", sheet_wide_hyperlink, accept={"level": 3, "evidence": [GOOD_2]}
        ),
        Hostile(
            "merged range over the whole sheet",
            ".xlsx",
            with_row_12(lambda p: H.rewrite(p, {H.DATA: H.insert_before("<sheetProtection", merged)})),
            accept=ok,
        ),
        Hostile(
            "conditional format over the whole sheet",
            ".xlsx",
            with_row_12(lambda p: H.rewrite(p, {H.DATA: H.insert_before("<sheetProtection", formatting)})),
            accept=ok,
        ),
        Hostile(
            "validation over the whole sheet",
            ".xlsx",
            with_row_12(lambda p: H.rewrite(p, {H.DATA: H.sub(r"<dataValidations.*?</dataValidations>", validation)})),
            accept=ok,
        ),
        Hostile(
            "dimension claims the whole sheet",
            ".xlsx",
            with_row_12(
                lambda p: H.rewrite(
                    p, {H.DATA: H.sub('<dimension ref="A1:I4" />', f'<dimension ref="{whole_sheet}" />')}
                )
            ),
            accept=ok,
        ),
        Hostile(
            "no dimension at all",
            ".xlsx",
            with_row_12(lambda p: H.rewrite(p, {H.DATA: H.sub('<dimension ref="A1:I4" />', "")})),
            accept=ok,
        ),
        Hostile(
            "rows out of order",
            ".xlsx",
            with_row_12(
                lambda p: H.rewrite(p, {H.DATA: H.sub(r'(<row r="2">.*?</row>)(<row r="3">.*?</row>)', r"\2\1")})
            ),
            accept=ok,
        ),
        Hostile(
            "one cell written twice",
            ".xlsx",
            raw_cell('<c r="F2" t="n"><v>5</v></c><c r="F2" t="n"><v>3</v></c>'),
            (f"{SHEET} baris 2, kolom F: sel ini tercatat dua kali",),
        ),
        Hostile(
            "a cell filed under another row",
            ".xlsx",
            with_row_12(lambda p: H.rewrite(p, {H.DATA: H.sub('<c r="I2" s="5" t="n" />', H.inline("I9", "x"))})),
            (f"{SHEET} baris 9, kolom A (No. Indikator): nomor indikator kosong",),
        ),
        Hostile(
            "array formula as level",
            ".xlsx",
            raw_cell('<c r="F2"><f t="array" ref="F2">1+2</f><v>3</v></c>'),
            (f"{SHEET} baris 2, {LEVEL}: berisi rumus",),
        ),
        Hostile(
            "shared formula as level",
            ".xlsx",
            raw_cell('<c r="F2"><f t="shared" ref="F2:F3" si="0">1+2</f><v>3</v></c>'),
            (f"{SHEET} baris 2, {LEVEL}: berisi rumus",),
        ),
        Hostile(
            "error value as level",
            ".xlsx",
            raw_cell('<c r="F2" t="e"><v>#DIV/0!</v></c>'),
            (f"{SHEET} baris 2, {LEVEL}: berisi nilai galat #DIV/0!",),
        ),
        Hostile(
            "boolean as level",
            ".xlsx",
            raw_cell('<c r="F2" t="b"><v>1</v></c>'),
            (f"{SHEET} baris 2, {LEVEL}: True bukan level",),
        ),
        Hostile(
            "date as level",
            ".xlsx",
            cells(F2=datetime(2025, 1, 3)),
            (f"{SHEET} baris 2, {LEVEL}: '2025-01-03 00:00:00' bukan bilangan bulat",),
        ),
        Hostile(
            "huge number as level",
            ".xlsx",
            raw_cell('<c r="F2"><v>1e300</v></c>'),
            (f"{SHEET} baris 2, {LEVEL}: level 1e+300 di luar 1–5",),
        ),
        Hostile(
            "Excel's _x000D_ escape",
            ".xlsx",
            with_row_12(
                lambda p: (
                    H.set_cells(p, 2, {"explanation": "satu\r\ndua"})
                    or H.rewrite(p, {H.DATA: H.sub("satu\r?\n?dua", "satu_x000D_\ndua")})
                )
            ),
            accept={"explanation": "satu\ndua"},
        ),
        Hostile(
            "shared string index out of range",
            ".xlsx",
            shared_index_out_of_range,
            ("lembar 'Penilaian Mandiri' rusak",),
            where=WHOLE,
        ),
        Hostile(
            "cell reference beyond XFD",
            ".xlsx",
            raw_cell('<c r="ZZZZ2"><v>3</v></c>'),
            ("lembar 'Penilaian Mandiri' rusak",),
            where=WHOLE,
        ),
        Hostile(
            "raw ESC byte in the sheet XML",
            ".xlsx",
            with_row_12(lambda p: H.rewrite(p, {H.DATA: H.sub("Belum diisi", "Belum\x1bdiisi")})),
            ("lembar 'Penilaian Mandiri' rusak",),
            where=WHOLE,
        ),
        Hostile(
            "billion laughs",
            ".xlsx",
            doctype(billion_laughs, "&lol9;"),
            ("bukan buku kerja .xlsx", "could not read worksheets"),  # defusedxml (odfpy's): refused at load
            where=WHOLE,
        ),
        Hostile(
            "external entity",
            ".xlsx",
            doctype('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>', "&xxe;"),
            ("bukan buku kerja .xlsx", "could not read worksheets"),  # defusedxml (odfpy's): refused at load
            where=WHOLE,
        ),
        Hostile(
            "60,000 shared strings",
            ".xlsx",
            with_row_12(lambda p: H.shared_strings_workbook(p, 60_000)),
            ("lebih dari 50000 teks berbeda",),
            where=WHOLE,
        ),
        Hostile(
            "63,000 empty cells",
            ".xlsx",
            many_cells,
            ("lembar 'Penilaian Mandiri' memuat lebih dari 60000 sel",),
            where=WHOLE,
        ),
        Hostile(
            "styles of 5 MB",
            ".xlsx",
            with_row_12(
                lambda p: H.rewrite(
                    p,
                    {
                        "xl/styles.xml": lambda x: x.replace(
                            b"</styleSheet>", b"<!--" + b" " * 5_000_000 + b"--></styleSheet>"
                        )
                    },
                )
            ),
            ("gaya sel (xl/styles.xml) berukuran",),
            where=WHOLE,
        ),
        Hostile(
            "400 parts in the zip",
            ".xlsx",
            with_row_12(lambda p: H.rewrite(p, {}, add={f"xl/media/i{i}.bin": b"x" for i in range(400)})),
            ("bagian (batas 300)",),
            where=WHOLE,
        ),
        Hostile(
            "zip bomb inside a real template",
            ".xlsx",
            with_row_12(lambda p: H.rewrite(p, {}, add={"xl/media/bom.bin": b"\0" * (21 * 1024 * 1024)})),
            ("terurai menjadi", "batasnya 20971520"),
            where=WHOLE,
        ),
        Hostile(
            "a part lying about its size",
            ".xlsx",
            lying_size,
            ("Bad CRC-32 for file 'xl/worksheets/sheet2.xml'",),
            where=WHOLE,
        ),
        Hostile(
            "truncated zip",
            ".xlsx",
            lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
            ("bukan buku kerja .xlsx",),
            where=WHOLE,
        ),
        Hostile("empty file", ".xlsx", lambda p: p.write_bytes(b""), ("bukan buku kerja .xlsx",), where=WHOLE),
        Hostile(
            "encrypted workbook (OLE container)",
            ".xlsx",
            lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096),
            ("bukan buku kerja .xlsx",),
            where=WHOLE,
        ),
        Hostile(
            "no content types",
            ".xlsx",
            lambda p: H.rewrite(p, {"[Content_Types].xml": None}),
            ("bukan buku kerja .xlsx",),
            where=WHOLE,
        ),
        Hostile(
            "template kind with OSC",
            ".xlsx",
            lambda p: H.set_cells(p, 2, {"B": "opd\x1b]0;judul\x07"}, sheet="_meta"),
            ("jenis templat 'opd\\x1b]0;judul\\x07' tidak dikenal",),
            where=WHOLE,
        ),
        Hostile(
            "signature with non-ASCII",
            ".xlsx",
            lambda p: set_meta(p, "signature", "é" * 64),
            ("tanda tangan templat tidak cocok",),
            where=WHOLE,
        ),
        Hostile(
            "cycle with a terminal escape",
            ".xlsx",
            lambda p: H.set_cells(p, 3, {"B": "pekalongan-2025\x1b[2J"}, sheet="_meta"),
            ("tanda tangan templat tidak cocok dengan siklus dan OPD-nya (pekalongan-2025, BAPPERIDA)",),
            where=WHOLE,
        ),
        Hostile(
            "data sheet renamed",
            ".xlsx",
            lambda p: H.rewrite(p, {"xl/workbook.xml": H.sub('name="Penilaian Mandiri"', 'name="Isian"')}),
            ("lembar 'Penilaian Mandiri' tidak ada",),
            where=WHOLE,
        ),
        Hostile(
            "file over 10 MB",
            ".xlsx",
            lambda p: H.rewrite(p, {}, add={"xl/media/foto.bin": __import__("os").urandom(11 * 1024 * 1024)}),
            ("batasnya 10485760",),
            where=WHOLE,
        ),
        Hostile("macro workbook extension", ".xlsm", lambda p: None, (".xlsm tidak dapat diimpor",), where=WHOLE),
    ]


def _csv_specific() -> list[Hostile]:
    def edit(change) -> Callable[[Path], None]:
        def mutate(p: Path) -> None:
            H.csv_set(p, 12, DEFAULT)
            H.csv_edit(p, change)

        return mutate

    def extra_column(name: str, value: str):
        return edit(lambda h, rows: ([*h, name], [[*r, value] for r in rows]))

    def text(change) -> Callable[[Path], None]:
        def mutate(p: Path) -> None:
            H.csv_set(p, 12, DEFAULT)
            p.write_bytes(change(p.read_bytes().decode("utf-8")))  # bytes: keep the CRLF line ends

        return mutate

    def more_rows(h, rows):
        return h, rows + [[f"{900 + i}", *rows[2][1:]] for i in range(1998)]

    return [
        Hostile(
            "a field over the csv limit",
            ".csv",
            lambda p: H.csv_set(p, 12, {**DEFAULT, "explanation": "x" * 140_000}),
            ("baris 2, kolom 'explanation': berisi 140000 karakter; satu sel paling banyak 8000",),
        ),
        Hostile(
            "a second level column",
            ".csv",
            extra_column("level", "5"),
            ("baris 1: kolom 'level' muncul dua kali (kolom ke-6 dan ke-16)",),
        ),
        Hostile(
            "level by key and by label",
            ".csv",
            extra_column("Level diklaim (1-5)", "5"),
            ("baris 1: kolom 'level diklaim (1-5)' dan kolom 'level' sama-sama berisi level",),
        ),
        Hostile(
            "30,000 separators on a line",
            ".csv",
            text(lambda t: (t + ";" * 30_000 + "\r\n").encode()),
            ("baris 5: memuat lebih dari 20000 pemisah",),
            where=WHOLE,
        ),
        Hostile("UTF-16 file", ".csv", text(lambda t: t.encode("utf-16")), ("bukan teks UTF-8",), where=WHOLE),
        Hostile(
            "header with ESC",
            ".csv",
            extra_column("x\x1b[31m", ""),
            ("baris 1: kolom 'x\\x1b[31m' bukan kolom templat",),
        ),
        Hostile(
            "unclosed quote",
            ".csv",
            text(lambda t: t.replace(";3;", ';"3;', 1).encode()),
            ('baris 2: tanda kutip (") yang dibuka tidak pernah ditutup',),
            where=WHOLE,
        ),
        Hostile(
            "more cells than header",
            ".csv",
            text(lambda t: t.replace("\r\n13;", ";extra\r\n13;", 1).encode()),
            ("baris 2: jumlah sel melebihi kolom judul",),
            where=WHOLE,
        ),
        Hostile(
            "header only",
            ".csv",
            text(lambda t: t.split("\r\n", 1)[0].encode()),
            ("tidak ada baris isian",),
            where=WHOLE,
        ),
        Hostile("empty file", ".csv", lambda p: p.write_bytes(b""), ("berkas kosong",), where=WHOLE),
        Hostile("2,001 rows", ".csv", edit(more_rows), ("2001 baris; satu templat paling banyak 2000",), where=WHOLE),
        Hostile(
            "CR-only line ends",
            ".csv",
            text(lambda t: t.replace("\r\n", "\r").encode()),
            accept={"level": 3, "evidence": [GOOD]},
        ),
        Hostile(
            "BOM twice",
            ".csv",
            text(lambda t: ("\ufeff\ufeff" + t).encode()),
            ("baris 1: kolom '\\ufeffindicator' bukan kolom templat",),
        ),
    ]


def hostile_corpus() -> list[Hostile]:
    cases: list[Hostile] = []
    for name, values, outcome in _value_cases():
        for suffix, make, where in (
            (
                ".xlsx",
                _values_xlsx(values),
                lambda key: f"{SHEET} baris 2, kolom {XLSX_COLUMN[key]} ({XLSX_LABEL[key]})",
            ),
            (".csv", _values_csv(values), lambda key: f"baris 2, kolom '{key}'"),
        ):
            if isinstance(outcome, dict):
                cases.append(Hostile(f"{name} ({suffix})", suffix, make, accept=outcome))
            else:
                key, phrase = outcome
                cases.append(Hostile(f"{name} ({suffix})", suffix, make, (f"{where(key)}: ", phrase)))
    return cases + _xlsx_structural() + _csv_specific()


def _try(engine, case: Hostile, path: Path) -> tuple[str, str]:
    """Import one file; (outcome, why) with outcome one of: cell, whole, accepted, wrong, crashed."""
    from spbe.services.submission_store import latest_submission

    before = counts(engine)
    with clock.use_clock(SEPT), Session(engine) as session:
        try:
            import_file(session, path=path, actor="koordinator")
            sub = latest_submission(session, cycle=the_cycle(session), indicator=12)
            got = None if sub is None else {k: getattr(sub, k) for k in ("level", "explanation", "evidence", "note")}
        except SpbeError as exc:
            message = str(exc)
            got = None
        except Exception as exc:  # the crash this corpus exists to catch
            return "crashed", f"{type(exc).__name__}: {exc}"[:300]
        finally:
            session.rollback()
    if counts(engine) != before:
        return "wrong", "the store changed"
    if got is None:
        if case.accepted:
            return "wrong", f"refused: {message[:300]}"
        if "Traceback" in message or re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", message):
            return "wrong", f"unprintable message {message[:300]!r}"
        missing = [p for p in case.refuse if p not in message]
        if missing:
            return "wrong", f"missing {missing} in {message[:400]!r}"
        if case.where == CELL and not LOCATED.search(message):
            return "wrong", f"no sheet/line, row and column in {message[:300]!r}"
        return case.where, ""
    if not case.accepted:
        return "wrong", f"accepted {got}"
    expected = {**{"level": 3, "evidence": [GOOD], "explanation": None, "note": None}, **case.accept}
    if got != expected:
        return "wrong", f"stored {got}, expected {expected}"
    return "accepted", ""


def test_the_hostile_corpus(store, engine, tmp_path: Path, capsys):
    cases = hostile_corpus()
    outcomes: dict[str, list[str]] = {"cell": [], "whole": [], "accepted": [], "wrong": [], "crashed": []}
    for i, case in enumerate(cases):
        base = store[1] if case.suffix != ".csv" else store[2]
        path = tmp_path / f"hostile-{i}{case.suffix}"
        shutil.copy(base, path)
        case.make(path)
        outcome, why = _try(engine, case, path)
        outcomes[outcome].append(f"{case.name}: {why}" if why else case.name)
        path.unlink(missing_ok=True)
    refused = len(outcomes["cell"]) + len(outcomes["whole"])
    with capsys.disabled():
        print(
            f"\n[hostile corpus] tried {len(cases)} / refused cleanly {refused} (at a cell, naming sheet or line, "
            f"row and column: {len(outcomes['cell'])}; as a whole file or line: {len(outcomes['whole'])}) / "
            f"accepted correctly {len(outcomes['accepted'])} / crashed {len(outcomes['crashed'])} / "
            f"wrong {len(outcomes['wrong'])}"
        )
    assert len(cases) >= 90
    assert outcomes["crashed"] == [], "\n".join(outcomes["crashed"])
    assert outcomes["wrong"] == [], "\n".join(outcomes["wrong"])


def test_a_file_name_cannot_steer_the_terminal(store, engine, tmp_path: Path):
    path = tmp_path / "isian\x1b]0;judul\x07\x1b[2J.csv"
    path.write_bytes(store[2].read_bytes().replace(b";;2;;", b";;6;;", 1))
    with pytest.raises(InputError) as raised:
        _import(engine, path)
    assert str(raised.value).startswith("isian.csv: baris 3, kolom 'level': level 6 di luar 1–5")
