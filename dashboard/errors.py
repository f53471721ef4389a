"""The dashboard's one error type: its message is a single clear sentence."""

from command_line import UserError


class DashboardError(UserError):
    """A problem with the user's input or environment, reported as `error: ...` without a traceback."""
