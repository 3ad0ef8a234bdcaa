"""The `spbe` command. Each feature registers its commands from its own module; imports stay lazy
so that quick commands (score, timeline) start in a fraction of a second.

Help pages speak the person's language (SPBE_LANG): the help texts in spbe/cli/ are English msgids, put into
the language only when a help page or a usage line is shown (see `speak_help_in_language`), never at import.

Exit codes: 0 done; 1 bad input or configuration; 2 refused by a rule or a role (also a usage error);
3 an outage (the store or the Prefect server unavailable: try again); 130 interrupted. A typed error is
one message on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

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
from spbe.i18n import N_

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

Command = typer.core.TyperGroup | typer.core.TyperCommand

# typer's own words on a help page or a usage error (typer.rich_utils reads these names when it draws one);
# the vendored click of typer 0.28 has no gettext hook, so "Usage: " and the help option's text are put in here too.
RICH_WORDS = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEPRECATED_STRING": N_("(deprecated) "),
}
USAGE_PREFIX = N_("Usage: ")
OPTIONS_METAVAR = N_("[OPTIONS]")
SUBCOMMAND_METAVAR = N_("COMMAND [ARGS]...")
HELP_OPTION_HELP = N_("Show this message and exit.")  # the --help option's own help: translated as any option's


def commands_of(command: Command) -> Iterator[Command]:
    """`command` and every command below it."""
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from commands_of(sub)


class _HelpFormatter(typer.Context.formatter_class):
    """Click's formatter, its "Usage: " in the person's language (click writes it as a literal)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        from spbe.i18n import _

        super().write_usage(prog, args, _(USAGE_PREFIX) if prefix is None else prefix)


class HelpContext(typer.Context):
    """Every help page and usage line starts by making a formatter: the moment to put the command tree's help
    texts into the person's language, once, and not before (a command that shows no help pays nothing)."""

    formatter_class = _HelpFormatter

    def make_formatter(self):
        speak_help_in_language(self)
        return super().make_formatter()


def speak_help_in_language(ctx: typer.Context) -> None:
    """Translate, in place and once per process, the help of every command and parameter of the tree `ctx`
    belongs to, and typer's own words. Msgids are `inspect.cleandoc`-ed texts, as spbe.i18n_catalog extracts
    them (and as typer shows them)."""
    import inspect

    from spbe.i18n import _

    root = ctx.find_root().command
    if getattr(root, "_spoken_language", False):
        return
    for command in commands_of(root):
        for holder in (command, *command.params, command.get_help_option(ctx)):
            if holder is not None and holder.help:
                holder.help = _(inspect.cleandoc(holder.help))
        if command.short_help:
            command.short_help = _(inspect.cleandoc(command.short_help))
        if command.options_metavar == OPTIONS_METAVAR:
            command.options_metavar = _(OPTIONS_METAVAR)
        if getattr(command, "subcommand_metavar", None) == SUBCOMMAND_METAVAR:
            command.subcommand_metavar = _(SUBCOMMAND_METAVAR)
    if typer.core.HAS_RICH:
        from typer import rich_utils

        for name, word in RICH_WORDS.items():
            setattr(rich_utils, name, _(word))
    root._spoken_language = True


def command_tree() -> Command:
    """The click command of `app`, every context of it able to speak help in the person's language."""
    root = typer.main.get_command(app)
    for command in commands_of(root):
        command.context_class = HelpContext
    return root


LONG_RUNNING = ("serve", "portal")  # keeps Prefect's warnings on its terminal; every other command speaks for itself


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors become one clear line on stderr and an exit code, never a traceback.
    `argv` (default: the process's) lets the engine answer a read command (spbe.cli.entry) the same way."""
    args = sys.argv[1:] if argv is None else argv
    if not set(args[:1]) & set(LONG_RUNNING):
        from spbe.prefect_env import quiet_console

        quiet_console()
    elif args[0] == "serve":  # the engine it starts answers read commands with this very entry
        from spbe.flow_service import answer_commands_with

        answer_commands_with(main)
    try:
        command_tree()(args=args, prog_name="spbe")
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
