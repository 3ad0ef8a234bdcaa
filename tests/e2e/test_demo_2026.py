"""`spbe demo --cycle pekalongan-2026` end to end: the Pemdi year walked by the demo's own runner, every phase
action a real flow run on the session's Prefect harness, reminders delivered to the loopback receiver.

The one reduction against the command: reminders tick on the days a rule falls due rather than on every
working day (`reminder_days="due"`) and only the owners of four indicators answer (`only`), which keeps the
year within test time. What it asserts is what the
year produced in the store, the report, the ministry export and the receiver, never how long it took."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from sqlmodel import Session, select

from spbe.demo.receiver import DemoReceiver
from spbe.demo.runner import play_year, prepare
from spbe.domain.phases import MINISTRY_STAGES
from spbe.store import tables_items as t
from spbe.store.tables_evidence import EvidenceFile
from tests.conftest import _NETGUARD_LOG

ITEM_CODE = re.compile(r"\bI\d{1,2}-L\d-\d{2}\b")
SETTINGS = ("SPBE_DATA_DIR", "SPBE_DATABASE_URL", "SPBE_CYCLE_CONFIG", "SPBE_ACTOR", "SPBE_WEBHOOK_URL")


@pytest.fixture(scope="module")
def demo_year(prefect_harness, tmp_path_factory):
    """One year for the module's tests (it is the slow part)."""
    tmp_path = tmp_path_factory.mktemp("demo2026")
    lines: list[str] = []
    guard = Path(_NETGUARD_LOG)  # the per-test guard starts after a module fixture: watch the year here
    start = guard.stat().st_size
    with pytest.MonkeyPatch.context() as monkeypatch:
        for key in (*SETTINGS, "SPBE_TEMPLATE_SECRET"):
            monkeypatch.setenv(key, "")  # restored after the module: prepare() sets them for the process
        receiver = DemoReceiver(tmp_path / "webhook.jsonl").start()
        try:
            cycle_file = prepare(tmp_path, receiver.base_url, "pekalongan-2026")
            year, summary = play_year(
                seed=2026,
                data_dir=tmp_path,
                receiver=receiver,
                cycle_file=cycle_file,
                say=lines.append,
                progress=lambda status: None,
                reminder_days="due",
                only=frozenset({1, 3, 15, 20}),  # four lead OPDs' worth of items, the externals all
            )
        finally:
            receiver.stop()
        with guard.open("rb") as fh:
            fh.seek(start)
            assert not fh.read().strip(), "the year tried to reach outside the loopback"
        yield year, summary, receiver.received, lines, tmp_path


def test_the_pemdi_year_runs_end_to_end(demo_year):
    year, summary, received, lines, tmp_path = demo_year
    assert all(state == "closed" for state in summary["phases"].values()), summary["phases"]
    assert set(MINISTRY_STAGES) <= set(summary["phases"])

    with Session(year.engine) as session:
        reviews = session.exec(select(t.ItemReview)).all()
        answers = session.exec(select(t.ItemAnswer)).all()
        files = session.exec(select(EvidenceFile)).all()
        externals = {e.indicator_number: e for e in session.exec(select(t.ExternalValue))}
    internal = Counter(r.verdict for r in reviews if r.stage == "internal")
    assert internal["diterima"] > 10 and internal["revisi"] >= 2, internal
    sent_back = [r for r in reviews if r.stage == "internal" and r.verdict == "revisi"]
    assert {r.kind for r in sent_back} <= {"bukti_tidak_tepat", "belum_diunggah"} and all(r.note for r in sent_back)
    assert None not in {r.kind for r in sent_back}
    assert all(r.reviewer != "koordinator" for r in reviews if r.stage == "internal")  # the assessors themselves
    # revision: sent-back items answered with a new version and judged again
    again = {a.item_code for a in answers if a.version == 2}
    assert again and again <= {r.item_code for r in sent_back}
    assert again & {r.item_code for r in reviews if r.version == 2 and r.verdict == "diterima"}
    assert any(r.stage == "interviu" for r in reviews)
    # files into the evidence store, links to the loopback server
    assert files and all(f.media_type == "application/pdf" for f in files)
    assert all(any((tmp_path / "evidence").rglob(f.sha256)) for f in files[:3])
    assert any(e.startswith("http://bukti.pekalongankota.test:") for a in answers for e in a.evidence or [])
    assert sorted(externals) == [5, 6, 18] and Fraction(externals[5].source_value) == Fraction("68.75")
    assert summary["waiting_externals"] == (7,)

    report_dir = Path(summary["report_dir"])
    per_indicator = json.loads((report_dir / "butir-per-indikator-pekalongan-2026.json").read_text(encoding="utf-8"))
    assert {row["indicator"] for row in per_indicator} >= {"I1", "I3", "I5"}
    counted = sum(lv["accepted"] for row in per_indicator for lv in row["levels"])
    assert counted > 0 and all("sent_back" in lv and "missing" in lv for row in per_indicator for lv in row["levels"])

    export = summary["export"]
    with (export.out / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        manifest = list(csv.DictReader(fh))
    assert len(manifest) == export.files + export.links and len({r["code"] for r in manifest}) == export.items > 0
    assert all(ITEM_CODE.fullmatch(row["code"]) for row in manifest)

    assert summary["plan"].already_met or sum(len(todo.rows) for todo in summary["todos"]) == len(summary["plan"].items)
    reminders = [m for m in received if m.get("kind") == "reminder"]
    assert reminders and any(ITEM_CODE.search(m["body"]) for m in reminders)
    assert any("ekspor untuk aplikasi kementerian" in line for line in lines)


def test_every_message_of_the_pemdi_year_is_under_1000_characters(demo_year):
    _, _, received, _, _ = demo_year
    assert received
    too_long = Counter((m["kind"], m["phase"]) for m in received if len(m["body"]) >= 1000)
    assert not too_long, too_long
