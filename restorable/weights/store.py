"""Where an operator's weights file comes from, in order: ``--weights PATH``, the user cache,
the weights bundled in the package, a download from the manifest (never when
``RESTORABLE_OFFLINE=1``). Every manifest file is checked against its sha256
each time it is resolved; a damaged cache file is fetched again.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from restorable.errors import RestorableError, WeightsError
from restorable.paths import cache_dir
from restorable.weights.download import FetchPolicy, fetch_file, stat_sha256
from restorable.weights.manifest import WeightsVersion, load_manifest

log = logging.getLogger(__name__)

BUNDLED = Path(__file__).parent / "bundled"
DEFAULT_POLICY = FetchPolicy()


def offline() -> bool:
    """True when ``RESTORABLE_OFFLINE`` is set to anything but empty/0/false/no."""
    return os.environ.get("RESTORABLE_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


def weights_cache() -> Path:
    """The folder of downloaded weights (inside the user cache)."""
    return cache_dir() / "weights"


def cached_path(entry: WeightsVersion) -> Path:
    """The cache file of ``entry``: named by file and sha256, so different manifests never collide."""
    stem = entry.file.removesuffix(".safetensors")
    return weights_cache() / f"{stem}-{entry.sha256[:12]}.safetensors"


def bundled_path(entry: WeightsVersion) -> Path:
    return BUNDLED / entry.file


def lock_path(entry: WeightsVersion) -> Path:
    return cache_dir() / "locks" / (cached_path(entry).name + ".lock")


def check_file(path: Path, entry: WeightsVersion) -> bool | None:
    """None when ``path`` is absent, else whether it is exactly the manifest's file."""
    if not path.is_file():
        return None
    return path.stat().st_size == entry.size and stat_sha256(path) == entry.sha256


def local_copy(entry: WeightsVersion, warn: bool = True) -> Path | None:
    """The cached or bundled file of ``entry`` if one is intact (a damaged cache file is left for
    :func:`fetch` to replace, atomically and under its lock); a damaged one is named in a warning
    that says what happens instead."""
    states = {path: check_file(path, entry) for path in (cached_path(entry), bundled_path(entry))}  # one sha256 each
    found = next((path for path, intact in states.items() if intact), None)
    for path in [p for p, intact in states.items() if intact is False] if warn else []:
        instead = f"using {found} instead" if found else "fetching the file again"
        remedy = "`restorable weights fetch` replaces it" if path == cached_path(entry) else "reinstall restorable"
        log.warning("%s is damaged (sha256 differs): %s; %s", path, instead, remedy)
    return found


def fetch(entry: WeightsVersion, policy: FetchPolicy | None = None) -> Path:
    """Download ``entry`` into the cache (checked, atomic, one process at a time)."""
    if offline():
        raise WeightsError(
            f"{entry.op}: weights {entry.file} are neither cached nor bundled, and RESTORABLE_OFFLINE is set: "
            f"run `restorable weights fetch {entry.op}` while online, or pass --weights"
        )
    urls = load_manifest().urls(entry)
    return fetch_file(urls, cached_path(entry), entry.sha256, entry.size, lock_path(entry), policy or DEFAULT_POLICY)


def find_entry(
    op: str, version: str | None = None, sha256: str | None = None, lossless: bool = False, conditioned: bool = False
) -> WeightsVersion:
    """The manifest entry of ``op``: by the sha256 recorded in a processed file, by version, or the default
    (for ``lossless`` outputs the operator's lossless version, where it has one; for ``conditioned``
    parameters away from their defaults, its conditioned version, where it has one)."""
    manifest = load_manifest()
    if sha256 is not None:
        entry = manifest.by_sha256(op, sha256)
        if entry is None:
            raise WeightsError(
                f"made with {op} weights {sha256[:12]}, which the manifest does not list: pass --weights with them"
            )
        return entry
    return manifest.entry(op, version, lossless, conditioned)


def check_weights_file(path: Path) -> Path:
    """``path``, when it is a file (a weights file named by the user); a one-line error otherwise."""
    if path.is_dir():
        raise WeightsError(f"{path}: is a folder, not a weights file")
    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    return path


def resolve_weights(
    op: str, explicit: Path | None = None, version: str | None = None, sha256: str | None = None, lossless: bool = False,
    conditioned: bool = False,
) -> Path:
    """The weights file to use for ``op`` (downloaded if needed and allowed)."""
    if explicit is not None:
        return check_weights_file(Path(explicit))
    entry = find_entry(op, version, sha256, lossless, conditioned)
    return local_copy(entry) or fetch(entry)
