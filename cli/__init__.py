"""The `simrev` command line (see `cli.main`)."""

from __future__ import annotations

import os
import signal
import sys

INTERRUPTED = "simrev: interrupted; previous results are untouched"


def _interrupted_while_starting(signum: int, _frame: object) -> None:
    """Ctrl-C or SIGTERM while the command is still importing: nothing is running and
    nothing is written yet, so say so in one line and go."""
    sys.stderr.write(INTERRUPTED + "\n")
    sys.stderr.flush()
    os._exit(130)


def entry() -> None:
    """The `simrev` program: one line and exit 130 on an interrupt from the very start
    (`cli.main` takes over the signals once its imports are done)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupted_while_starting)
    from cli.main import main

    main()
