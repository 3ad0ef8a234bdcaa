"""The final report: equal to `spbe score`, hostile text escaped, real charts, recorded and delivered."""

from __future__ import annotations

import html.parser
import json
import re
import struct
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from spbe import clock
from spbe.frameworks import load_framework
from spbe.services.report import build_report, mark_delivered, report_summary_markdown, report_table_rows
from spbe.services.snapshot import take_snapshot
from spbe.store import models as m
from spbe.store.db import session_scope
from tests.utils.cli import run_spbe
from tests.utils.levels import write_levels
from tests.utils.report import BUILT, Seeded, seed
from tests.utils.store import loaded_store as loaded

FW = load_framework("permenpanrb-59-2020")
HOSTILE = {
    "opd": "<script>alert('x')</script> Dinkominfo",
    "opd2": "+cmd|' /C calc'!A0",
    "ind1": '=HYPERLINK("http://evil.example","klik")',
    "ind2": "@SUM(1+1)",
    "ind3": "A | B [tautan](javascript:alert(1)) **tebal**",
    "phase": "-2+3 <img src=x onerror=alert(1)>",
}


def make_hostile(session: Session) -> None:
    session.exec(select(m.Opd).where(m.Opd.code == "DINKOMINFO")).one().name = HOSTILE["opd"]
    session.exec(select(m.Opd).where(m.Opd.code == "BAPPERIDA")).one().name = HOSTILE["opd2"]
    for n, key in ((1, "ind1"), (2, "ind2"), (3, "ind3")):
        session.exec(select(m.Indicator).where(m.Indicator.number == n)).one().name = HOSTILE[key]
    session.exec(select(m.Phase).where(m.Phase.name == "self-assessment")).one().title = HOSTILE["phase"]


@dataclass
class Built:
    url: str
    engine: Engine
    seeded: Seeded
    out: Path
    files: dict[str, Path]
    report_id: int
    result: object


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """One seeded store with hostile names and one report built from it, shared by the read-only checks."""
    base = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{base / 'spbe.db'}"
    engine = loaded(url)
    with session_scope(engine) as session:
        seeded = seed(session)
        make_hostile(session)
        cycle = session.exec(select(m.Cycle)).one()
        session.add(
            m.AuditEvent(cycle_id=cycle.id, at=BUILT, actor="x", action="noop")  # unrelated rows do not matter
        )
    with clock.use_clock(BUILT), session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        result = build_report(session, cycle=cycle, out_dir=base / "out", actor="koordinator")
    return Built(url, engine, seeded, base / "out", result.files, result.report_id, result)


def report_json(b: Built) -> dict:
    return json.loads(b.files["json"].read_text(encoding="utf-8"))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


# --- numbers --------------------------------------------------------------------------------------


def test_report_numbers_equal_spbe_score_as_a_process(built: Built, tmp_path: Path):
    data = report_json(built)
    levels_file = write_levels(tmp_path / "expected.csv", built.seeded.validated)
    scored = run_spbe("score", "--levels", str(levels_file), "--json")
    assert scored.code == 0, scored.err
    expected = json.loads(scored.out)
    assert data["index"] == expected["index"] and data["predicate"] == expected["predicate"]
    assert data["index_exact"] == expected["index_exact"] and data["bound_note"] == expected["bound_note"]
    assert [(d["name"], d["weight"], d["index"]) for d in data["domains"]] == [
        (d["name"], d["weight"], d["index"]) for d in expected["domains"]
    ]
    assert [(a["name"], a["weight"], a["index"]) for a in data["aspects"]] == [
        (a["name"], a["weight"], a["index"]) for a in expected["aspects"]
    ]
    # the levels file the report writes beside itself scores the same
    again = json.loads(run_spbe("score", "--levels", str(built.files["levels"]), "--json").out)
    assert again["index_exact"] == expected["index_exact"]


def test_claimed_index_and_levels_per_indicator(built: Built, tmp_path: Path):
    data = report_json(built)
    claimed = json.loads(
        run_spbe("score", "--levels", str(write_levels(tmp_path / "c.csv", built.seeded.claimed)), "--json").out
    )
    assert data["claimed"] == {
        "index": claimed["index"],
        "index_exact": claimed["index_exact"],
        "predicate": claimed["predicate"],
        "bound_note": claimed["bound_note"],
    }
    rows = {r["indicator"]: r for r in data["indicators"]}
    assert {n: r["level_scored"] for n, r in rows.items()} == built.seeded.validated
    assert rows[6]["status"] == "missing" and rows[6]["assumed"] == "floor" and rows[6]["claimed_level"] is None
    assert rows[7]["status"] == "accepted" and rows[7]["assumed"] is None  # 7 % 6 == 1: accepted one lower
    assert (rows[7]["claimed_level"], rows[7]["validated_level"]) == (5, 4)
    assert rows[8]["revise_rounds"] == 1 and rows[8]["version"] == 2 and rows[8]["status"] == "accepted"
    assert rows[9]["status"] == "submitted" and rows[9]["assumed"] == "claimed"
    assert rows[10]["status"] == "revise" and rows[10]["revise_rounds"] == 2
    assert rows[11]["late"] is True
    assert rows[1]["evidence"] == {"links": 2, "ok": 1, "unchecked": 1}
    assert rows[5]["evidence"] == {"links": 2, "not_found": 1, "unchecked": 1}
    assert data["levels"]["assumed_level_1"] == sorted(built.seeded.missing)


