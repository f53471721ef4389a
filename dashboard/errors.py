"""The one exception type a user sees: its message is a single clear sentence."""


class DashboardError(Exception):
    """A problem with the user's input or environment, reported as `error: ...` without a traceback."""
