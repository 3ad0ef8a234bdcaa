"""`python -m spbe.cli.background`: the background engine a first phase command starts (spbe.flow_client), with
the CLI's entry registered so that it also answers read commands (spbe.cli.entry). Started by spbe commands,
not by hand."""

from __future__ import annotations

from spbe.cli.main import main
from spbe.flow_service import answer_commands_with, run_background

if __name__ == "__main__":
    answer_commands_with(main)
    run_background()
