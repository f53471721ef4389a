"""The throw-away warehouse's one error type, reported by `command_line.run_command` in one line."""

from command_line import UserError


class ScratchError(UserError):
    """A user mistake or an AWS refusal, said in one sentence."""
