"""The `spbe` command. Each feature registers its commands from its own module; imports stay lazy
so that quick commands (score, timeline) start in a fraction of a second."""

from __future__ import annotations

import sys

import typer

from spbe.cli import cmd_core, cmd_history, cmd_intake, cmd_items, cmd_phases, cmd_reminders, cmd_report, cmd_run
from spbe.errors import SpbeError

app = typer.Typer(
    name="spbe",
    help="SPBE evaluation workflow engine: phases, gates, reminders, intake, scoring and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

for module in (cmd_core, cmd_items, cmd_phases, cmd_intake, cmd_reminders, cmd_report, cmd_history, cmd_run):
    module.register(app)


def main() -> None:
    """Run the CLI; user errors become one clear line on stderr and an exit code, never a traceback."""
    try:
        app()
    except SpbeError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