def test_history_target_and_process(built: Built):
    data = report_json(built)
    assert [(h["year"], h["index"]) for h in data["history"][:2]] == [(2023, "3.29"), (2024, "3.76")]
    assert data["history"][1]["change"] == "0.47" and data["history"][0]["change"] is None
    current = data["history"][2]
    assert current["current"] and current["index"] == data["index"]
    assert Decimal(current["change"]) == Decimal(data["index"]) - Decimal("3.76")
    assert [h["framework"] for h in data["history"]] == ["permenpanrb-59-2020"] * 3
    assert [h["source"] for h in data["history"]] == ["config", "config", "current"]
    assert data["history_by_group"] == [] and data["history_notes"] == []  # no official results recorded
    target = data["target"]
    assert target["index"] == "4.00" and target["plan_target"] == "4.20" and target["predicate"] == "Memuaskan"
    assert "4,20" in target["warning"] and "Sangat Baik" in target["warning"]
    assert Fraction(target["gap_exact"]) == Fraction("4.2") - Fraction(data["index_exact"])
    gap = Fraction(Decimal(target["gap"]))  # two decimals, never below the exact shortfall
    assert gap >= Fraction(target["gap_exact"]) > gap - Fraction(1, 100) and target["met"] is False
    proc = data["process"]
    assert proc["late_indicators"] == sorted(built.seeded.late) and proc["late_versions"] == len(built.seeded.late)
    assert proc["revise_reviews"] == built.seeded.revise_reviews
    assert proc["indicators_missing"] == len(built.seeded.missing)
    assert proc["reminders_sent"] == 0  # the outbox table exists and holds nothing sent
    assert [p["name"] for p in data["phases"]] == [
        "locus",
        "socialization",
        "self-assessment",
        "document-review",
        "revision",
        "final-report",
    ]


def test_recommendation_reaches_the_target_by_spbe_score(built: Built, tmp_path: Path):
    rec = report_json(built)["recommendation"]
    assert rec["reachable"] and not rec["already_met"] and rec["target"] == "4.20"
    after = dict(built.seeded.validated)
    for r in rec["raises"]:
        assert after[r["indicator"]] == r["from"] and r["to"] > r["from"]
        after[r["indicator"]] = r["to"]
    scored = json.loads(run_spbe("score", "--levels", str(write_levels(tmp_path / "a.csv", after)), "--json").out)
    assert scored["index"] == rec["index_after"] and Decimal(scored["index"]) >= Decimal("4.20")
    assert all(r["owner_opd"] for r in rec["raises"])


# --- escaping -------------------------------------------------------------------------------------


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(a for a, _ in attrs)

    def handle_data(self, data):
        self.text.append(data)


def test_html_escapes_hostile_text_and_is_self_contained(built: Built):
    page = built.files["html"].read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags and "onerror" not in parser.attrs
    assert parser.tags <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "h1",
        "h2",
        "h3",
        "p",
        "div",
        "table",
        "tr",
        "th",
        "td",
        "figure",
        "img",
        "figcaption",
        "span",
        "strong",
    }
    text = "".join(parser.text)
    for value in HOSTILE.values():
        assert value in text, f"{value!r} should read as text"
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "default-src 'none'" in page  # CSP: no scripts, no remote loads
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert len(srcs) == 3 and all(s.startswith("data:image/png;base64,") for s in srcs)


def test_markdown_escapes_hostile_text(built: Built):
    text = built.files["md"].read_text(encoding="utf-8")
    assert "<script>" not in text and "\\<script\\>" in text
    assert "\\[tautan\\](javascript:alert(1)) \\*\\*tebal\\*\\*" in text and "A \\| B" in text
    rows = [line for line in text.splitlines() if line.startswith("| 3 |")]
    assert rows and all(len(re.findall(r"(?<!\\)\|", r)) == 10 for r in rows[:1])  # 9 columns, no extra cell


