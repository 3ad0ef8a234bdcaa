"""Running the product: the demo year."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    cycle: Annotated[
        str,
        typer.Option(
            "--cycle",
            help="Which year: pekalongan-2025 (PermenPANRB 59/2020, a level per indicator) or pekalongan-2026 "
            "(PermenPANRB 8/2026, Pemdi: evidence item by item, then the ministry's stages).",
        ),
    ] = "pekalongan-2025",
    seed: Annotated[int, typer.Option("--seed", help="Seed for the simulated participants (same seed, same year).")] = 2025,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Where the demo keeps its store, outbox and report.")] = Path(".spbe/demo"),
    keep_ui: Annotated[bool | None, typer.Option("--keep-ui/--no-keep-ui", help="Keep the Prefect UI up after the year (default: when run in a terminal); without it the UI link is dead once the demo exits.")] = None,
) -> None:
    """Run one of Kota Pekalongan's years on a simulated clock, every phase action a Prefect flow run: 2025
    (June to December) by default, or `--cycle pekalongan-2026` (the Pemdi year, item by item)."""
    from spbe.demo.runner import run_demo

    run_demo(seed=seed, data_dir=data_dir.resolve(), interactive=keep_ui, cycle=cycle)
