"""Errors that the command line reports as one clear line (no traceback)."""


class AudiopalmError(Exception):
    """A user-facing error: bad input, a missing tool, a refused operation."""
