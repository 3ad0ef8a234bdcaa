"""Reminder due-ness as a pure cursor: (snapshot, ledger, now) → what to queue, what to cancel."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spbe.cycle_config import load_cycle_config
from spbe.domain.reminders import (
    QueuedReminder,
    ReminderRules,
    due_messages,
    item_id,
    retry_delay,
    review_queue,
    rule_due_at,
    window_for,
    working_days_left,
)
from spbe.domain.snapshot import CycleSnapshot, IndicatorState, OpdInfo, PersonInfo, PhaseInfo
from spbe.errors import ConfigError
from tests.conftest import CYCLE_FILE

WIB = ZoneInfo("Asia/Jakarta")
CALENDAR = load_cycle_config(CYCLE_FILE).calendar
RULES = ReminderRules()
WINDOW = window_for(RULES, CALENDAR, "Asia/Jakarta")
DEADLINE = datetime(2025, 9, 30, 16, 0, tzinfo=WIB)  # Tuesday


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def snapshot(
    *,
    state: str = "open",
    deadline: datetime = DEADLINE,
    version: int = 1,
    submitted=(),
    phase="self-assessment",
    reviewed=(),
) -> CycleSnapshot:
    """Two OPDs (A owns 1-3, B owns 4), one assessor, two coordinators; `submitted` indicators have evidence."""
    indicators = tuple(
        IndicatorState(
            number=n,
            name=f"Indikator nomor {n}",
            weight="2.5",
            owner_opd="A" if n <= 3 else "B",
            assessor="asr-1",
            version=1 if n in submitted else None,
            claimed_level=3 if n in submitted else None,
            evidence=("https://bukti.example/x",) if n in submitted else (),
            verdict="accept" if n in reviewed else None,
        )
        for n in (1, 2, 3, 4)
    )
    phases = {
        name: PhaseInfo(
            name,
            name.title(),
            seq,
            state if name == phase else "closed" if seq < 3 else "pending",
            wib(2025, 9, 1, 8, 0),
            deadline,
            version,
            "auto",
            False,
        )
        for seq, name in enumerate(["locus", "socialization", "self-assessment", "document-review"])
    }
    people = {
        "adm-a": PersonInfo("adm-a", "Admin A", "admin", "A"),
        "head-a": PersonInfo("head-a", "Kepala A", "head", "A"),
        "adm-b": PersonInfo("adm-b", "Admin B", "admin", "B"),
        "head-b": PersonInfo("head-b", "Kepala B", "head", "B"),
        "asr-1": PersonInfo("asr-1", "Asesor", "assessor", "C"),
        "koord": PersonInfo("koord", "Koordinator", "coordinator", "C"),
        "koord-2": PersonInfo("koord-2", "Koordinator 2", "coordinator", "C"),
    }
    opds = {"A": OpdInfo("A", "Dinas A", "adm-a", "head-a"), "B": OpdInfo("B", "Dinas B", "adm-b", "head-b")}
    return CycleSnapshot(1, "kota-2025", 2025, "Asia/Jakarta", phases, opds, people, indicators, {}, True)


def keys(msgs):
    return {m.ledger_key for m in msgs}


def test_rule_times_follow_working_days_and_holidays():
    assert rule_due_at(DEADLINE, -7, WINDOW) == wib(2025, 9, 19, 8, 0)  # Friday, seven working days earlier
    assert rule_due_at(DEADLINE, -1, WINDOW) == wib(2025, 9, 29, 8, 0)
    assert rule_due_at(DEADLINE, 1, WINDOW) == wib(2025, 10, 1, 8, 0)
    # Friday 5 September 2025 is Maulid Nabi: H-1 of Monday the 8th is Thursday the 4th
    assert rule_due_at(wib(2025, 9, 8, 16, 0), -1, WINDOW) == wib(2025, 9, 4, 8, 0)
    assert working_days_left(DEADLINE, wib(2025, 9, 25, 9, 0), WINDOW) == 3
    assert working_days_left(DEADLINE, wib(2025, 10, 2, 9, 0), WINDOW) == -2


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (wib(2025, 9, 19, 9, 30), wib(2025, 9, 19, 9, 30)),  # inside: itself
        (wib(2025, 9, 19, 7, 59), wib(2025, 9, 19, 8, 0)),  # before opening, same day
        (wib(2025, 9, 19, 16, 0), wib(2025, 9, 22, 8, 0)),  # Friday closing → Monday
        (wib(2025, 9, 20, 11, 0), wib(2025, 9, 22, 8, 0)),  # Saturday
        (wib(2025, 9, 4, 17, 0), wib(2025, 9, 8, 8, 0)),  # Thursday evening before a Friday holiday
        (wib(2025, 8, 17, 9, 0), wib(2025, 8, 19, 8, 0)),  # Independence Day (Sun), cuti bersama Mon 18 Aug
    ],
)
def test_sending_window(at: datetime, expected: datetime):
    assert WINDOW.next_open(at) == expected
    assert WINDOW.contains(expected)


def test_nothing_due_before_time_then_one_message_per_recipient_listing_all_items():
    snap = snapshot()
    assert due_messages(snap, rules=RULES, window=WINDOW, now=wib(2025, 9, 19, 7, 59), recorded=set()) == []
    due = due_messages(snap, rules=RULES, window=WINDOW, now=wib(2025, 9, 19, 8, 0), recorded=set())
    reminders = [m for m in due if m.kind == "reminder"]
    assert {(m.recipient, m.rule) for m in reminders} == {("adm-a", "H-7"), ("adm-b", "H-7")}
    by = {m.recipient: m for m in reminders}
    assert [i.indicator for i in by["adm-a"].items] == [1, 2, 3]  # one message for three indicators
    assert by["adm-a"].message_key("kota-2025") == "kota-2025/self-assessment/H-7/v1/adm-a"
    assert {m.recipient for m in due if m.kind == "digest"} == {"koord", "koord-2"}
    # the cursor moved: the same state and the ledger give nothing more
    again = due_messages(snap, rules=RULES, window=WINDOW, now=wib(2025, 9, 19, 8, 5), recorded=keys(due))
    assert again == []


def test_a_missed_sweep_catches_up_with_the_latest_rule_only():
    snap = snapshot()
    due = due_messages(snap, rules=RULES, window=WINDOW, now=wib(2025, 9, 29, 10, 0), recorded=set())
    assert {m.rule for m in due if m.kind == "reminder"} == {"H-1"}
    # already told H-1: nothing; H-7 and H-3 never come back
    later = due_messages(snap, rules=RULES, window=WINDOW, now=wib(2025, 9, 29, 15, 0), recorded=keys(due))
    assert later == []


def test_due_outside_the_window_waits_for_the_next_one():
    snap = snapshot()
    saturday = wib(2025, 9, 27, 10, 0)  # H-3 was due Thursday 25th; the server was off until Saturday
    due = due_messages(snap, rules=RULES, window=WINDOW, now=saturday, recorded=set())
    assert {m.rule for m in due} == {"H-3"}  # no digest on a day off
    assert all(m.send_after == wib(2025, 9, 29, 8, 0) for m in due)


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2025, 9, 1), max_value=datetime(2025, 10, 20), timezones=st.just(UTC)))
def test_every_message_leaves_inside_the_window_never_before_due(now: datetime):
    for msg in due_messages(snapshot(), rules=RULES, window=WINDOW, now=now, recorded=set()):
        assert WINDOW.contains(msg.send_after)
        assert msg.send_after >= msg.due_at and msg.due_at <= now
        local = msg.send_after.astimezone(WIB)
        assert CALENDAR.is_working_day(local.date()) and time(8) <= local.time() < time(16)


def test_escalation_goes_to_the_head_for_what_the_opd_owes():
    snap = snapshot(phase="document-review", submitted=(1, 2, 3, 4))
    snap = replace(snap, indicators=(*snap.indicators[:3], replace(snap.indicators[3], version=None)))
    now = wib(2025, 10, 3, 9, 0)  # H+3
    due = due_messages(snap, rules=RULES, window=WINDOW, now=now, recorded=set())
    assert {(m.kind, m.recipient) for m in due if m.kind != "digest"} == {("reminder", "asr-1")}  # reviews only
    sa = snapshot(submitted=(1,))
    due = due_messages(sa, rules=RULES, window=WINDOW, now=now, recorded=set())
    esc = {m.recipient: m for m in due if m.kind == "escalation"}
    assert set(esc) == {"head-a", "head-b"} and esc["head-a"].rule == "eskalasi-H+3"
    assert [i.indicator for i in esc["head-a"].items] == [2, 3]
    h2 = due_messages(sa, rules=RULES, window=WINDOW, now=wib(2025, 10, 2, 9, 0), recorded=set())
    assert h2 and "escalation" not in {m.kind for m in h2}  # H+2: not yet


def test_digest_once_a_working_day_inside_the_window():
    snap = snapshot()
    monday = due_messages(snap, rules=RULES, window=WINDOW, now=wib(2025, 9, 22, 8, 1), recorded=set())
    digests = [m for m in monday if m.kind == "digest"]
    assert {m.period for m in digests} == {"2025-09-22"} and len(digests) == 2
    assert not [
        m
        for m in due_messages(snap, rules=RULES, window=WINDOW, now=wib(2025, 9, 22, 16, 30), recorded=set())
        if m.kind == "digest"
    ]
    no_digest = replace(RULES, digest=False)
    assert not [
        m
        for m in due_messages(snap, rules=no_digest, window=WINDOW, now=wib(2025, 9, 22, 9, 0), recorded=set())
        if m.kind == "digest"
    ]
    closed = snapshot(state="closed")
    assert due_messages(closed, rules=RULES, window=WINDOW, now=wib(2025, 9, 22, 9, 0), recorded=set()) == []


def _queued(msg, outbox_id: int) -> QueuedReminder:
    return QueuedReminder(
        outbox_id,
        msg.kind,
        msg.phase,
        msg.rule,
        msg.recipient,
        msg.deadline_version,
        tuple(msg.item_ids),
        msg.period,
        msg.opd,
    )


def test_extended_deadline_cancels_the_old_and_follows_the_new_date():
    snap = snapshot()
    h3 = [
        m
        for m in due_messages(snap, rules=RULES, window=WINDOW, now=wib(2025, 9, 25, 8, 0), recorded=set())
        if m.kind == "reminder"
    ]
    queued = [_queued(m, i) for i, m in enumerate(h3, 1)]
    moved = snapshot(deadline=wib(2025, 10, 7, 16, 0), version=2)  # extended by five working days
    now = wib(2025, 9, 25, 9, 0)
    decisions = review_queue(moved, queued, window=WINDOW, now=now)
    assert {(d.outbox_id, d.action, d.reason) for d in decisions} == {
        (1, "cancel", "deadline_moved"),
        (2, "cancel", "deadline_moved"),
    }
    due = due_messages(moved, rules=RULES, window=WINDOW, now=now, recorded=keys(h3))
    assert [m for m in due if m.kind == "reminder"] == []  # the new date's H-7 is Friday 26 September
    due = due_messages(moved, rules=RULES, window=WINDOW, now=wib(2025, 9, 26, 8, 0), recorded=keys(h3))
    assert {(m.rule, m.deadline_version) for m in due if m.kind == "reminder"} == {("H-7", 2)}
    due = due_messages(moved, rules=RULES, window=WINDOW, now=wib(2025, 10, 2, 8, 0), recorded=keys(h3))
    assert {(m.rule, m.deadline_version) for m in due if m.kind == "reminder"} == {("H-3", 2)}


def test_resolved_items_cancel_or_shrink_the_queued_reminder():
    snap = snapshot()
    now = wib(2025, 9, 25, 8, 0)
    h3 = {
        m.recipient: m
        for m in due_messages(snap, rules=RULES, window=WINDOW, now=now, recorded=set())
        if m.kind == "reminder"
    }
    queued = [_queued(h3["adm-a"], 1), _queued(h3["adm-b"], 2)]
    later = snapshot(submitted=(1, 4))  # B submitted its only item, A one of three
    decisions = {d.outbox_id: d for d in review_queue(later, queued, window=WINDOW, now=now + timedelta(minutes=5))}
    assert decisions[2].action == "cancel" and decisions[2].reason == "resolved"
    assert decisions[1].action == "refresh" and [i.indicator for i in decisions[1].items] == [2, 3]
    assert review_queue(snap, queued, window=WINDOW, now=now) == []  # nothing changed: nothing to do
    # the next sweep has no reminder for B at all
    due = due_messages(later, rules=RULES, window=WINDOW, now=wib(2025, 9, 29, 8, 0), recorded=set())
    assert "adm-b" not in {m.recipient for m in due}


def test_newer_rule_supersedes_a_queued_older_one_and_closing_cancels():
    snap = snapshot()
    h7 = [
        m
        for m in due_messages(snap, rules=RULES, window=WINDOW, now=wib(2025, 9, 19, 17, 0), recorded=set())
        if m.kind == "reminder"
    ]
    queued = [_queued(m, i) for i, m in enumerate(h7, 1)]
    now = wib(2025, 9, 25, 9, 0)
    due = due_messages(snap, rules=RULES, window=WINDOW, now=now, recorded=keys(h7))
    decisions = review_queue(snap, queued, window=WINDOW, now=now, due=due)
    assert {d.reason for d in decisions} == {"superseded"} and len(decisions) == 2
    closed = snapshot(state="closed")
    assert {d.reason for d in review_queue(closed, queued, window=WINDOW, now=now)} == {"phase_closed"}


def test_item_ids_name_the_item_not_the_sweep():
    """The same outstanding item keeps its id from one sweep to the next (H-7, then H-3 with another item
    done meanwhile) and through a reworded text; different items never share one."""
    week_before = due_messages(snapshot(), rules=RULES, window=WINDOW, now=wib(2025, 9, 19, 9, 0), recorded=set())
    days_before = due_messages(
        snapshot(submitted=(2,)), rules=RULES, window=WINDOW, now=wib(2025, 9, 25, 9, 0), recorded=set()
    )
    first = next(m for m in week_before if m.recipient == "adm-a" and m.kind == "reminder")
    later = next(m for m in days_before if m.recipient == "adm-a" and m.kind == "reminder")
    assert (first.rule, later.rule) == ("H-7", "H-3")
    assert first.item_ids == ["missing_submission:1:A:", "missing_submission:2:A:", "missing_submission:3:A:"]
    assert later.item_ids == [first.item_ids[0], first.item_ids[2]]  # 2 was submitted; 1 and 3 are the same items
    item = first.items[0]
    assert item_id(replace(item, text="Indikator 1 masih kosong")) == item_id(item)
    others = [replace(item, indicator=2), replace(item, opd="B"), replace(item, person="p"), replace(item, kind="x")]
    assert len({item_id(i) for i in [item, *others]}) == 5


def test_rules_from_config_and_their_errors():
    assert ReminderRules.from_section({}) == ReminderRules()
    rules = ReminderRules.from_section({"offsets": [1, -3, -3], "escalate_from": 0, "send_from": "07:30"})
    assert rules.offsets == (-3, 1) and rules.escalate_from is None and rules.send_from == time(7, 30)
    with pytest.raises(ConfigError) as err:
        ReminderRules.from_section(
            {"offsets": "H-7", "send_from": "8am", "send_until": "07:00", "max_attempts": 0, "escalate_from": -2}
        )
    text = str(err.value)
    for field in ("offsets", "send_from", "max_attempts", "escalate_from"):
        assert f"[reminders] {field}" in text
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) \['ofsets'\]"):
        ReminderRules.from_section({"ofsets": [-3]})


def test_retry_delay_honours_retry_after_and_backs_off():
    assert retry_delay(1, RULES, retry_after=7, jitter=0) == 7
    assert 7 <= retry_delay(1, RULES, retry_after=7, jitter=0.99) < 7.7
    assert retry_delay(1, RULES, retry_after=None, jitter=0) == 30
    assert retry_delay(3, RULES, retry_after=None, jitter=0.999) <= 240
    assert retry_delay(30, RULES, retry_after=None, jitter=0.999) <= RULES.retry_max_seconds
    assert retry_delay(1, RULES, retry_after=10**6, jitter=0) == RULES.retry_max_seconds
