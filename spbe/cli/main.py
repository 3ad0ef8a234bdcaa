"""The `spbe` command. Each feature registers its commands from its own module; imports stay lazy
so that quick commands (score, timeline) start in a fraction of a second.

Exit codes: 0 done; 1 bad input or configuration; 2 refused by a rule or a role (also a usage error);
3 an outage (the store or the Prefect server unavailable: try again); 130 interrupted. A typed error is
one message on stderr, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from spbe.cli import (
    cmd_core,
    cmd_export,
    cmd_history,
    cmd_intake,
    cmd_item_intake,
    cmd_items,
    cmd_phases,
    cmd_portal,
    cmd_reminders,
    cmd_report,
    cmd_run,
)
from spbe.errors import SpbeError

app = typer.Typer(
    name="spbe",
    help="SPBE evaluation workflow engine: phases, gates, reminders, intake, scoring and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

for module in (
    cmd_core,
    cmd_items,
    cmd_phases,
    cmd_intake,
    cmd_item_intake,
    cmd_reminders,
    cmd_report,
    cmd_history,
    cmd_export,
    cmd_run,
    cmd_portal,
):
    module.register(app)

LONG_RUNNING = ("serve", "portal")  # keeps Prefect's warnings on its terminal; every other command speaks for itself


def main() -> None:
    """Run the CLI; user errors become one clear line on stderr and an exit code, never a traceback."""
    if not set(sys.argv[1:2]) & set(LONG_RUNNING):
        from spbe.prefect_env import quiet_console

        quiet_console()
    try:
        app()
    except SpbeError as exc:
        report(exc)
    except KeyboardInterrupt:
        from spbe.i18n import _

        sys.stderr.write(_("interrupted") + "\n")
        sys.exit(130)
    except Exception as exc:
        from spbe.prefect_env import prefect_outage

        outage = prefect_outage(exc)
        if outage is not None:
            report(outage)
        unexpected(exc)


def report(exc: SpbeError) -> None:
    from spbe.i18n import _

    sys.stderr.write(_("error: {message}").format(message=exc) + "\n")
    if exc.flow_run_id:
        run = _("(flow run {id})").format(id=exc.flow_run_id + (f"  {exc.ui_url}" if exc.ui_url else ""))
        sys.stderr.write(run + "\n")
    sys.exit(exc.exit_code)


def unexpected(exc: BaseException) -> None:
    """A bug, not an input: one line that says so; SPBE_DEBUG=1 shows the traceback to report it."""
    from spbe.settings import get_settings

    try:
        debug = get_settings().debug
    except SpbeError:
        debug = False
    if debug:
        raise exc
    sys.stderr.write(
        f"galat: kesalahan internal (internal error) {exc.__class__.__name__}: {str(exc)[:300]}\n"
        "jalankan lagi dengan SPBE_DEBUG=1 untuk melihat traceback-nya dan laporkan ke pengembang\n"
    )
    sys.exit(1)


if __name__ == "__main__":
    main()
