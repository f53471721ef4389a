"""How every command line of the project reports to its user: a `UserError` (each job's own
error type derives from it) is one line on stderr, `error: ...`, and exit status 2, never a
traceback; Ctrl-C, `kill` and a closed terminal are `error: interrupted.` and exit status 130.
Progress goes to stderr, so stdout stays the command's result."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable


class UserError(Exception):
    """A problem with the user's input or environment, said in one sentence."""


def _interrupt(signal_number: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_command(command: Callable[[], int]) -> int:
    """Run a command's work and return its exit status, reporting a user's mistake in one line."""
    # `kill` and a closed terminal stop a command the way Ctrl-C does: what it was writing is removed.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        return command()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130


def progress_line(command: str) -> Callable[[str], None]:
    """Where a long command says how far it got: stderr, so stdout stays the result."""

    def say(message: str) -> None:
        print(f"{command}: {message}", file=sys.stderr, flush=True)

    return say