def test_xlsx_neutralises_formula_like_text(built: Built):
    from openpyxl import load_workbook

    wb = load_workbook(built.files["xlsx"])
    assert wb.sheetnames == ["Ringkasan", "Domain dan Aspek", "Indikator", "Proses", "Rekomendasi", "Grafik"]
    seen: set[str] = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    assert cell.value[0] not in "=+-@\t\r", f"{ws.title}!{cell.coordinate}: {cell.value!r}"
                    seen.add(cell.value)
    for key in ("ind1", "ind2", "opd2"):
        assert "'" + HOSTILE[key] in seen
    assert HOSTILE["opd"] in seen  # not formula-like: written as it is
    with zipfile.ZipFile(built.files["xlsx"]) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any("<f>" in s or "<f " in s for s in sheets)
        assert sum(1 for n in z.namelist() if n.startswith("xl/media/")) == 3
    ws = wb["Ringkasan"]
    assert ws["A6"].value == "Indeks SPBE" and ws["B6"].data_type == "n"
    assert float(ws["B6"].value) == float(report_json(built)["index"])


# --- charts ---------------------------------------------------------------------------------------


def test_charts_are_real_pngs_of_the_expected_size(built: Built):
    from spbe.report.charts import BAR_SIZE, RADAR_SIZE, TREND_SIZE

    expected = {"chart:aspek": BAR_SIZE, "chart:radar-domain": RADAR_SIZE, "chart:tren": TREND_SIZE}
    assert {k for k in built.files if k.startswith("chart:")} == set(expected)
    for key, size in expected.items():
        data = built.files[key].read_bytes()
        assert png_size(data) == size and len(data) > 10_000
    import base64

    page = built.files["html"].read_text(encoding="utf-8")
    for uri in re.findall(r'src="data:image/png;base64,([^"]+)"', page):
        assert png_size(base64.b64decode(uri)) in expected.values()


def test_frameworks_without_domains_get_an_aspect_radar():
    from spbe.report.charts import RADAR_SIZE, draw_all
    from tests.utils.report import assemble_claimed

    pemdi = load_framework("pemdi-2026")
    data = assemble_claimed(pemdi, year=2026, level=3, city="Kota $\\foo{$ Uji", history={2025: Decimal("3.10")})
    assert not data.domains and data.index == Decimal("3.00") and data.process.reminders_sent is None
    assert data.title == "Laporan Akhir Evaluasi Pemdi Kota $\\foo{$ Uji Tahun 2026"
    assert any("Periodisitas evaluasi Pemdi belum dikonfirmasi" in n for n in data.notes)
    assert not any("TERVERIFIKASI" in n for n in data.notes)  # PermenPANRB 8/2026 confirmed
    # Without the frameworks at hand, 2025 (before Pemdi's first year) is on an unknown framework.
    assert data.history[0].framework_id is None and data.history[1].delta is None
    assert "kerangka yang tidak diketahui" in data.history_notes[0]
    charts = {c.key: c for c in draw_all(data)}
    assert set(charts) == {"aspek", "radar-aspek", "tren"}
    assert png_size(charts["radar-aspek"].png) == RADAR_SIZE


# --- recorded, delivered, artifacts ---------------------------------------------------------------


def test_report_row_audit_and_artifacts(built: Built):
    with Session(built.engine) as session:
        report = session.get(m.Report, built.report_id)
        assert report is not None and report.built_at == BUILT
        assert report.index == report_json(built)["index"] and report.delivered_at is None
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "report.built")).all()
        assert len(events) == 1 and events[0].subject == f"report#{built.report_id}"
        assert events[0].actor == "koordinator" and events[0].detail["index"] == report.index
    summary = report_summary_markdown(built.result)
    assert summary.startswith("# Laporan Akhir Evaluasi SPBE Kota Pekalongan Tahun 2025")
    assert "## Rekomendasi" in summary and "<script>" not in summary
    rows = report_table_rows(built.result)
    assert len(rows) == 47 and rows[0]["indikator"] == HOSTILE["ind1"]
    assert set(rows[0]) == {
        "no",
        "indikator",
        "opd_pemilik",
        "level_klaim",
        "level_tervalidasi",
        "level_dinilai",
        "nama_level",
        "status",
        "putaran_revisi",
        "bukti_dukung",
    }


