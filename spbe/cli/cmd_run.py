"""Running the product: the demo (and, later, serving)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    seed: Annotated[int, typer.Option("--seed", help="Seed for the simulated participants.")] = 2025,
) -> None:
    """Run the main job on embedded defaults: load the 2025 cycle, show its timeline, score an example."""
    from spbe.cli.cmd_core import init, score, timeline
    from spbe.paths import config_dir

    typer.echo("== 1. Store and cycle ==")
    init(config=None)
    typer.echo("\n== 2. Timeline 2025 ==")
    timeline(config=None, as_json=False)
    typer.echo("\n== 3. Scoring an example set of levels (config/examples/levels-example.csv) ==")
    score(levels=config_dir() / "examples" / "levels-example.csv", framework="permenpanrb-59-2020", as_json=False)
