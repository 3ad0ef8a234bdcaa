"""`spbe remind`, `spbe outbox` and `spbe serve` as a user runs them: real processes, real store, a real
receiver on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from sqlmodel import select

from spbe.store import models as m
from spbe.store.db import get_engine, session_scope
from tests.utils.cli import SPBE, run_spbe
from tests.utils.receiver import Receiver
from tests.utils.store import future_timeline


def cli_store(tmp_path: Path) -> tuple[dict[str, str], str]:
    url = f"sqlite:///{tmp_path / 'data/spbe.db'}"
    env = {"SPBE_DATA_DIR": str(tmp_path / "data"), "SPBE_DATABASE_URL": url}
    init = run_spbe("init", env=env)
    assert init.code == 0, init.err
    with session_scope(get_engine(url)) as session:  # self-assessment is running
        for p in session.exec(select(m.Phase)):
            p.state = "open" if p.name == "self-assessment" else "closed" if p.seq < 2 else "pending"
    return env, url


def test_remind_dry_run_then_for_real_then_outbox(tmp_path: Path):
    env, _ = cli_store(tmp_path)
    with Receiver() as rx:
        env |= {"SPBE_NOW": "2025-09-25T10:00:00+07:00", "SPBE_WEBHOOK_URL": rx.url + "/spbe"}
        dry = run_spbe("remind", "--dry-run", "--json", env=env)
        assert dry.code == 0, dry.err
        data = json.loads(dry.out)
        assert data["dispatch"] is None and {q["rule"] for q in data["sweep"]["queued"] if q["kind"] == "reminder"} == {
            "H-3"
        }
        assert rx.requests == []
        text = run_spbe("remind", "--dry-run", env=env)  # what a person reads: Indonesian, on the cycle's clock
        assert text.code == 0, text.err
        assert "penyisiran pada Kamis, 25 September 2025 pukul 10.00 WIB: akan memasukkan 14" in text.out
        assert "uji coba: tidak ada yang diubah" in text.out and "+07:00" not in text.out
        assert "dikirim setelah" in text.out.splitlines()[1]
        empty = json.loads(run_spbe("outbox", "--json", env=env).out)
        assert sum(empty["counts"].values()) == 0  # a dry run writes nothing

        real = run_spbe("remind", env=env)
        assert real.code == 0, real.err
        assert "14 masuk antrean" in real.out and "pengiriman: 14 terkirim" in real.out
        assert len(rx.keys) == 14 and all(r.body["subject"].startswith("[SPBE 2025]") for r in rx.requests)

        again = run_spbe("remind", "--json", env=env)
        assert json.loads(again.out)["sweep"]["queued"] == [] and len(rx.requests) == 14

    out = run_spbe("outbox", "--json", "--state", "sent", env=env)
    data = json.loads(out.out)
    assert data["counts"]["sent"] == 14 and len(data["messages"]) == 14
    text = run_spbe("outbox", env=env)
    assert text.code == 0 and "kotak keluar pekalongan-2025: " in text.out and "sent 14" in text.out
    bad = run_spbe("outbox", "--state", "lost", env=env)
    assert bad.code == 1 and "galat: --state 'lost' bukan keadaan pesan" in bad.err and "Traceback" not in bad.err


def test_remind_outside_hours_says_when_and_sends_nothing(tmp_path: Path):
    env, _ = cli_store(tmp_path)
    with Receiver() as rx:
        env |= {"SPBE_NOW": "2025-09-27T10:00:00+07:00", "SPBE_WEBHOOK_URL": rx.url + "/spbe"}  # Saturday
        result = run_spbe("remind", env=env)
    assert result.code == 0, result.err
    assert "tidak ada yang dikirim sebelum Senin, 29 September 2025 pukul 08.00 WIB" in result.out and rx.requests == []


def test_remind_on_an_empty_store_is_a_clear_error(tmp_path: Path):
    env = {"SPBE_DATA_DIR": str(tmp_path), "SPBE_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    result = run_spbe("remind", env=env)
    assert result.code == 1 and "run `spbe init` first" in result.err and "Traceback" not in result.err


def test_serve_timekeeper_only_runs_until_sigterm(tmp_path: Path):
    env, url = cli_store(tmp_path)
    future_timeline(get_engine(url))  # nothing due while it runs: no phase flow starts
    proc = subprocess.Popen(
        [str(SPBE), "serve", "--timekeeper-only"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen: list[str] = []
        deadline = time.monotonic() + 30
        while not any(line.strip().startswith("remind") for line in seen) and time.monotonic() < deadline:
            seen.append(proc.stdout.readline())  # the job list follows the start line
        assert any("timekeeper berjalan sebagai" in line for line in seen), seen
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "timekeeper berhenti" in out and "SIGTERM: berhenti setelah tugas yang berjalan selesai" in err
