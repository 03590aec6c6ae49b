"""Errors that the command line reports as one clear line (no traceback)."""


class AudiopalmError(Exception):
    """A user-facing error: bad input, a missing tool, a refused operation."""


def first_line(e: BaseException) -> str:
    """An exception's message cut to its first line (its type's name when it has none)."""
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
