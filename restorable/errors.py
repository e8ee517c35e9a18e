"""The project's exception type: anything the user can fix."""


class RestorableError(Exception):
    """Bad input or a missing resource; the CLI prints it as one line."""


def one_line(text: str) -> str:
    """``text`` with its line breaks and runs of spaces folded into single spaces."""
    return " ".join(str(text).split())
