"""Uploads and results in a private temporary folder: no path from the client is ever opened.

Every upload or job gets a folder named by a random token; the client only ever names tokens and
the file names this module made. The whole folder is deleted when the server stops.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
from pathlib import Path

from restorable.errors import RestorableError

_TOKEN = re.compile(r"^[0-9a-f]{16}$")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str, default: str = "photo") -> str:
    """A file name for downloads built from a client's name: its last part, safe characters only."""
    base = _SAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip("._")
    return base[:100] or default


class TooLarge(RestorableError):
    """An upload over the size limit."""


class Store:
    """A private folder (mode 0700) of token-named subfolders."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="restorable-serve-"))

    def new(self) -> tuple[str, Path]:
        """A new (token, folder)."""
        token = secrets.token_hex(8)
        folder = self.root / token
        folder.mkdir()
        return token, folder

    def folder(self, token: str) -> Path:
        """The folder of ``token``; a one-line error for anything that is not one of ours."""
        if not isinstance(token, str) or not _TOKEN.match(token) or not (self.root / token).is_dir():
            raise RestorableError("unknown upload or result (the server may have restarted): upload the photo again")
        return self.root / token

    def drop(self, token: str) -> None:
        """Delete one token's folder (a refused upload)."""
        shutil.rmtree(self.folder(token), ignore_errors=True)

    def close(self) -> None:
        """Delete everything (on exit)."""
        shutil.rmtree(self.root, ignore_errors=True)
