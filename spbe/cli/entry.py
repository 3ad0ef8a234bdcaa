"""The `spbe` command's first step: a read command (status, audit, timeline) is answered by the engine already
running for this data directory, when there is one, before anything heavy is imported.

A fresh process spends about 0.9 s importing SQLAlchemy, pydantic and the store's tables before `spbe status`
reads a row; the engine (`spbe serve`, or the background one a phase command starts) has them loaded. The
command sends its arguments, actor and language over 127.0.0.1 with the engine's token (spbe.flow_client),
and prints what comes back; the engine runs the very same command (spbe.cli.main) with its output captured.
Anything else, or an engine that is absent, busy with other settings or gone, runs here as always. Commands
that name files (`timeline --config`) run here: a relative path means this process's folder.
"""

from __future__ import annotations

import sys

LOCAL_ONLY = ("-h", "--help", "--config", "-c")  # help pages and file arguments: this process's own business


def main() -> None:
    from spbe.flow_client import READ_COMMANDS

    argv = sys.argv[1:]
    if argv[:1] and argv[0] in READ_COMMANDS and not any(a.split("=", 1)[0] in LOCAL_ONLY for a in argv[1:]):
        answer = answered_by_engine(argv)
        if answer is not None:
            code, out, err = answer
            sys.stdout.write(out)
            sys.stderr.write(err)
            sys.exit(code)
    from spbe.cli.main import main as run_here

    run_here()


def answered_by_engine(argv: list[str]) -> tuple[int, str, str] | None:
    """(exit code, stdout, stderr) from the engine, or None when this process must answer itself."""
    from spbe.errors import SpbeError
    from spbe.flow_client import EngineGone, fingerprint, read_info, request

    try:
        from spbe.settings import get_settings

        settings = get_settings()
    except SpbeError:
        return None  # a bad setting: the command itself says so, in full
    info = read_info(settings.data_dir)
    mine = fingerprint(settings)
    if info is None or info.get("fingerprint") != mine:
        return None
    body = {"argv": argv, "actor": settings.actor, "language": settings.language, "fingerprint": mine}
    try:
        answer = request(info, "POST", "/command", body, timeout=60)
    except EngineGone:
        return None
    if not isinstance(answer.get("code"), int):
        return None  # an engine from before this door, or one that declined (other language): run here
    return answer["code"], str(answer.get("out", "")), str(answer.get("err", ""))
