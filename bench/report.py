"""Time the planner with costs on the 47 indicators, and the final report build for Pekalongan.

Run: .venv/bin/python bench/report.py [--plans 50] [--builds 5] [--seed 7]

The report runs on a fresh SQLite store loaded with the Pekalongan 2025 cycle (40 OPDs, 47 indicators)
and a realistic year: one to three versions per indicator, assessor reviews with revision rounds, late
claims, two to five evidence links each with link-check results, and a few hundred outbox messages.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlmodel import select

from spbe import clock
from spbe.frameworks import load_framework
from spbe.paths import default_cycle_file
from spbe.planner import plan
from spbe.services.cycles import load_config_files, load_cycle
from spbe.services.report import build_report
from spbe.store import models as m
from spbe.store.db import dispose_engines, get_engine, session_scope, upgrade
from spbe.store.tables_reminders import OutboxMessage

COSTS = [Decimal(c) for c in ("0.5", "1", "1.5", "2", "3", "4", "6", "8")]
START = datetime(2025, 9, 1, 2, 0, tzinfo=UTC)
BUILT = datetime(2025, 12, 15, 3, 0, tzinfo=UTC)


def time_planner(runs: int, rng: random.Random) -> tuple[list[float], float]:
    fw = load_framework("permenpanrb-59-2020")
    numbers = [i.number for i in fw.indicators]
    times = []
    for _ in range(runs):
        levels = {n: rng.choice((1, 2, 3, 3, 4, 4)) for n in numbers}
        costs = {n: rng.choice(COSTS) for n in numbers}
        caps = {n: rng.choice((3, 4, 5, 5, 5)) for n in numbers}
        target = Decimal(rng.choice(("3.50", "4.00", "4.20")))
        start = time.perf_counter()
        plan(fw, levels, target, costs=costs, caps=caps)
        times.append(time.perf_counter() - start)
    ones = {n: 1 for n in numbers}
    costs = {n: rng.choice(COSTS) for n in numbers}
    start = time.perf_counter()
    plan(fw, ones, Decimal("4.20"), costs=costs)
    return times, time.perf_counter() - start


def seed_year(url: str, rng: random.Random) -> dict[str, int]:
    engine = get_engine(url)
    upgrade(engine)
    config, roster = load_config_files(default_cycle_file())
    counts = {"submissions": 0, "reviews": 0, "evidence_checks": 0, "outbox": 0}
    with session_scope(engine) as session:
        cycle = load_cycle(session, config=config, roster=roster, actor="bench").cycle
        assessors = [p.id for p in roster.by_role("assessor")]
        statuses = ["ok"] * 12 + ["not_found", "forbidden", "timeout", "error"]
        for a in session.exec(select(m.Assignment).where(m.Assignment.cycle_id == cycle.id)).all():
            n = a.indicator_number
            if rng.random() < 0.04:  # an indicator nobody filled in
                continue
            level = rng.choice((2, 3, 3, 4, 4, 5))
            versions = rng.choice((1, 1, 1, 2, 2, 3))
            for v in range(1, versions + 1):
                links = [f"https://data.pekalongan.example/spbe/{n}/{v}/{k}.pdf" for k in range(rng.randint(2, 5))]
                sub = m.Submission(
                    cycle_id=cycle.id,
                    indicator_number=n,
                    opd_code=a.owner_opd or "DINKOMINFO",
                    version=v,
                    level=level,
                    explanation="Bukti terlampir.",
                    evidence=links,
                    submitted_at=START + timedelta(days=rng.randint(0, 40) + 10 * v),
                    submitted_by="admin",
                    late=rng.random() < 0.12,
                )
                session.add(sub)
                session.flush()
                counts["submissions"] += 1
                last = v == versions
                if last and rng.random() < 0.15:
                    continue  # still awaiting review
                verdict = "accept" if last else "revise"
                session.add(
                    m.Review(
                        cycle_id=cycle.id,
                        submission_id=sub.id,
                        indicator_number=n,
                        assessor_key=rng.choice(assessors),
                        level=max(1, level - rng.choice((0, 0, 1))) if verdict == "accept" else None,
                        verdict=verdict,
                        note="Lengkapi notulen reviu." if verdict == "revise" else None,
                        reviewed_at=sub.submitted_at + timedelta(days=3),
                    )
                )
                counts["reviews"] += 1
                if last:
                    for url in links:
                        session.add(
                            m.EvidenceCheck(
                                cycle_id=cycle.id,
                                url=url,
                                status=rng.choice(statuses),
                                checked_at=BUILT - timedelta(days=30),
                            )
                        )
                        counts["evidence_checks"] += 1
        people = [p.id for p in roster.people]
        for k in range(400):
            session.add(
                OutboxMessage(
                    cycle_id=cycle.id,
                    key=f"bench-{k}",
                    kind=rng.choice(("reminder", "reminder", "notice", "digest")),
                    recipient=rng.choice(people),
                    subject="Pengingat",
                    body="...",
                    state=rng.choice(("sent", "sent", "dead")),
                    not_before=START,
                    created_at=START,
                    updated_at=START,
                )
            )
            counts["outbox"] += 1
    return counts


def time_report(url: str, builds: int, out: Path) -> list[float]:
    engine = get_engine(url)
    times = []
    for k in range(builds):
        start = time.perf_counter()
        with clock.use_clock(BUILT), session_scope(engine) as session:
            cycle = session.exec(select(m.Cycle)).one()
            build_report(session, cycle=cycle, out_dir=out / f"run{k}", actor="bench")
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=50)
    parser.add_argument("--builds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    times, worst = time_planner(args.plans, rng)
    ms = sorted(t * 1000 for t in times)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        counts = seed_year(url, rng)
        first = time_report(url, 1, Path(tmp))[0]
        builds = time_report(url, args.builds, Path(tmp))
        dispose_engines()
    if args.json:
        print(
            json.dumps(
                {
                    "planner_ms": {"median": round(statistics.median(ms), 1), "max": round(ms[-1], 1)},
                    "planner_largest_ms": round(worst * 1000, 1),
                    "report_ms": {
                        "first build": round(first * 1000),
                        "warm median": round(statistics.median(builds) * 1000),
                    },
                    "rows": counts,
                },
                indent=2,
            )
        )
        return
    print(f"planner: 47 indicators, per-step costs and caps, {args.plans} random instances")
    print(f"  median {statistics.median(ms):.1f} ms; p90 {ms[int(0.9 * (len(ms) - 1))]:.1f} ms; max {ms[-1]:.1f} ms")
    print(f"  all at level 1 → 4.20 with costs (largest search): {worst * 1000:.1f} ms")

    times = builds
    print(
        "report: Pekalongan 2025, 40 OPDs, 47 indicators, "
        + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
    )
    print(f"  first build (imports matplotlib/openpyxl, first charts): {first * 1000:.0f} ms")
    print(
        f"  warm builds: median {statistics.median(times) * 1000:.0f} ms; best {min(times) * 1000:.0f} ms "
        f"(HTML, Markdown, XLSX, JSON, 3 charts, row + audit)"
    )


if __name__ == "__main__":
    main()
