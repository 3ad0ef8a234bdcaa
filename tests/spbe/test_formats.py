"""Numbers and times as a person reads them: Babel's `id` locale, the cycle's own zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest
from jinja2 import Environment

from spbe.formats import (
    date_text,
    datetime_text,
    framework_name,
    install,
    number_text,
    percent_text,
    time_text,
)
from spbe.frameworks import load_framework
from spbe.i18n import use_language

OPENS = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)  # 08.00 in Jakarta


@pytest.mark.parametrize(
    ("zone", "text"),
    [
        ("Asia/Jakarta", "Senin, 2 Juni 2025 pukul 08.00 WIB"),
        ("Asia/Makassar", "Senin, 2 Juni 2025 pukul 09.00 WITA"),
        ("Asia/Jayapura", "Senin, 2 Juni 2025 pukul 10.00 WIT"),
        ("Asia/Pontianak", "Senin, 2 Juni 2025 pukul 08.00 WIB"),
        ("UTC", "Senin, 2 Juni 2025 pukul 01.00 UTC"),
    ],
)
def test_an_instant_reads_on_the_clock_of_the_zone(zone: str, text: str):
    assert datetime_text(OPENS, zone) == text


def test_the_instant_is_converted_whatever_zone_it_carries():
    typed = OPENS.astimezone(timezone(timedelta(hours=-5)))
    assert datetime_text(typed, "Asia/Jakarta") == "Senin, 2 Juni 2025 pukul 08.00 WIB"
    assert datetime_text(OPENS, timezone(timedelta(hours=7))) == "Senin, 2 Juni 2025 pukul 08.00 WIB"
    late = datetime(2025, 9, 30, 17, 30, tzinfo=UTC)  # already 1 October in Jakarta
    assert date_text(late, "Asia/Jakarta") == "Rabu, 1 Oktober 2025"
    assert time_text(late, "Asia/Jakarta") == "00.30 WIB"


def test_dates_without_an_instant():
    assert date_text(date(2025, 8, 17)) == "Minggu, 17 Agustus 2025"
    assert date_text(date(2025, 8, 17), weekday=False) == "17 Agustus 2025"
    with pytest.raises(ValueError):
        date_text(OPENS)


def test_english_is_english():
    with use_language("en"):
        assert datetime_text(OPENS, "Asia/Jakarta") == "Monday, 2 June 2025 at 08:00 WIB"
        assert number_text(Decimal("1234.5")) == "1,234.50"
        assert percent_text(Decimal("0.255")) == "25.5%"


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (Decimal("3.65"), 2, "3,65"),
        (Decimal("3.645"), 2, "3,65"),  # half up, as the ministry rounds (Babel alone rounds half-even)
        (Decimal("-0.125"), 2, "-0,13"),
        (Fraction(4195, 1000), 2, "4,20"),
        (Fraction(1, 3), 3, "0,333"),
        (1234567, 0, "1.234.567"),
        (2.675, 2, "2,68"),  # the float as written, not 2.67499999...
        (Decimal("4"), 2, "4,00"),
    ],
)
def test_numbers(value, places: int, text: str):
    assert number_text(value, places) == text


@pytest.mark.parametrize(
    ("ratio", "places", "text"),
    [(Decimal("0.255"), 1, "25,5%"), (Fraction(43, 47), 1, "91,5%"), (1, 0, "100%"), (Decimal("0.0005"), 1, "0,1%")],
)
def test_percentages(ratio, places: int, text: str):
    assert percent_text(ratio, places) == text


def test_a_framework_is_shown_by_its_name():
    assert framework_name(load_framework("permenpanrb-59-2020")).startswith("PermenPANRB No. 59 Tahun 2020")


def test_templates_get_the_filters_and_the_catalog():
    env = install(Environment())
    page = env.from_string(
        "{{ t | waktu('Asia/Makassar') }}|{{ t | tanggal('Asia/Jakarta') }}|{{ v | angka }}|{{ r | persen }}|"
        "{{ _('{name} (UNVERIFIED)') }}"
    )
    with use_language("id"):
        assert page.render(t=OPENS, v=Decimal("3.65"), r=Decimal("0.255"), name="x") == (
            "Senin, 2 Juni 2025 pukul 09.00 WITA|Senin, 2 Juni 2025|3,65|25,5%|{name} (BELUM TERVERIFIKASI)"
        )
