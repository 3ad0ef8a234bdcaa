"""The ministry's stages: optional phases after the internal six, parsed and ordered, gated by what the
city records of them (the export, interviu outcomes, the visit's date, the official result)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spbe.cycle_config import load_cycle_config
from spbe.domain.gates import evaluate
from spbe.domain.phases import ALL_PHASES, MINISTRY_STAGES, PHASES, phase_index
from spbe.domain.snapshot import MinistryState, PhaseInfo, UploadedItem
from spbe.errors import ConfigError
from tests.conftest import ROOT
from tests.utils.snapshots import DEADLINE, make_snapshot

CYCLE_2026 = ROOT / "config" / "pekalongan-2026.toml"
BEFORE = DEADLINE - timedelta(days=1)
AFTER = DEADLINE + timedelta(minutes=1)


def _with_stages(ministry: MinistryState, *, visit_event: dict | None = None):
    snap = make_snapshot()
    phases = dict(snap.phases)
    for seq, name in enumerate(MINISTRY_STAGES, start=len(PHASES)):
        extra = {"event": visit_event} if name == "ministry-visit" and visit_event else {}
        phases[name] = PhaseInfo(
            name, name, seq, "open", datetime(2025, 6, 1, tzinfo=UTC), DEADLINE, 1, "auto", False, extra
        )
    return replace(snap, phases=phases, ministry=ministry)


def test_stages_follow_the_internal_phases():
    assert ALL_PHASES[: len(PHASES)] == PHASES and ALL_PHASES[len(PHASES) :] == MINISTRY_STAGES
    assert phase_index("ministry-result") == len(ALL_PHASES) - 1


def test_the_2026_file_has_the_ministry_stages_in_order():
    names = [p.name for p in load_cycle_config(CYCLE_2026).phases]
    assert names == list(ALL_PHASES)


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = CYCLE_2026.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "cycle.toml"
    path.write_text(
        text.replace(old, new, 1).replace(
            'roster = "roster/pekalongan"', f'roster = "{CYCLE_2026.parent / "roster/pekalongan"}"'
        ),
        encoding="utf-8",
    )
    return path


def test_stages_are_optional(tmp_path: Path):
    text = CYCLE_2026.read_text(encoding="utf-8")
    cut = text.index("[phases.ministry-upload]")
    path = tmp_path / "cycle.toml"
    path.write_text(text[:cut], encoding="utf-8")
    assert [p.name for p in load_cycle_config(path).phases] == list(PHASES)


def test_internal_review_after_the_upload_deadline_is_refused(tmp_path: Path):
    path = _variant(tmp_path, 'deadline = "2026-09-15 16:00"', 'deadline = "2026-09-02 16:00"')
    with pytest.raises(ConfigError) as caught:
        load_cycle_config(path)
    assert "[phases.final-report] deadline 2026-09-04 16:00 is not before the ministry's upload deadline" in str(
        caught.value
    )


def test_an_unknown_stage_is_named(tmp_path: Path):
    path = _variant(tmp_path, "[phases.ministry-visit]", "[phases.ministry-party]")
    with pytest.raises(ConfigError, match="unknown phase"):
        load_cycle_config(path)


def test_upload_gate_wants_an_export_newer_than_the_last_review():
    t = datetime(2025, 9, 1, tzinfo=UTC)
    missing = evaluate(_with_stages(MinistryState()), "ministry-upload", BEFORE)
    assert not missing.met and [o.kind for o in missing.outstanding] == ["export_missing"]
    assert missing.outstanding[0].person == "koordinator"
    stale = evaluate(
        _with_stages(MinistryState(export_at=t, last_review_at=t + timedelta(hours=1))), "ministry-upload", BEFORE
    )
    assert [o.kind for o in stale.outstanding] == ["export_stale"]
    fresh = evaluate(
        _with_stages(MinistryState(export_at=t + timedelta(hours=2), last_review_at=t)), "ministry-upload", BEFORE
    )
    assert fresh.met and fresh.done == fresh.total == 1


def test_interview_gate_lists_uploaded_items_without_an_outcome_until_the_deadline():
    ms = MinistryState(uploaded=(UploadedItem("I1-L1-01", 1, "A", "diterima"), UploadedItem("I2-L1-01", 2, "B")))
    gate = evaluate(_with_stages(ms), "ministry-interview", BEFORE)
    assert not gate.met and [(o.kind, o.item, o.opd) for o in gate.outstanding] == [
        ("awaiting_interview_outcome", "I2-L1-01", "B")
    ]
    assert (gate.done, gate.total) == (1, 2)
    late = evaluate(_with_stages(ms), "ministry-interview", AFTER)
    assert late.met and late.notes == ("after the deadline: item I2-L1-01: no interviu outcome recorded",)


def test_visit_gate_wants_a_date_and_result_gate_the_official_result():
    assert not evaluate(_with_stages(MinistryState()), "ministry-visit", BEFORE).met
    assert evaluate(
        _with_stages(MinistryState(), visit_event={"when": "2025-10-14 09:00"}), "ministry-visit", BEFORE
    ).met
    assert [o.kind for o in evaluate(_with_stages(MinistryState()), "ministry-result", BEFORE).outstanding] == [
        "official_result_missing"
    ]
    assert evaluate(_with_stages(MinistryState(result_recorded=True)), "ministry-result", BEFORE).met
