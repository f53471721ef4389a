"""The one error a user can cause (a missing file, a wrong folder): reported in one line."""


class EstimateError(Exception):
    """A problem with the inputs, reported as one line without a traceback."""
