"""The project's exception type: anything the user can fix."""


class RestorableError(Exception):
    """Bad input or a missing resource; the CLI prints it as one line."""
