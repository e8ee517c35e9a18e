"""Provenance stored inside processed files, so that ``restore`` needs no flags.

PNG: an iTXt chunk named ``restorable``; JPEG: a COM (comment) segment starting
with ``restorable:``. Both hold the same JSON: operator, parameters, model id
and sha256, tool version.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from restorable.errors import RestorableError

PNG_KEY = "restorable"
JPEG_PREFIX = b"restorable:"
# A record is a few hundred bytes; anything much longer is not one of ours.
MAX_RECORD_BYTES = 16_384
_HEX = set("0123456789abcdef")


def _check_record(data: object) -> dict:
    """The record's fields with their types checked; ValueError naming the first wrong one."""
    if not isinstance(data, dict):
        raise ValueError("not an object")
    for key in ("op", "model_id", "model_sha256", "tool_version"):
        if not isinstance(data.get(key), str):
            raise ValueError(f"{key} is not text")
    sha = data["model_sha256"]
    if sha and (len(sha) != 64 or not set(sha) <= _HEX):
        raise ValueError("model_sha256 is not a sha256")
    params = data.get("params")
    if not isinstance(params, dict) or not all(
        isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) for k, v in params.items()
    ):
        raise ValueError("params is not a table of numbers")
    if data.get("mode", "learned") not in ("learned", "exact"):
        raise ValueError("unknown mode")
    if not isinstance(data.get("payload", False), bool):
        raise ValueError("payload is not true/false")
    return data


@dataclass(frozen=True)
class Provenance:
    """What produced a processed file."""

    op: str
    params: dict
    model_id: str
    model_sha256: str
    tool_version: str
    mode: str = "learned"  # learned | exact
    payload: bool = False  # the pixels carry a payload (always in exact mode)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Provenance:
        """Parse and check a record; a one-line :class:`RestorableError` for anything else."""
        try:
            if len(text) > MAX_RECORD_BYTES:
                raise ValueError("too long")
            data = _check_record(json.loads(text))
        except (ValueError, RecursionError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) and not isinstance(exc, json.JSONDecodeError) else "not JSON"
            raise RestorableError(f"damaged restorable record ({reason})") from None
        fields = {k: data[k] for k in ("op", "params", "model_id", "model_sha256", "tool_version")}
        return cls(**fields, mode=data.get("mode", "learned"), payload=data.get("payload", False))


def read_provenance(info: dict) -> Provenance | None:
    """Provenance from a Pillow image's ``info`` (PNG text or JPEG comment), or None when absent."""
    text = info.get(PNG_KEY)
    if text is not None:
        return Provenance.from_json(text)
    comment = info.get("comment")
    if isinstance(comment, bytes) and comment.startswith(JPEG_PREFIX):
        return Provenance.from_json(comment[len(JPEG_PREFIX) :])
    return None


def save_options(fmt: str, provenance: Provenance | None) -> dict:
    """Pillow ``save`` keyword arguments that embed ``provenance`` for format ``fmt``."""
    if provenance is None:
        return {}
    if fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_itxt(PNG_KEY, provenance.to_json())
        return {"pnginfo": info}
    if fmt == "JPEG":
        return {"comment": JPEG_PREFIX + provenance.to_json().encode()}
    return {}
