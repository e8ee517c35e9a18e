"""Where the project keeps files on the user's machine."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The user cache (platformdirs), overridable by ``RESTORABLE_CACHE``."""
    override = os.environ.get("RESTORABLE_CACHE")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("restorable"))
