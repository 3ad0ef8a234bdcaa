"""The role checks every door calls (CLI, flows, a future portal): who may take which template, read
which thread, load a roster; a stranger is refused by name, and the timekeeper cannot be typed."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from spbe.errors import RefusedError
from spbe.services.cycles import current_cycle, load_config_files
from spbe.services.people import (
    TIMEKEEPER,
    require_coordinator,
    require_coordinator_in,
    require_coordinator_or_timekeeper,
    require_indicator_reader,
    require_person,
    require_role,
    require_template_issuer,
)
from tests.conftest import CYCLE_FILE
from tests.utils.intake import loaded_store


@pytest.fixture
def door(sqlite_url):
    engine = loaded_store(sqlite_url)  # indicator 1 (DINKOMINFO) assessed by asr-03, 12 (BAPPERIDA) by asr-01
    with Session(engine) as session:
        yield session, current_cycle(session)


def test_a_stranger_and_the_typed_timekeeper_are_refused_by_name(door):
    session, cycle = door
    for who in ("mallory", "system:timekeeper", TIMEKEEPER):
        with pytest.raises(RefusedError, match=f"'{who}' tidak ada di roster siklus pekalongan-2025"):
            require_person(session, cycle, who, doing="melihat status")
    require_coordinator_or_timekeeper(session, cycle, TIMEKEEPER, doing="x")  # the object, passed by code
    with pytest.raises(RefusedError, match="'system:timekeeper' tidak ada di roster"):
        require_coordinator_or_timekeeper(session, cycle, "system:timekeeper", doing="x")  # the string
    with pytest.raises(RefusedError, match="'asr-03' berperan sebagai asesor"):
        require_coordinator(session, cycle, "asr-03", doing="x")
    assert require_role(session, cycle, "sekda", roles=("coordinator", "leadership"), doing="x").key == "sekda"
    with pytest.raises(RefusedError, match="berperan sebagai admin SPBE perangkat daerah"):
        require_role(session, cycle, "adm-bapperida", roles=("coordinator", "leadership"), doing="x")


@pytest.mark.parametrize(
    ("actor", "kind", "subject", "allowed"),
    [
        ("adm-bapperida", "opd", "BAPPERIDA", True),
        ("koordinator", "opd", "BAPPERIDA", True),
        ("adm-dinkominfo", "opd", "BAPPERIDA", False),  # another OPD's claims
        ("asr-01", "assessor", "asr-01", True),
        ("koordinator-2", "assessor", "asr-01", True),
        ("adm-bapperida", "assessor", "asr-01", False),  # an assessor's review queue: other OPDs' claims
        ("asr-03", "assessor", "asr-01", False),
        ("sekda", "opd", "BAPPERIDA", False),
    ],
)
def test_who_takes_which_template(door, actor, kind, subject, allowed):
    session, cycle = door
    if allowed:
        assert require_template_issuer(session, cycle, actor, kind=kind, subject=subject).key == actor
    else:
        word = {"opd": "OPD", "assessor": "asesor"}[kind]
        with pytest.raises(RefusedError, match=f"'{actor}' .* tidak boleh mengambil template {word} {subject}"):
            require_template_issuer(session, cycle, actor, kind=kind, subject=subject)


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        ("koordinator", True),
        ("walikota", True),
        ("adm-dinkominfo", True),  # the owning OPD's admin ...
        ("head-dinkominfo", True),  # ... and head
        ("asr-03", True),  # its assessor
        ("asr-01", False),  # another indicator's assessor
        ("adm-bapperida", False),  # another OPD
    ],
)
def test_who_reads_an_indicators_thread(door, actor, allowed):
    session, cycle = door
    if allowed:
        require_indicator_reader(session, cycle, actor, indicator=1)
    else:
        with pytest.raises(RefusedError, match="tidak boleh membaca utas indikator 1"):
            require_indicator_reader(session, cycle, actor, indicator=1)


def test_only_a_coordinator_of_the_roster_being_loaded_loads_it():
    _, roster = load_config_files(CYCLE_FILE)
    require_coordinator_in(roster, "koordinator", doing="memuat siklus")
    with pytest.raises(RefusedError, match="'asr-01' bukan koordinator"):
        require_coordinator_in(roster, "asr-01", doing="memuat siklus")
    with pytest.raises(RefusedError, match="'root' tidak ada di roster"):
        require_coordinator_in(roster, "root", doing="memuat siklus")
