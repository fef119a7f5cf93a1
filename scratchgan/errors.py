"""Errors a user can cause and fix: bad files, bad flags, bad checkpoints.

The command-line entry points catch `ScratchganError`, print its message as one line
on stderr and exit with status 2, so the message must name the file or flag at fault
and say what is wrong with it.
"""


def escape_newlines(text):
    """``text`` with line breaks written as \\n and \\r, so it stays one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class ScratchganError(Exception):
    """A problem with the user's input, reported as one line without a traceback."""


class DataError(ScratchganError):
    """A data file or folder that is missing, malformed or fails verification."""


class CheckpointError(ScratchganError):
    """A checkpoint that is missing, corrupt or built for another architecture."""
