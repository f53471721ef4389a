"""The exceptions a user sees: each message is a single clear sentence, never a traceback."""


class BenchError(Exception):
    """A problem with the user's input or environment (exit status 2)."""

    exit_code = 2


class BenchFailed(BenchError):
    """A step failed or a result check found a difference (exit status 1)."""

    exit_code = 1
