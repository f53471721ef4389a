"""The landing's one error type: a user's mistake or an AWS refusal, reported by
`command_line.run_command` as one line."""

from __future__ import annotations

from command_line import UserError


class IngestError(UserError):
    """A problem with the user's input or environment, reported without a traceback."""
