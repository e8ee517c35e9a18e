"""The weights manifest: per operator and version, which file, where to get it, how to check it.

The manifest is ``weights_manifest.json`` at the top of the repository; the
package carries it as ``restorable/weights/manifest.json``. ``RESTORABLE_MANIFEST``
points to another one (a newer manifest, a private set). Schema 1::

    {"schema": 1,
     "base_url": "https://.../",                # where files live: base_url + file
     "weights": {"l0": {"default": "1",               # JPEG-robust: the API's choice, and apply's for JPEG/WebP
                        "lossless": "2",              # optional: apply's choice for PNG/TIFF outputs
                        "conditioned": "4",           # optional: for parameters away from their defaults
                        "versions": {"1": {"file": "l0-v1.safetensors", "sha256": "...", "size": 412616,
                                           "urls": [],                # more places, tried after base_url
                                           "bundled": true,           # ships inside the package
                                           "architecture": {...}, "training": {...}, "licence": "MIT"}}}}}
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from restorable.errors import RestorableError, WeightsError

PACKAGED = Path(__file__).parent / "manifest.json"
SCHEMA = 1
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class WeightsVersion:
    """One downloadable weights file of one operator."""

    op: str
    version: str
    file: str
    sha256: str
    size: int
    urls: tuple[str, ...]
    bundled: bool
    architecture: dict
    training: dict
    licence: str


@dataclass(frozen=True)
class Manifest:
    """All operators' weights; ``default[op]`` names the version used unless asked otherwise,
    ``lossless[op]`` (where given) the one for results stored losslessly (a quieter hidden code),
    ``conditioned[op]`` (where given) a conditioned network (issue 18), for settings away from the defaults."""

    path: Path
    base_url: str
    versions: dict[str, dict[str, WeightsVersion]]
    default: dict[str, str]
    lossless: dict[str, str]
    conditioned: dict[str, str] = field(default_factory=dict)

    def entry(self, op: str, version: str | None = None, lossless: bool = False, conditioned: bool = False) -> WeightsVersion:
        """The entry for ``op``: ``version``, else its conditioned version when ``conditioned`` (parameters away
        from their defaults) and it has one, else its lossless version when ``lossless`` and it has one, else
        its default."""
        if op not in self.versions:
            raise WeightsError(
                f"no weights for operator {op!r} in the manifest {self.path}: "
                f"train some with `restorable train --op {op}` and pass --weights"
            )
        version = (
            version or (self.conditioned.get(op) if conditioned else None) or (self.lossless.get(op) if lossless else None)
            or self.default[op]
        )
        if version not in self.versions[op]:
            known = ", ".join(sorted(self.versions[op]))
            raise WeightsError(f"{op}: no weights version {version!r} in the manifest (known: {known})")
        return self.versions[op][version]

    def by_sha256(self, op: str, sha256: str) -> WeightsVersion | None:
        """The version of ``op`` whose file has this sha256, if the manifest lists one."""
        for entry in self.versions.get(op, {}).values():
            if entry.sha256 == sha256:
                return entry
        return None

    def all_entries(self) -> list[WeightsVersion]:
        return [entry for op in sorted(self.versions) for entry in self.versions[op].values()]

    def urls(self, entry: WeightsVersion) -> list[str]:
        """Where to fetch ``entry``, in order: the mirror ``RESTORABLE_WEIGHTS_URL`` alone when set,
        else the manifest's base URL, then the entry's own URLs."""
        mirror = os.environ.get("RESTORABLE_WEIGHTS_URL", "").strip()
        if mirror:
            if not mirror.startswith(("http://", "https://")):
                raise WeightsError(f"RESTORABLE_WEIGHTS_URL={mirror!r}: expected an http(s) URL")
            return [join_url(mirror, entry.file)]
        found = [join_url(self.base_url, entry.file)] if self.base_url else []
        return found + [url for url in entry.urls if url not in found]


def join_url(base: str, file: str) -> str:
    return base.rstrip("/") + "/" + file


def manifest_path() -> Path:
    override = os.environ.get("RESTORABLE_MANIFEST")
    return Path(override).expanduser() if override else PACKAGED


def load_manifest(path: Path | None = None) -> Manifest:
    """Read and validate the manifest (``RESTORABLE_MANIFEST`` or the packaged one)."""
    path = Path(path) if path is not None else manifest_path()
    try:
        stat = path.stat()
    except OSError:
        raise WeightsError(f"weights manifest {path} is missing") from None
    return _load(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int, size: int) -> Manifest:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WeightsError(f"weights manifest {path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise WeightsError(f"weights manifest {path}: not valid JSON (nested too deeply)") from None
    return parse_manifest(data, path)


def _fail(path: Path, where: str, why: str) -> WeightsError:
    return WeightsError(f"weights manifest {path}: {where}: {why}")


def parse_manifest(data: object, path: Path = PACKAGED) -> Manifest:
    """Validate manifest ``data`` (parsed JSON); every problem is a one-line error naming the field."""
    if not isinstance(data, dict):
        raise _fail(path, "top level", "expected an object")
    if data.get("schema") != SCHEMA:
        raise _fail(path, "schema", f"expected {SCHEMA}, got {data.get('schema')!r}")
    base_url = data.get("base_url", "")
    if not isinstance(base_url, str) or (base_url and not base_url.startswith(("http://", "https://"))):
        raise _fail(path, "base_url", "expected an http(s) URL")
    weights = data.get("weights")
    if not isinstance(weights, dict):
        raise _fail(path, "weights", "expected an object of operators")
    versions: dict[str, dict[str, WeightsVersion]] = {}
    default: dict[str, str] = {}
    lossless: dict[str, str] = {}
    conditioned: dict[str, str] = {}
    files: set[str] = set()
    for op, spec in weights.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("versions"), dict) or not spec["versions"]:
            raise _fail(path, op, "expected {'default': ..., 'versions': {...}}")
        versions[op] = {str(v): _parse_version(path, op, str(v), entry) for v, entry in spec["versions"].items()}
        for entry in versions[op].values():
            if entry.file in files:
                raise _fail(path, f"{op}.versions.{entry.version}.file", f"{entry.file} is used by another entry")
            files.add(entry.file)
        default[op] = str(spec.get("default", ""))
        if default[op] not in versions[op]:
            raise _fail(path, f"{op}.default", f"{default[op]!r} is not one of its versions")
        for role, chosen in (("lossless", lossless), ("conditioned", conditioned)):
            if role in spec:
                chosen[op] = str(spec[role])
                if chosen[op] not in versions[op]:
                    raise _fail(path, f"{op}.{role}", f"{chosen[op]!r} is not one of its versions")
    return Manifest(path, base_url, versions, default, lossless, conditioned)


def _parse_version(path: Path, op: str, version: str, entry: object) -> WeightsVersion:
    where = f"{op}.versions.{version}"
    if not isinstance(entry, dict):
        raise _fail(path, where, "expected an object")
    checks = {
        "file": lambda v: isinstance(v, str) and bool(_FILE.match(v)) and v.endswith(".safetensors"),
        "sha256": lambda v: isinstance(v, str) and bool(_SHA256.match(v)),
        "size": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
        "urls": lambda v: isinstance(v, list) and all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in v),
        "bundled": lambda v: isinstance(v, bool),
        "architecture": lambda v: isinstance(v, dict),
        "training": lambda v: isinstance(v, dict),
        "licence": lambda v: isinstance(v, str) and bool(v),
    }
    hints = {
        "file": "a plain file name ending in .safetensors",
        "sha256": "64 lowercase hex digits",
        "size": "a positive number of bytes",
        "urls": "a list of http(s) URLs",
        "bundled": "true or false",
    }
    for key, ok in checks.items():
        if key not in entry:
            raise _fail(path, f"{where}.{key}", "missing")
        if not ok(entry[key]):
            raise _fail(path, f"{where}.{key}", f"expected {hints.get(key, 'an object' if key != 'licence' else 'a licence name')}")
    return WeightsVersion(
        op, version, entry["file"], entry["sha256"], entry["size"], tuple(entry["urls"]), entry["bundled"],
        entry["architecture"], entry["training"], entry["licence"],
    )
