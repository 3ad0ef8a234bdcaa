"""Dates and times as people type them: ISO exactly, Indonesian forms through dateutil, and nothing guessed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from spbe.errors import ConfigError
from spbe.timeparse import parse_day, parse_instant, parse_local

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
JUNE_2_8AM = datetime(2025, 6, 2, 8, 0, tzinfo=WIB)


@pytest.mark.parametrize(
    "text",
    [
        "2025-06-02 08:00",
        "2025-06-02T08:00:00",
        "2 Juni 2025 08.00",
        "2 Juni 2025 08:00",
        "Senin, 2 Juni 2025 pukul 08.00",
        "2 Jun 2025 8:00",
        "02/06/2025 08:00",  # numeric dates are day-first here
        "02.06.2025 08.00",
        "2-6-2025 08:00",
        "2025/06/02 08:00",  # year first stays year-month-day
        "June 2, 2025 8am",
        datetime(2025, 6, 2, 8, 0),  # a TOML local datetime, already parsed
    ],
)
def test_the_same_moment_however_it_is_written(text):
    assert parse_local(text, tz=WIB, what="opens") == JUNE_2_8AM


def test_naive_times_are_read_in_the_cycle_zone():
    assert parse_local("2 Juni 2025 08.00", tz=WITA, what="opens") == datetime(2025, 6, 2, 8, 0, tzinfo=WITA)
    assert parse_local("2 Juni 2025 08.00", tz=WITA, what="opens").astimezone(UTC).hour == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-02-06 08:00", None),  # ISO is never day-first: 6 February
        ("06/13/2025 08:00", "a numeric date reads day/month/year"),  # dateutil would swap it silently
        ("2 Juni 25 08:00", "four digits"),
        ("Juni 2025 08:00", "write the day, month and year"),
        ("08:00", "write the day, month and year"),
        ("2 Juni 2025", "has no time of day"),
        ("Selasa, 2 Juni 2025 08.00", "2025-06-02 is a Senin, not Selasa"),
        ("31 Juni 2025 08:00", "day is out of range for month"),
        ("2 Juni 2025 24:00", "hour must be in 0..23"),
        ("besok pagi", "is not a date and time"),
        ("", "is empty"),
        ("2025-06-02 08:00 WIB", "without an offset or zone"),
        ("2025-06-02T08:00:00+07:00", "without an offset or zone"),
    ],
)
def test_nothing_is_guessed(text, message):
    if message is None:
        assert parse_local(text, tz=WIB, what="opens") == datetime(2025, 2, 6, 8, 0, tzinfo=WIB)
        return
    with pytest.raises(ConfigError, match=message) as err:
        parse_local(text, tz=WIB, what="[phases.locus] opens")
    assert str(err.value).startswith("[phases.locus] opens")


@pytest.mark.parametrize(
    "text", ["2025-12-24", "24 Desember 2025", "24/12/2025", "Rabu, 24 Des 2025", date(2025, 12, 24)]
)
def test_days(text):
    assert parse_day(text, what="extra_days_off") == date(2025, 12, 24)


@pytest.mark.parametrize(
    ("text", "message"), [("2025-12-24 08:00", "a moment, not a day"), ("Desember 2025", "in full")]
)
def test_days_refused(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_day(text, what="extra_days_off")


@pytest.mark.parametrize(
    "text",
    ["2025-09-30T16:00:00+07:00", "2025-09-30T09:00:00Z", "30 September 2025 16.00 WIB", "30 Sep 2025 17:00 WITA"],
)
def test_instants_carry_their_zone(text):
    assert parse_instant(text, what="SPBE_NOW") == datetime(2025, 9, 30, 9, 0, tzinfo=UTC)


def test_a_bare_instant_needs_a_zone_unless_one_is_given():
    with pytest.raises(ConfigError, match=r"has no UTC offset; add one, e\.g\. \+07:00 or WIB"):
        parse_instant("2025-09-30 16:00", what="SPBE_NOW")
    assert parse_instant("2025-09-30 16:00", what="x", tz=WITA) == datetime(2025, 9, 30, 8, 0, tzinfo=UTC)
    with pytest.raises(ConfigError, match="SPBE_NOW 'kemarin' is not ISO 8601"):
        parse_instant("kemarin", what="SPBE_NOW")
