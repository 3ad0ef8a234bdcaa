"""Every message a person receives fits a WhatsApp message (under 1,000 characters), over a whole simulated
year in the worst case: nobody answers anything, so every reminder, escalation and digest lists all it can.
A list that does not fit is summarised ("... dan N hal lainnya") and says where the full list is; it is
never cut without saying so."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from spbe import clock
from spbe.messages import MAX_MESSAGE, fitted, message_length
from spbe.services.cycles import current_cycle
from spbe.services.opening_work import OPENING_WORK
from spbe.services.people import TIMEKEEPER
from spbe.services.phases import check_gate, open_phase
from spbe.services.reminders import sweep
from spbe.store import models as m
from spbe.store.db import session_scope
from spbe.store.tables_reminders import OutboxMessage
from tests.utils.pemdi import pemdi_store
from tests.utils.store import loaded_store

WHATSAPP = 1000


def live_year(engine, zone: str = "Asia/Jakarta") -> list[OutboxMessage]:
    """Open each phase when it opens, sweep at 09:00 on every day it runs and a week past its deadline,
    let the timekeeper judge the deadline, then close it and go on: every message the year queues."""
    tz = ZoneInfo(zone)
    with Session(engine) as session:
        phases = [(p.name, p.opens_at, p.deadline_at) for p in session.exec(select(m.Phase).order_by(m.Phase.seq))]
    for name, opens, deadline in phases:
        with clock.use_clock(opens), session_scope(engine) as session:
            cycle = current_cycle(session)
            open_phase(
                session, cycle=cycle, name=name, actor=TIMEKEEPER, now=opens, opening_work=OPENING_WORK.get(name)
            )
        day = opens.astimezone(tz).date()
        while day <= (deadline + timedelta(days=7)).astimezone(tz).date():
            now = datetime.combine(day, time(9, 0), tzinfo=tz)
            with clock.use_clock(now), session_scope(engine) as session:
                cycle = current_cycle(session)
                if now > deadline:
                    check_gate(session, cycle=cycle, name=name, now=now, actor=TIMEKEEPER)
                sweep(session, cycle=cycle, now=now)
            day += timedelta(days=1)
        with session_scope(engine) as session:
            phase = session.exec(select(m.Phase).where(m.Phase.name == name)).one()
            phase.state = "closed"
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage)))


def assert_fits(messages: list[OutboxMessage]) -> None:
    kinds = {o.kind for o in messages}
    assert {"notice", "reminder", "digest"} <= kinds, kinds
    sizes = [(message_length(o.subject, o.body), o.key) for o in messages]
    too_long = sorted(((n, key) for n, key in sizes if n >= WHATSAPP), reverse=True)
    assert not too_long, f"{len(too_long)} of {len(messages)} messages reach 1,000 characters: {too_long[:5]}"
    for o in messages:
        summarised = re.search(r"dan \d+ (\w+ )?lainnya", o.body)
        if summarised:  # the rest is counted and the full list is named
            assert "daftar lengkap" in o.body.lower(), o.key


def test_the_limit_is_under_1000_characters_with_the_subject():
    assert MAX_MESSAGE < WHATSAPP and message_length("s", "b") == 6  # '*s*', a blank line, 'b'


def test_every_message_of_an_unanswered_2025_year_fits(sqlite_store_env: str):
    messages = live_year(loaded_store(sqlite_store_env))
    assert_fits(messages)
    assert any(o.kind == "escalation" for o in messages)
    assert any("hal lainnya" in o.body for o in messages), "the worst OPD's list must have been summarised"
    assert any(re.search(r"Indikator \d+ ", o.body) for o in messages if o.kind == "reminder")  # 59/2020's way
    assert not [o.key for o in messages if re.search(r"\bI\d+\b", o.subject + o.body)]  # no Pemdi codes


def test_every_message_of_an_unanswered_items_year_fits(sqlite_store_env: str, tmp_path: Path):
    """Pemdi 2026: an OPD owes dozens of items, each with its code, level and text. Each indicator takes
    one line (code, short name, how many items wait, the first codes), so the worst OPD's reminder names
    many indicators, not the one or two items that fitted when each item had its own line."""
    messages = live_year(pemdi_store(sqlite_store_env, tmp_path, phase=None))
    assert_fits(messages)
    assert any("hal lainnya" in o.body for o in messages)
    # Pemdi names its indicators I1..I20 in reminders, notices and digests alike, never "Indikator 4"
    assert not [o.key for o in messages if re.search(r"indikator \d|indikator I\d", o.subject + o.body, re.I)]
    reminders = [o for o in messages if o.kind == "reminder" and "/self-assessment/" in o.key]
    lines = [set(re.findall(r"^  - (I\d+) .*: .*\d+ butir ", o.body, re.M)) for o in reminders]
    assert max(len(shown) for shown in lines) >= 2, "the worst OPD's reminder lists several indicators' items"
    assert any(re.search(r"^  - I\d+[,–].* \(\d+ indikator\): tingkat sasaran", o.body, re.M) for o in reminders)


def test_fitted_lists_as_many_as_fit_and_counts_the_rest():
    def listing(items: list[str]):
        def render(listed: int) -> tuple[str, str]:
            more = len(items) - listed
            return "s", "\n".join(items[:listed]) + (
                f"\n... dan {more} hal lainnya (daftar lengkap: ...)" if more else ""
            )

        return render

    items = [f"butir {n}: " + "x" * 80 for n in range(40)]
    body = fitted(listing(items), total=len(items))[1]
    listed = body.count("butir ")
    assert message_length("s", body) <= MAX_MESSAGE and f"dan {len(items) - listed} hal lainnya" in body
    one_more = "\n".join(items[: listed + 1]) + f"\n... dan {len(items) - listed - 1} hal lainnya (daftar lengkap: ...)"
    assert message_length("s", one_more) > MAX_MESSAGE  # the most that fit, not merely some
    assert fitted(listing(items[:3]), total=3)[1].count("butir ") == 3  # a short list is left whole
    assert fitted(listing(items), total=len(items), most=4)[1].count("butir ") == 4


@settings(max_examples=300, deadline=None)
@given(
    widths=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=60),
    head=st.integers(min_value=0, max_value=1200),
    most=st.one_of(st.none(), st.integers(min_value=1, max_value=60)),
)
def test_fitted_finds_what_a_line_by_line_scan_finds(widths, head, most):
    """Lines of any lengths, a head of any size: the probes (an estimate, its neighbour, then bisection)
    land where listing one line more at a time would, and render far fewer times."""
    calls = []

    def listing(listed: int) -> tuple[str, str]:
        calls.append(listed)
        more = len(widths) - listed
        return "s", "h" * head + "".join("x" * w for w in widths[:listed]) + (f" dan {more} lainnya" if more else "")

    high = len(widths) if most is None else min(len(widths), most)
    scan = 1
    while scan < high and message_length(*listing(scan + 1)) <= MAX_MESSAGE:
        scan += 1
    calls.clear()
    got = fitted(listing, total=len(widths), most=most)
    renders = len(calls)
    assert got == listing(scan if message_length(*listing(high)) > MAX_MESSAGE else high)
    assert renders <= 2 + 2 + max(high, 1).bit_length()
