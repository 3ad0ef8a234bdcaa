"""Scoring throughput at national scale: score 600 agencies' level sets, report scorings per second.

Two batches: whole levels on the 47-indicator 59/2020 catalog (the integer path), and exact fractional
values on the 20-indicator Pemdi catalog (sixths, halves and hundredths, as official Pemdi values
are: the common-denominator path).

Run: .venv/bin/python bench/scoring.py [--agencies 600] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from fractions import Fraction

from spbe.frameworks import load_framework
from spbe.scoring import score

FRACTIONS = [Fraction(k, 6) for k in range(6, 31)] + [Fraction(k, 100) for k in (117, 125, 126, 130, 150, 250)]


def measure(fw, batch, rounds: int) -> list[float]:
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        results = [score(fw, levels) for levels in batch]
        _ = [
            (r.index, r.predicate, r.bound_note, [d.index for d in r.domains], [a.index for a in r.aspects])
            for r in results
        ]
        rates.append(len(batch) / (time.perf_counter() - start))
    return rates


def report(label: str, fw, rates: list[float], agencies: int) -> None:
    median = statistics.median(rates)
    print(f"{label}: {agencies} agencies × {len(fw.indicators)} indicators (index, predicate, note, groups)")
    print(f"  median {median:,.0f} scorings/s; best {max(rates):,.0f}; worst {min(rates):,.0f}")
    print(f"  one national batch: {agencies / median * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agencies", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    fw = load_framework("permenpanrb-59-2020")
    whole = [{i.number: rng.randint(1, 5) for i in fw.indicators} for _ in range(args.agencies)]
    whole_rates = measure(fw, whole, args.rounds)
    pemdi = load_framework("pemdi-2026")
    exact = [{i.number: rng.choice(FRACTIONS) for i in pemdi.indicators} for _ in range(args.agencies)]
    exact_rates = measure(pemdi, exact, args.rounds)
    if args.json:
        print(
            json.dumps(
                {
                    "agencies": args.agencies,
                    "scorings_per_s": {
                        "59/2020 whole levels": round(statistics.median(whole_rates)),
                        "pemdi exact fractions": round(statistics.median(exact_rates)),
                    },
                },
                indent=2,
            )
        )
        return
    report("59/2020, whole levels", fw, whole_rates, args.agencies)
    report("Pemdi, exact fractional values", pemdi, exact_rates, args.agencies)


if __name__ == "__main__":
    main()
