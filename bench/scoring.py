"""Scoring throughput at national scale: score 600 agencies' level sets, report scorings per second.

Run: .venv/bin/python bench/scoring.py [--agencies 600] [--rounds 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from spbe.frameworks import load_framework
from spbe.scoring import score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agencies", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    fw = load_framework("permenpanrb-59-2020")
    rng = random.Random(args.seed)
    batch = [{i.number: rng.randint(1, 5) for i in fw.indicators} for _ in range(args.agencies)]
    rates = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        results = [score(fw, levels) for levels in batch]
        _ = [(r.index, r.predicate, [d.index for d in r.domains], [a.index for a in r.aspects]) for r in results]
        elapsed = time.perf_counter() - start
        rates.append(args.agencies / elapsed)
    print(f"scoring: {args.agencies} agencies × {len(fw.indicators)} indicators (index, predicate, domains, aspects)")
    print(f"  median {statistics.median(rates):,.0f} scorings/s; best {max(rates):,.0f}; worst {min(rates):,.0f}")
    print(f"  one national batch: {args.agencies / statistics.median(rates) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
