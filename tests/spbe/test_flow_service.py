"""A command hands its flow run to the engine of its data directory (spbe/flow_service.py) and prints what
comes back as if it had run it; a command with other settings, or no engine, runs the flow itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.utils.cli import run_spbe


@pytest.fixture
def engine(prefect_harness, sqlite_store_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An engine in this process, on the session's Prefect harness, for a loaded store."""
    from prefect.settings import PREFECT_API_URL

    from spbe.flow_service import FlowService
    from spbe.settings import get_settings

    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    monkeypatch.setenv("SPBE_NOW", "2025-06-10T09:00:00+07:00")
    get_settings.cache_clear()
    env = {
        "SPBE_DATA_DIR": str(get_settings().data_dir),
        "SPBE_DATABASE_URL": sqlite_store_env,
        "SPBE_NOW": "2025-06-10T09:00:00+07:00",
        "PREFECT_API_URL": PREFECT_API_URL.value(),
    }
    assert run_spbe("init", env=env).code == 0
    service = FlowService(get_settings().data_dir, background=False, settings=get_settings()).start()
    yield service, env
    service.close()


def test_a_phase_command_runs_in_the_engine_and_its_refusal_comes_back_typed(engine):
    service, env = engine
    calls: list[dict] = []
    original = service.run
    service.run = lambda body: calls.append(body) or original(body)  # what reached the engine

    opened = run_spbe("phase", "open", "locus", "--json", env=env)
    assert opened.code == 0, opened.err
    assert json.loads(opened.out)["flow_run_id"] and calls[-1]["target"] == "phase:open:locus"
    unmet = run_spbe("phase", "close", "locus", env=env)  # the decree is not approved: the gate says no
    assert unmet.code == 2 and "flow run" in unmet.err and len(calls) == 2, unmet.err
    status = json.loads(run_spbe("status", "--json", env=env).out)
    assert status["phases"][0]["state"] == "open"


def test_other_settings_run_the_flow_in_their_own_process(engine):
    service, env = engine
    calls: list[dict] = []
    original = service.run
    service.run = lambda body: calls.append(body) or original(body)
    other_clock = {**env, "SPBE_NOW": "2025-06-11T09:00:00+07:00"}
    opened = run_spbe("phase", "open", "locus", "--json", env=other_clock)
    assert opened.code == 0 and json.loads(opened.out)["flow_run_id"], opened.err
    assert calls == []


def test_a_typed_error_keeps_its_class_message_and_run(tmp_path: Path):
    from spbe.errors import RefusedError, StoreUnavailable
    from spbe.flow_client import describe_error, rebuild_error

    for exc in (RefusedError("phase locus is pending"), StoreUnavailable("penyimpanan tidak tersedia")):
        exc.flow_run_id, exc.ui_url = "run-1", "http://127.0.0.1:1/runs/flow-run/run-1"
        back = rebuild_error(json.loads(json.dumps(describe_error(exc))))
        assert type(back) is type(exc) and str(back) == str(exc) and back.exit_code == exc.exit_code
        assert (back.flow_run_id, back.ui_url) == (exc.flow_run_id, exc.ui_url)


def test_a_stale_note_of_a_dead_engine_is_ignored(tmp_path: Path):
    from spbe.flow_client import INFO_FILE, read_info

    (tmp_path / INFO_FILE).write_text(json.dumps({"pid": 2**22 + 7, "port": 9, "token": "x"}), encoding="utf-8")
    assert read_info(tmp_path) is None


def test_read_commands_are_answered_by_the_engine_as_they_would_be_here(engine, monkeypatch: pytest.MonkeyPatch):
    """`status`, `audit` and `timeline` get their answer from the engine (no SQLAlchemy import in the command's
    process): the same text, the caller's actor and its refusal; help pages and file arguments stay local."""
    import spbe.flow_service as fs
    from spbe.cli.main import main

    service, env = engine
    monkeypatch.setattr(fs, "_command_line", None)
    fs.answer_commands_with(main)
    calls: list[dict] = []
    original = service.command
    service.command = lambda body: calls.append(body) or original(body)

    answered = {args: run_spbe(*args, env=env) for args in (("status",), ("audit", "--limit", "3"), ("timeline",))}
    assert [c["argv"][0] for c in calls] == ["status", "audit", "timeline"]
    assert calls[0]["actor"] == "koordinator"  # the command's own actor (SPBE_ACTOR), not the engine's
    stranger = run_spbe("status", "--as", "orang-asing", env={**env, "SPBE_ACTOR": "orang-asing"})
    assert stranger.code == 2 and "'orang-asing' tidak ada di roster" in stranger.err and len(calls) == 4
    local = [run_spbe("status", "--help", env=env), run_spbe("timeline", "--config", "x.toml", env=env)]
    assert len(calls) == 4 and local[0].code == 0 and local[1].code != 0
    profiled = run_spbe("status", env={**env, "PYTHONPROFILEIMPORTTIME": "1"})  # each import, on stderr
    assert profiled.code == 0 and "spbe.flow_client" in profiled.err and "sqlalchemy" not in profiled.err
    english = run_spbe("status", env={**env, "SPBE_LANG": "en"})  # another language: the command answers itself
    assert english.code == 0 and "phase" in english.out and len(calls) == 6

    service.close()  # no engine: the same commands answer themselves, with the same text
    for args, result in answered.items():
        here = run_spbe(*args, env=env)
        assert result.code == here.code == 0, (args, result.err, here.err)
        assert result.out == here.out and result.err == here.err, args
