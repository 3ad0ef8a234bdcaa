"""Running the product: the demo year."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    seed: Annotated[int, typer.Option("--seed", help="Seed for the simulated participants (same seed, same year).")] = 2025,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Where the demo keeps its store, outbox and report.")] = Path(".spbe/demo"),
    keep_ui: Annotated[bool | None, typer.Option("--keep-ui/--no-keep-ui", help="Keep the Prefect UI up after the year (default: when run in a terminal).")] = None,
) -> None:
    """Run Kota Pekalongan's 2025 cycle from June to December on a simulated clock, every action a flow run."""
    from spbe.demo.runner import run_demo

    run_demo(seed=seed, data_dir=data_dir.resolve(), interactive=keep_ui)
