"""The one exception type a user sees: its message is a single clear sentence."""


class IngestError(Exception):
    """A problem with the user's input or environment, reported without a traceback."""
