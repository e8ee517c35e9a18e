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
        try:
            data = json.loads(text)
            fields = {k: data[k] for k in ("op", "params", "model_id", "model_sha256", "tool_version")}
            return cls(**fields, mode=data.get("mode", "learned"), payload=bool(data.get("payload", False)))
        except (ValueError, KeyError, TypeError) as exc:
            raise RestorableError(f"damaged provenance record ({exc.__class__.__name__})") from None


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
