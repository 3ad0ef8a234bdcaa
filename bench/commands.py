"""Whole `spbe` processes, as people wait for them: read-only commands, refused commands, and phase commands
with an engine running (the background engine a first command starts, as `spbe serve` would be) and without
one (each command on its own temporary Prefect server: SPBE_BACKGROUND_MINUTES=0).

Each figure is the median wall time of --runs processes, with the machine's own floor measured in the same run
(`python -c "import sqlmodel"`, what any store-reading command must load) so figures from a loaded machine
can be read as ratios.

Run:  .venv/bin/python bench/commands.py [--runs 3] [--json] [--no-temporary]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NOW = "2025-06-10T09:00:00+07:00"  # locus is due; nothing else is


def timed(args: list[str], env: dict[str, str], *, expect: int | None = 0) -> float:
    started = time.perf_counter()
    proc = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    if expect is not None and proc.returncode != expect:
        raise SystemExit(f"{' '.join(args[1:])}: exit {proc.returncode} (wanted {expect})\n{proc.stderr[-1500:]}")
    return seconds


def median_of(runs: int, args: list[str], env: dict[str, str], expect: int | None = 0) -> float:
    return statistics.median(timed(args, env, expect=expect) for _ in range(runs))


def spbe(*args: str) -> list[str]:
    return [str(BIN / "spbe"), *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-temporary", action="store_true", help="skip the temporary-server figures (slow)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="spbe-bench-commands-"))
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("SPBE_", "PREFECT_"))
    }  # this bench decides them all
    env = {
        **base,
        "SPBE_DATA_DIR": str(work / "data"),
        "SPBE_ACTOR": "koordinator",
        "SPBE_NOW": NOW,
        "SPBE_BACKGROUND_MINUTES": "5",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "DO_NOT_TRACK": "1",
    }
    figures: dict[str, float] = {}
    try:
        figures["floor: python -c 'import sqlmodel'"] = median_of(
            args.runs, [sys.executable, "-c", "import sqlmodel"], env
        )
        timed(spbe("init"), env)
        levels = str(ROOT / "config" / "examples" / "levels-example.csv")
        for name, cmd in (
            ("status", ["status"]),
            ("timeline", ["timeline"]),
            ("audit", ["audit"]),
            ("score", ["score", "--levels", levels]),
            ("plan", ["plan"]),
        ):
            figures[f"read: {name}"] = median_of(args.runs, spbe(*cmd), env)
        for name, cmd in (
            ("wrong order (close revision)", ["phase", "close", "revision"]),
            ("unmet order (open socialization)", ["phase", "open", "socialization"]),
            ("not a coordinator", ["phase", "open", "locus", "--as", "adm-bapperida"]),
        ):
            figures[f"refused: {name}"] = median_of(args.runs, spbe(*cmd), env, expect=2)
        # The first flow-running command starts the background engine (and a local Prefect server) once.
        figures["engine: first command (starts it, once)"] = timed(spbe("phase", "open", "locus"), env)
        phase = [timed(spbe("phase", "check", "locus"), env) for _ in range(max(args.runs, 3))]
        figures["engine: phase check (served)"] = statistics.median(phase)
        figures["engine: assign --approve (served)"] = timed(spbe("assign", "--approve"), env)
        figures["engine: phase close locus (served)"] = timed(spbe("phase", "close", "locus"), env)
        for name in ("status", "timeline", "audit"):  # read commands the engine answers once it runs
            figures[f"engine: {name} (answered by the engine)"] = median_of(args.runs, spbe(name), env)
        # The same-run baseline: the same command on the same server, with its flow run in its own process.
        noted = json.loads((work / "data" / "prefect-server.json").read_text(encoding="utf-8"))["api_url"]
        in_process = {**env, "SPBE_BACKGROUND_MINUTES": "0", "PREFECT_API_URL": noted}
        figures["in-process: phase check (same server, no engine)"] = median_of(
            args.runs, spbe("phase", "check", "locus"), in_process
        )
        if not args.no_temporary:
            alone = {**env, "SPBE_BACKGROUND_MINUTES": "0", "SPBE_DATA_DIR": str(work / "alone")}
            timed(spbe("init"), alone)
            figures["no engine: phase open locus (temporary server)"] = timed(spbe("phase", "open", "locus"), alone)
            figures["no engine: phase check locus (temporary server)"] = timed(spbe("phase", "check", "locus"), alone)
    finally:
        sys.path.insert(0, str(ROOT))
        from spbe.flow_client import stop_background

        stop_background(work / "data")
        shutil.rmtree(work, ignore_errors=True)
    floor = figures["floor: python -c 'import sqlmodel'"]
    if args.json:
        print(
            json.dumps(
                {
                    "seconds": {k: round(v, 3) for k, v in figures.items()},
                    "ratio_to_floor": {k: round(v / floor, 2) for k, v in figures.items()},
                },
                indent=2,
            )
        )
        return
    for name, seconds in figures.items():
        print(f"{name:<52} {seconds:7.2f} s  ({seconds / floor:4.1f}x floor)")


if __name__ == "__main__":
    main()
