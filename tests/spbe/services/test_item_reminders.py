"""Reminders, digests and `spbe status` on an items cycle (Pemdi): the same sweep names the missing items
by code and text, grouped by indicator, and stays within the message limits however many items an OPD owes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from spbe import clock
from spbe.channels.telegram import MAX_TEXT
from spbe.frameworks import load_framework
from spbe.messages import MAX_MESSAGE, message_length
from spbe.services import items as svc
from spbe.services.reminders import MAX_LISTED, sweep
from spbe.services.snapshot import take_snapshot
from spbe.services.status import standing
from spbe.store.db import session_scope
from spbe.store.tables_reminders import OutboxMessage
from tests.utils.pemdi import SA_OPEN, pemdi_cycle, pemdi_store

WIB = ZoneInfo("Asia/Jakarta")
H_MINUS_1 = datetime(2026, 7, 30, 9, 0, tzinfo=WIB)  # the self-assessment deadline is Fri 31 Jul 2026 16:00


@pytest.fixture
def engine(sqlite_url: str, tmp_path):
    engine = pemdi_store(sqlite_url, tmp_path)
    with clock.use_clock(SA_OPEN), session_scope(engine) as session:
        cycle = pemdi_cycle(session)
        svc.aim_level(session, cycle=cycle, actor="adm-bag-org", indicator=2, level=2)
        for code in ("I2-L1-01", "I2-L2-01"):
            svc.submit_item(session, cycle=cycle, actor="adm-bag-org", code=code, evidence=["https://bukti.example/a"])
    return engine


def messages(engine) -> dict[str, OutboxMessage]:
    with Session(engine) as session:
        return {r.recipient: r for r in session.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))}


def test_reminders_name_the_missing_items_grouped_by_indicator(engine):
    with clock.use_clock(H_MINUS_1), session_scope(engine) as session:
        sweep(session, cycle=pemdi_cycle(session), now=H_MINUS_1)
    sent = messages(engine)
    small = sent["adm-bag-org"].body  # I2 aimed at 2: only I2-L1-02 and I2-L2-02 are still missing
    assert "  - Indikator I2 Tingkat Kematangan Manajemen Layanan Digital Pemerintah:" in small
    assert "    * I2-L1-02 (tingkat 1) " in small and ": belum diunggah" in small
    assert "I2-L2-02 (tingkat 2)" in small and "I2-L1-01" not in small and "I2-L3-01" not in small
    assert "Unggah bukti (berkas atau tautan)" in small
    assert sent["adm-bag-org"].subject.endswith("2 hal belum selesai (Bagian Organisasi Setda)")
    big = sent["adm-dinkominfo"]  # I4..I20 without aims: every level-1 main item, and each aim
    assert "tingkat sasaran tahun ini belum ditetapkan" in big.body
    assert "spbe aim --indicator N --level L" in big.body
    listed = big.body.count("\n    * ") + big.body.count("tingkat sasaran tahun ini")
    assert 2 <= listed <= MAX_LISTED  # as many as fit in one WhatsApp message
    assert "... dan " in big.body and "hal lainnya" in big.body
    assert message_length(big.subject, big.body) <= MAX_MESSAGE < 1000


def test_status_reads_the_index_from_the_items(engine):
    with session_scope(engine) as session:
        cycle = pemdi_cycle(session)
        svc.review_item(session, cycle=cycle, actor="asr-03", code="I2-L1-01", verdict="diterima")
        svc.record_external(
            session, cycle=cycle, actor="koordinator", indicator=5, source_value=50, source_date="2026-05-01"
        )
        snap = take_snapshot(session, cycle)
    result = standing(load_framework("pemdi-2026"), snap, Decimal("3.00"))
    assert result["items"]["diterima"] == 1 and result["items"]["proses"] == 0  # I2-L2-01 waits above level 1
    assert result["items"]["ditolak_otomatis"] > 0 and result["items"]["total"] == 242
    assert result["waiting_externals"] == ["I6", "I7", "I18"]
    assert result["index_exact"] != "1" and not result["target_met_exactly"]


def test_opening_notices_list_items_to_answer_judge_and_revise(engine):
    from spbe.services import opening
    from spbe.store import models as m

    with clock.use_clock(SA_OPEN), session_scope(engine) as session:
        cycle = pemdi_cycle(session)
        phases = {p.name: p for p in session.exec(select(m.Phase).where(m.Phase.cycle_id == cycle.id))}
        sa = {n.recipient: n for n in opening.self_assessment(session, cycle, phases["self-assessment"])}
        svc.review_item(
            session, cycle=cycle, actor="asr-03", code="I2-L1-01", verdict="revisi", kind="bukti_tidak_tepat", note="x"
        )
        dr = {n.recipient: n for n in opening.document_review(session, cycle, phases["document-review"])}
        rev = {n.recipient: n for n in opening.revision(session, cycle, phases["revision"])}
    notice = sa["adm-bag-org"]  # I2 aimed at 2: its main items of levels 1 and 2
    assert notice.subject == "[Pemdi 2026] Penilaian mandiri dibuka: 4 butir untuk Bagian Organisasi Setda"
    assert "* I2-L1-01 (tingkat 1)" in notice.body and "* I2-L2-02 (tingkat 2)" in notice.body
    assert "... dan" in sa["adm-dinkominfo"].body and len(sa["adm-dinkominfo"].body) < MAX_TEXT
    assert "1 butir menunggu penilaian Anda" in dr["asr-03"].subject and "I2-L2-01" in dr["asr-03"].body
    assert list(rev) == ["adm-bag-org"] and "Revisi diminta: 1 butir" in rev["adm-bag-org"].subject
