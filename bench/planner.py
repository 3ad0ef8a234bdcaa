"""Time `plan` on the 47-indicator 59/2020 catalog: `.venv/bin/python bench/planner.py [-n 50] [--seed 7]`.

Random instances are skewed so that most are reachable (an unreachable plan skips the DP and would
flatter the numbers); the all-1s case, the largest DP the catalog allows, is timed separately.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from decimal import Decimal

from spbe.frameworks import load_framework
from spbe.planner import plan

TARGET = Decimal("4.20")
COSTS = [Decimal(c) for c in ("1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5")]


def instance(rng: random.Random, numbers: list[int]):
    levels = {n: rng.choice((1, 2, 3, 3, 4)) for n in numbers}
    costs = {n: rng.choice(COSTS) for n in numbers}
    caps = {n: rng.choice((3, 4, 5, 5, 5, 5)) for n in numbers}
    return levels, costs, caps


def timed(fw, levels, costs, caps) -> tuple[float, bool]:
    start = time.perf_counter()
    result = plan(fw, levels, TARGET, costs=costs, caps=caps)
    return (time.perf_counter() - start) * 1000, result.reachable


def summary(label: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    median = statistics.median(ms)
    return f"{label:<10} median {median:7.2f} ms   p95 {p95:7.2f} ms   {1000 / median:8.1f} plans/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=50, help="plans per case (default 50)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    fw = load_framework("permenpanrb-59-2020")
    numbers = [i.number for i in fw.indicators]
    rng = random.Random(args.seed)
    plan(fw, {n: 3 for n in numbers}, TARGET)  # warm-up

    random_ms, reachable = [], 0
    for _ in range(args.n):
        ms, ok = timed(fw, *instance(rng, numbers))
        random_ms.append(ms)
        reachable += ok
    ones = {n: 1 for n in numbers}
    worst_ms = [timed(fw, ones, {n: rng.choice(COSTS) for n in numbers}, {})[0] for _ in range(args.n)]

    if args.json:
        print(
            json.dumps(
                {
                    "plans": args.n,
                    "reachable": reachable,
                    "median_ms": {
                        "random": round(statistics.median(random_ms), 2),
                        "all 1s": round(statistics.median(worst_ms), 2),
                    },
                },
                indent=2,
            )
        )
        return
    print(f"plan() on {fw.id}, {len(numbers)} indicators, target {TARGET}, n={args.n}, seed={args.seed}")
    print(summary("random", random_ms) + f"   ({reachable}/{args.n} reachable)")
    print(summary("all 1s", worst_ms))


if __name__ == "__main__":
    main()
