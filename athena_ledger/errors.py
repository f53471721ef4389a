"""The one error a user can cause (a missing file, no credentials, a wrong workgroup): one line."""


class LedgerError(Exception):
    """A problem with the inputs or with AWS, reported as one line without a traceback."""
