"""`spbe serve` for a real year: deployments served, the timekeeper triggering them with idempotency keys,
a gate approval given through the Prefect input form, a clean SIGTERM, and a restart without duplicates."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from spbe.prefect_server import start_local_server
from spbe.serving import TIMEKEEPER_DEPLOYMENT, frozen_clock_notice
from tests.utils.cli import SPBE, run_spbe


def _spawn_serve(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(SPBE), "serve", "--every", "5"],
        env={**os.environ, **env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("spbe serve did not stop within 60 s of SIGTERM")


def _children(pid: int) -> list[str]:
    """Processes started by `spbe serve` (the flow runs it executes)."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return found.stdout.split()


def _resume(api: httpx.Client, run_id: str, decision: dict) -> httpx.Response | None:
    """POST the form's answer; a busy SQLite-backed server may answer 503 under load: ask again."""
    answer = api.post(f"/flow_runs/{run_id}/resume", json=decision)
    return None if answer.status_code >= 500 else answer


def _check_runs(api: httpx.Client) -> list[dict]:
    """The timekeeper's gate checks of locus: runs of its own deployment (no actor in its form)."""
    deployment = api.get(f"/deployments/name/{TIMEKEEPER_DEPLOYMENT}")
    if deployment.status_code != 200:
        return []
    runs = api.post(
        "/flow_runs/filter", json={"flow_runs": {"deployment_id": {"any_": [deployment.json()["id"]]}}}
    ).json()
    return [r for r in runs if r["parameters"] == {"kind": "check", "phase": "locus"}]


def _wait(predicate, what: str, timeout: float = 180, explain=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}\n{explain()}")


def test_serve_asks_for_approval_in_the_ui_and_restarts_without_duplicates(tmp_path: Path):
    server = start_local_server(home=tmp_path / "prefect")
    procs: list[subprocess.Popen] = []
    try:
        env = {
            "PREFECT_API_URL": server.api_url,
            "PREFECT_HOME": str(tmp_path / "prefect"),
            "SPBE_DATA_DIR": str(tmp_path / "data"),
            "SPBE_DATABASE_URL": f"sqlite:///{tmp_path / 'data/spbe.db'}",
            "SPBE_ACTOR": "koordinator",
            "SPBE_NOW": "2025-06-02T09:00:00+07:00",
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        }
        assert run_spbe("init", env=env).code == 0
        assert run_spbe("phase", "open", "locus", env=env).code == 0
        assert run_spbe("assign", "--approve", env=env).code == 0
        env["SPBE_NOW"] = "2025-07-31T17:00:00+07:00"  # past the locus deadline: the timekeeper checks the gate
        log = tmp_path / "serve.log"
        procs.append(_spawn_serve(env, log))
        api = httpx.Client(base_url=server.api_url, timeout=30)
        runs = _wait(
            lambda: [r for r in _check_runs(api) if r["state"]["type"] == "PAUSED"],
            "the served gate check to wait for approval",
        )
        assert len(runs) == 1
        status = json.loads(run_spbe("status", "--json", env=env).out)
        assert status["phases"][0]["state"] == "awaiting_approval"

        # restart: the timekeeper triggers the same check again, with the same idempotency key. Give the runner
        # a moment to reap the suspended run's process first: a runner cancels the runs it still tracks when it
        # shuts down, and a process that suspended a second ago may still be tracked (see README, Serving)
        _wait(lambda: not _children(procs[-1].pid), "the suspended run's process to exit", timeout=60)
        assert _stop(procs.pop()) == 0
        said = log.read_text()  # the start-up lines, in Indonesian
        assert f"Server Prefect: {server.api_url}" in said and "melayani " in said and " deployment (mis. " in said
        assert "timekeeper " in said and "(zona Asia/Jakarta)" in said and " tugas dari jadwal" in said
        assert "spbe serve berhenti" in said and "serving" not in said and "job(s)" not in said
        procs.append(_spawn_serve(env, log))
        _wait(lambda: log.read_text().count("timekeeper ") >= 2, "the restarted timekeeper")
        time.sleep(3)  # time for a duplicate to appear, were the key not honoured
        assert len(_check_runs(api)) == 1

        # the coordinator's decision, sent as the UI form sends it, closes the phase
        run_id = runs[0]["id"]
        decision = {"run_input": {"approve": True, "coordinator": "koordinator", "note": "SK ok"}}
        resumed = _wait(
            lambda: _resume(api, run_id, decision), "the server to take the decision (it answered 5xx)", timeout=60
        )
        assert resumed.status_code in (200, 201), resumed.text
        _wait(
            lambda: api.get(f"/flow_runs/{run_id}").json()["state"]["type"] == "COMPLETED",
            "the approved run",
            explain=lambda: (
                f"run state: {api.get(f'/flow_runs/{run_id}').json()['state']}\n"
                + "\n".join(log.read_text(errors="replace").splitlines()[-40:])
            ),
        )
        status = json.loads(run_spbe("status", "--json", env=env).out)
        assert status["phases"][0]["state"] == "closed"
        audit = json.loads(run_spbe("audit", "--json", "--action", "phase.closed", env=env).out)
        assert audit[-1]["actor"] == "koordinator" and audit[-1]["flow_run_id"] == run_id
        assert _stop(procs.pop()) == 0
        assert "Traceback" not in log.read_text(errors="replace")
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        server.stop()


