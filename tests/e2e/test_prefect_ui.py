"""The Prefect UI seen as a user sees it: a real server, a phase flow run, headless Chromium on the page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from spbe.prefect_server import start_local_server
from tests.conftest import ROOT
from tests.utils.cli import run_spbe

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "tests" / "artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-breakpad",
    "--no-pings",
    "--dns-prefetch-disable",
    # Chromium's own resolver answers "not found" for every name but localhost: the page is on 127.0.0.1,
    # and nothing it or the browser asks for can leave the machine (the sitecustomize guard cannot see C++).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--disable-dev-shm-usage",
    "--virtual-time-budget=30000",
    "--window-size=1400,1000",
]


def _chromium(tmp_path: Path, *args: str) -> str:
    profile = tmp_path / f"chrome-{len(list(tmp_path.glob('chrome-*')))}"
    proc = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120
    )
    return proc.stdout


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (Debian package `chromium`; `make ui-deps` "
    "installs it where apt is available): UI test skipped",
)
def test_flow_run_and_artifacts_on_the_page(tmp_path: Path):
    server = start_local_server(home=tmp_path / "prefect")
    try:
        env = {
            "PREFECT_API_URL": server.api_url,
            "PREFECT_UI_URL": server.ui_url,  # not the session harness's, which this worker may have set
            "SPBE_DATA_DIR": str(tmp_path / "data"),
            "SPBE_DATABASE_URL": f"sqlite:///{tmp_path / 'data/spbe.db'}",
            "SPBE_ACTOR": "koordinator",
            "SPBE_NOW": "2025-06-02T09:00:00+07:00",
            "PREFECT_HOME": str(tmp_path / "prefect"),
        }
        assert run_spbe("init", env=env).code == 0
        assert run_spbe("phase", "open", "locus", env=env).code == 0
        checked = run_spbe("phase", "check", "locus", env=env)
        assert checked.code == 0, checked.err
        link = checked.out.split()[-1]
        assert link.startswith(server.ui_url) and "/runs/flow-run/" in link, checked.out
        run_id = link.rsplit("/", 1)[1]
        page = f"{server.ui_url}/v2/runs/flow-run/{run_id}"
        dom = _chromium(tmp_path, "--dump-dom", page)
        assert "2025 · locus · check · koordinator" in dom  # the run, named as the timeline reads
        assert "phase:locus" in dom and "year:2025" in dom  # its tags
        artifacts = _chromium(tmp_path, "--dump-dom", page + "?tab=Artifacts")
        for key in (
            "pekalongan-2025-locus-progress",
            "pekalongan-2025-locus-per-opd",
            "pekalongan-2025-locus-outstanding",
        ):
            assert key in artifacts
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "ui-flow-run.png"
        shot.unlink(missing_ok=True)
        _chromium(tmp_path, f"--screenshot={shot}", page)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
        print(f"\nscreenshot kept: {shot}")
    finally:
        server.stop()
