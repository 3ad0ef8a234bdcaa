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
from spbe.services.reminders import sweep
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
    assert "  - I2 Manajemen Layanan Digital…: 2 butir belum diunggah (I2-L1-02, I2-L2-02)\n" in small
    assert "I2-L1-01" not in small and "I2-L3-01" not in small and "Indikator" not in small
    assert "Unggah bukti (berkas atau tautan)" in small
    assert sent["adm-bag-org"].subject.endswith("2 hal belum selesai (Bagian Organisasi Setda)")
    big = sent["adm-dinkominfo"]  # I4..I20 without aims: every level-1 main item, and each aim
    aims = "  - I4, I8–I17, I19, I20 (13 indikator): tingkat sasaran tahun ini belum ditetapkan\n"
    assert aims in big.body  # one line for the 13 aims (I5-I7, I18 are external: no aim, no items)
    assert "spbe aim --indicator N --level L" in big.body
    assert "  - I4 Kolaborasi Pemdi: 3 butir belum diunggah (I4-L1-01, I4-L1-02, I4-L1-03)\n" in big.body
    assert "  - I8 Pelindungan Data Pribadi: 7 butir belum diunggah (I8-L1-01, I8-L1-02, I8-L1-03, …)\n" in big.body
    assert message_length(big.subject, big.body) <= MAX_MESSAGE < 1000
    assert counted(big) == (54, 54)  # nothing left out without being counted
    with Session(engine) as session:
        digest = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "digest")).first()
    assert digest is not None and "Dinas Komunikasi dan Informatika: 54 hal (I4, I8–I17, I19, I20)" in digest.body
    assert "indikator " not in digest.body.lower()  # the framework's codes, as in the reminders and the portal


def counted(message: OutboxMessage) -> tuple[int, int]:
    """(what the subject says is pending, what the list lines and '... dan N hal lainnya' account for)."""
    import re

    total = int(re.search(r"(\d+) hal belum selesai", message.subject).group(1))  # type: ignore[union-attr]
    shown = sum(int(n) for n in re.findall(r"\((\d+) indikator\): ", message.body))
    shown += sum(int(n) for n in re.findall(r": (?:.*; )?(\d+) butir ", message.body))
    shown += sum(int(n) for n in re.findall(r"; (\d+) butir ", message.body))
    more = re.search(r"dan (\d+) hal lainnya", message.body)
    return total, shown + (int(more.group(1)) if more else 0)


def item_lines(body: str) -> dict[str, str]:
    """The list's lines that name an indicator with its items: indicator code → line."""
    import re

    return {m.group(1): m.group(0) for m in re.finditer(r"^  - (I\d+) .*: .*\d+ butir .*$", body, re.M)}


def test_a_reminder_with_long_names_and_a_portal_link_shows_several_indicators(
    engine, sqlite_store_env: str, monkeypatch: pytest.MonkeyPatch
):
    """The worst case people meet: an OPD with a long name, a portal link of ~140 characters, the
    framework's long indicator names and item texts. Each indicator takes one line (its code, short name,
    how many items wait and the first codes), so several indicators fit where one item used to."""
    from spbe.settings import get_settings
    from spbe.store import models as m

    monkeypatch.setenv("SPBE_TEMPLATE_SECRET", "a-test-secret-of-enough-length")
    monkeypatch.setenv("SPBE_PORTAL_BASE_URL", "https://spbe.pekalongankota.go.id")
    get_settings.cache_clear()
    with clock.use_clock(SA_OPEN), session_scope(engine) as session:
        cycle = pemdi_cycle(session)
        opd = session.exec(select(m.Opd).where(m.Opd.cycle_id == cycle.id, m.Opd.code == "DINKOMINFO")).one()
        opd.name = "Dinas Komunikasi, Informatika, Statistik dan Persandian Kota Pekalongan"
        for number in range(4, 21):
            if number not in (5, 6, 7, 18):  # external indicators take no aim
                svc.aim_level(session, cycle=cycle, actor="adm-dinkominfo", indicator=number, level=1)
    with clock.use_clock(H_MINUS_1), session_scope(engine) as session:
        sweep(session, cycle=pemdi_cycle(session), now=H_MINUS_1)
    get_settings.cache_clear()
    big = messages(engine)["adm-dinkominfo"]
    lines = item_lines(big.body)
    assert len(lines) >= 2, big.body  # one item per line (code, level, 60-character text): one indicator at most
    assert "/masuk/" in big.body and "(daftar lengkap: tautan di bawah)" in big.body
    assert message_length(big.subject, big.body) <= MAX_MESSAGE
    assert counted(big)[0] == counted(big)[1]
    assert all(len(line) <= 100 for line in lines.values()), lines


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
    assert "  - I2 Manajemen Layanan Digital Pemerintah:\n" in notice.body  # the framework's code and short name
    assert "... dan" in sa["adm-dinkominfo"].body and len(sa["adm-dinkominfo"].body) < MAX_TEXT
    assert "1 butir menunggu penilaian Anda" in dr["asr-03"].subject and "I2-L2-01" in dr["asr-03"].body
    assert list(rev) == ["adm-bag-org"] and "Revisi diminta: 1 butir" in rev["adm-bag-org"].subject
