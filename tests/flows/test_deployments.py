"""Scale-out on Prefect's own machinery: the generated prefect.yaml deployed to a process work pool, two
workers picking phase flows, the Prefect server itself on PostgreSQL (SQLite where none is configured)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from prefect.workers.process import ProcessWorker

from flows.deployments import WORK_POOL, render_prefect_yaml
from spbe.prefect_server import prefect_cli, start_local_server
from tests.conftest import POSTGRES_URL, ROOT, _postgres_database
from tests.utils.cli import run_spbe


def test_prefect_yaml_is_generated_from_the_deployment_list():
    assert (ROOT / "prefect.yaml").read_text(encoding="utf-8") == render_prefect_yaml(), (
        'prefect.yaml is stale: run `.venv/bin/python -c "from flows.deployments import render_prefect_yaml; '
        "open('prefect.yaml','w').write(render_prefect_yaml())\"`"
    )


@pytest.fixture
def server_database():
    """A fresh PostgreSQL database for the Prefect server when one is configured, else its own SQLite."""
    if not POSTGRES_URL:
        yield None
        return
    for url in _postgres_database():
        yield url.replace("postgresql+psycopg://", "postgresql+asyncpg://")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:  # an idle worker may ignore SIGTERM for a long while
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def test_two_workers_run_phase_flows(tmp_path: Path, server_database: str | None):
    server = start_local_server(home=tmp_path / "prefect", database_url=server_database)
    workers: list[subprocess.Popen] = []
    try:
        env = {
            **os.environ,
            "PREFECT_API_URL": server.api_url,
            "PREFECT_HOME": str(tmp_path / "prefect"),
            "SPBE_PROJECT_DIR": str(ROOT),
            "SPBE_DATA_DIR": str(tmp_path / "data"),
            "SPBE_DATABASE_URL": f"sqlite:///{tmp_path / 'data/spbe.db'}",
            "SPBE_ACTOR": "koordinator",
            "SPBE_NOW": "2025-06-02T09:00:00+07:00",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "0",
        }
        assert run_spbe("init", env=env).code == 0
        assert run_spbe("phase", "open", "locus", env=env).code == 0
        cli = prefect_cli()
        api = httpx.Client(base_url=server.api_url, timeout=30)
        # The pool through the API: `prefect work-pool create` asks the server for the collection registry's
        # worker types, which the server fetches from raw.githubusercontent.com (the network guard catches it)
        template = ProcessWorker.get_default_base_job_template()
        pool = {"name": WORK_POOL, "type": "process", "base_job_template": template}
        assert api.post("/work_pools/", json=pool).status_code == 201
        deployed = subprocess.run(
            [cli, "--no-prompt", "deploy", "--all"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert deployed.returncode == 0, deployed.stdout[-2000:] + deployed.stderr[-2000:]
        for name in ("worker-a", "worker-b"):
            workers.append(
                subprocess.Popen(
                    [cli, "worker", "start", "--pool", WORK_POOL, "--name", name, "--limit", "1"],
                    env=env,
                    stdout=(tmp_path / f"{name}.log").open("wb"),  # kept open while the worker lives
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deployment = api.get("/deployments/name/locus-check/periksa-syarat-locus").json()
        runs = [
            api.post(
                f"/deployments/{deployment['id']}/create_flow_run",
                json={"parameters": {"actor": "koordinator", "ask_approval": False}},
            ).json()["id"]
            for _ in range(4)
        ]
        deadline = time.monotonic() + 180
        states: list[str] = []
        while time.monotonic() < deadline:
            states = [api.get(f"/flow_runs/{run}").json()["state"]["type"] for run in runs]
            if all(s in ("COMPLETED", "FAILED", "CRASHED") for s in states):
                break
            time.sleep(1)
        assert states == ["COMPLETED"] * 4, states
        events = api.post(
            "/events/filter", json={"filter": {"event": {"prefix": ["prefect.worker.submitted-flow-run"]}}, "limit": 50}
        ).json()["events"]
        ran_by = {e["resource"].get("prefect.resource.name") for e in events}
        assert ran_by == {"worker-a", "worker-b"}, ran_by  # both workers took phase flows
        status = run_spbe("audit", "--json", env=env)
        assert status.code == 0
    finally:
        for worker in workers:
            _stop(worker)
        server.stop()