def test_commands_find_the_server_that_serve_started(tmp_path: Path):
    """No PREFECT_API_URL in the shell: a command uses the local server `spbe serve` noted, and says nothing
    about a temporary one; with no server noted it says what the fallback costs."""
    env = {
        "SPBE_DATA_DIR": str(tmp_path / "data"),
        "SPBE_DATABASE_URL": f"sqlite:///{tmp_path / 'data/spbe.db'}",
        "SPBE_ACTOR": "koordinator",
        "SPBE_NOW": "2025-06-02T09:00:00+07:00",
        "PREFECT_API_URL": "",
        "PREFECT_HOME": str(tmp_path / "prefect-cli"),
    }
    assert run_spbe("init", env=env).code == 0
    server = start_local_server(home=tmp_path / "prefect")
    try:
        note = tmp_path / "data" / "prefect-server.json"
        note.write_text(json.dumps({"api_url": server.api_url, "pid": 0}))
        opened = run_spbe("phase", "open", "locus", env=env)
        assert opened.code == 0, opened.err
        assert f"{server.ui_url}/runs/flow-run/" in opened.out and "temporary" not in opened.err
    finally:
        server.stop()
    checked = run_spbe("phase", "check", "locus", env=env)  # the noted server is gone: fall back, and say so
    assert checked.code == 0 and "berjalan di server lokal sementara, yang menambah sekitar 10 detik" in checked.err


def test_serve_with_a_server_that_does_not_answer_says_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from spbe.errors import PrefectUnavailable
    from spbe.serving import connect_or_start_server
    from spbe.settings import get_settings

    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # the discard port: nothing answers
    get_settings.cache_clear()
    said: list[str] = []
    try:
        with pytest.raises(PrefectUnavailable) as caught:
            connect_or_start_server(tmp_path, said.append)
    finally:
        get_settings.cache_clear()
    text = str(caught.value)
    assert text.startswith("server Prefect http://127.0.0.1:9/api (PREFECT_API_URL) tidak menjawab /health")
    assert "kosongkan PREFECT_API_URL" in text and said == []


def test_serve_under_spbe_now_says_its_schedule_runs_on_the_real_clock():
    from datetime import UTC, datetime

    text = frozen_clock_notice(datetime(2025, 9, 29, 1, 0, tzinfo=UTC))
    assert "SPBE_NOW" in text and "Senin, 29 September 2025 pukul 08.00 WIB" in text and "jam sebenarnya" in text


def test_the_timekeepers_deployment_is_looked_up_by_the_name_it_is_served_under():
    from flows.deployments import deployment_path, entries

    assert deployment_path("flows/timekeeper.py:timekeeper_job") == TIMEKEEPER_DEPLOYMENT
    names = [e.name for e in entries()]
    assert len(set(names)) == len(names) and "spbe" not in names  # each says what it does
    assert "periksa-syarat-self-assessment" in names and "kirim-pengingat" in names