def test_build_and_deliver_on_each_backend(database_url: str, tmp_path: Path):
    engine = loaded(database_url)
    with session_scope(engine) as session:
        seed(session, levels={i.number: 5 for i in FW.indicators})
        cycle = session.exec(select(m.Cycle)).one()
        outbox = __import__("spbe.store.tables_reminders", fromlist=["OutboxMessage"]).OutboxMessage
        for k, (kind, st) in enumerate(
            [("reminder", "sent"), ("escalation", "sent"), ("reminder", "queued"), ("notice", "sent")]
        ):
            session.add(
                outbox(
                    cycle_id=cycle.id,
                    key=f"k{k}",
                    kind=kind,
                    recipient="adm",
                    subject="s",
                    body="b",
                    state=st,
                    not_before=BUILT,
                    created_at=BUILT,
                    updated_at=BUILT,
                )
            )
    with clock.use_clock(BUILT), session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        result = build_report(session, cycle=cycle, out_dir=tmp_path / "out", actor="koordinator")
        assert result.index == Decimal("5.00") and result.predicate == "Memuaskan"
        assert result.data.process.reminders_sent == 2
        assert result.data.plan.plan.already_met
        assert "sudah tercapai" in result.files["md"].read_text(encoding="utf-8")
    later = BUILT + timedelta(hours=2)
    with clock.use_clock(later), session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        mark_delivered(session, cycle=cycle, report_id=result.report_id, recipients=["sekda", "walikota"])
    with clock.use_clock(later + timedelta(hours=1)), session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        again = mark_delivered(session, cycle=cycle, report_id=result.report_id, recipients=["sekda"])
        assert again.delivered_at == later  # the first delivery time stays
        more = mark_delivered(session, cycle=cycle, report_id=result.report_id, recipients=["sekda", "koordinator"])
        assert more.delivered_to == ["sekda", "walikota", "koordinator"]
    with Session(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        events = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "report.delivered")).all()
        assert [e.detail["recipients"] for e in events] == [["sekda", "walikota"], ["koordinator"]]
        snap = take_snapshot(session, cycle)
        assert snap.report_built and snap.report_delivered


def test_an_exact_4_195_reads_sangat_baik_in_every_format(sqlite_url: str, tmp_path: Path):
    levels = {i.number: 4 for i in FW.indicators}
    levels.update(dict.fromkeys((42, 43, 44, 45, 21, 22, 23, 24, 25), 5))  # 4 + 0.12 + 0.075 = 4.195
    engine = loaded(sqlite_url)
    with session_scope(engine) as session:
        seed(session, levels=levels)
    with clock.use_clock(BUILT), session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        result = build_report(session, cycle=cycle, out_dir=tmp_path / "out", actor="koordinator")
    sentence = "4,195 (tampil 4,20): di bawah batas Memuaskan 4,20"
    data = json.loads(result.files["json"].read_text(encoding="utf-8"))
    assert (data["index"], data["index_exact"], data["predicate"]) == ("4.20", "839/200", "Sangat Baik")
    assert data["bound_note"] == sentence and data["target"]["met"] is False and data["target"]["gap"] == "0.01"
    md = result.files["md"].read_text(encoding="utf-8")
    assert "**Indeks SPBE 2025:** 4,20 (Sangat Baik); indeks tepat 4,195" in md and sentence in md
    assert "**Terhadap target:** kurang 0,01" in md
    assert sentence in result.files["html"].read_text(encoding="utf-8")
    from openpyxl import load_workbook

    ws = load_workbook(result.files["xlsx"])["Ringkasan"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(sentence in t for t in texts) and "4,195" in texts
    rec = data["recommendation"]  # the plan reaches the exact 4,20, one step more than the rounding needed
    assert rec["reachable"] and Fraction(rec["index_after_exact"]) >= Fraction("4.2") and rec["steps"] >= 1
    assert rec["predicate_after"] == "Memuaskan"


def test_delivery_of_an_unknown_report_is_refused(sqlite_url: str):
    from spbe.errors import SpbeError

    engine = loaded(sqlite_url)
    with session_scope(engine) as session:
        cycle = session.exec(select(m.Cycle)).one()
        with pytest.raises(SpbeError, match="report #99 does not belong to cycle pekalongan-2025"):
            mark_delivered(session, cycle=cycle, report_id=99, recipients=["sekda"])


def test_reminders_degrade_to_na_without_the_outbox_model(built: Built, monkeypatch: pytest.MonkeyPatch):
    from spbe.services.report import reminders_sent
    from spbe.store import tables_reminders

    monkeypatch.delattr(tables_reminders, "OutboxMessage")
    with Session(built.engine) as session:
        assert reminders_sent(session, 1) is None


# --- the command ----------------------------------------------------------------------------------


def test_spbe_report_command(built: Built, tmp_path: Path):
    env = {"SPBE_DATABASE_URL": built.url, "SPBE_NOW": "2025-12-10T09:00:00+07:00", "SPBE_ACTOR": "koordinator"}
    result = run_spbe("report", "--out", str(tmp_path / "cli"), "--json", env=env)
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["index"] == report_json(built)["index"] and summary["target"] == "4.20"
    assert Path(summary["files"]["html"]).is_file() and Path(summary["files"]["xlsx"]).is_file()
    assert "level klaim dipakai" in result.err  # the assumptions are said
    missing = run_spbe("report", "--year", "2024", "--out", str(tmp_path / "x"), env=env)
    assert missing.code == 1 and "no cycle for year 2024 in the store (years: 2025)" in missing.err
    assert "Traceback" not in missing.err
