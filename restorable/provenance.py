"""Provenance stored inside processed files, so that ``restore`` needs no flags.

PNG: an iTXt chunk named ``restorable``; JPEG: a COM (comment) segment starting
with ``restorable:``; TIFF: the ImageDescription tag, as the JPEG comment; WebP: an XMP
packet with the JSON in base64. All hold the same JSON: operator, parameters, model id
and sha256, tool version, and what the processed pixels were (their size and a
coarse fingerprint), so that ``restore`` can tell a file that was resized,
cropped, rotated or edited since.

Record version 2 (restorable 0.2) adds the transform family (``effect``,
``gray``, ...), the original's geometry (size, channels, EXIF orientation) and
the number of inputs; a packed file (family ``pack``) lists its images
(``members``: name and geometry of each, in order, and the EXIF and ICC profile of every image but the
first, base64, whose own travel in the packed file). Version 1 records (no ``version`` key) read as an
``effect`` of one RGB input of the processed size.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass

from restorable.errors import RestorableError

PNG_KEY = "restorable"
JPEG_PREFIX = b"restorable:"
XMP_HEAD = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description xmlns:restorable="https://github.com/restorable/ns/1.0/"><restorable:record>')
XMP_TAIL = "</restorable:record></rdf:Description></rdf:RDF></x:xmpmeta>"
# A record is a few hundred bytes, a packed file's up to MEMBER_METADATA_BYTES more (its images' EXIF and
# profiles); anything longer is not one of ours. A JPEG comment holds at most 65,533 bytes.
MEMBER_METADATA_BYTES = 48_000
MAX_RECORD_BYTES = MEMBER_METADATA_BYTES + 16_384
_HEX = set("0123456789abcdef")
RECORD_VERSION = 2  # what this tool writes; it reads 1 and 2
MAX_BEFORE = 8  # records of processed files processed again, kept in the new one (``Provenance.before``)


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
    size = data.get("size")
    if size is not None and not (
        isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size)
    ):
        raise ValueError("size is not a width and height")
    thumb = data.get("thumb")
    if thumb is not None and not (isinstance(thumb, str) and len(thumb) == 2 * FINGERPRINT_SIDE**2 and set(thumb) <= _HEX):
        raise ValueError("thumb is not a fingerprint")
    if not isinstance(data.get("family", "effect"), str):
        raise ValueError("family is not text")
    inputs = data.get("inputs", 1)
    if isinstance(inputs, bool) or not isinstance(inputs, int) or not 1 <= inputs <= 64:
        raise ValueError("inputs is not a count")
    original = data.get("original")
    if original is not None:
        if not isinstance(original, dict):
            raise ValueError("original is not an object")
        _check_geometry(original, "original")
    members = data.get("members")
    if members is not None:
        if not isinstance(members, list) or len(members) != inputs:
            raise ValueError("members is not one entry per input")
        for member in members:
            if not isinstance(member, dict) or not plain_name(member.get("name")):
                raise ValueError("a member's name is not a plain file name")
            _check_geometry(member, "member")
            for key in ("exif", "icc"):
                if key in member and not _is_base64(member[key]):
                    raise ValueError(f"a member's {key} is not base64")
    return data


def _is_base64(value: object) -> bool:
    try:
        return isinstance(value, str) and bool(base64.b64decode(value, validate=True))
    except binascii.Error:
        return False


def plain_name(name: object) -> bool:
    """A file name without folders, of a sane length (a packed file's member names are written as they are)."""
    return (
        isinstance(name, str) and 0 < len(name) <= 255 and "/" not in name and "\\" not in name
        and name not in (".", "..") and "\x00" not in name
    )


def _check_geometry(entry: dict, what: str) -> None:
    size = entry.get("size")
    if not (isinstance(size, list) and len(size) == 2 and all(_positive_int(v) for v in size)):
        raise ValueError(f"{what} size is not a width and height")
    if entry.get("channels") not in (1, 3):
        raise ValueError(f"{what} channels is not 1 or 3")
    if entry.get("orientation", 1) not in range(1, 9):
        raise ValueError(f"{what} orientation is not an EXIF orientation")


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


# The fingerprint: mean luma of a FINGERPRINT_SIDE x FINGERPRINT_SIDE grid of the processed pixels.
FINGERPRINT_SIDE = 12
# Mean difference (8-bit levels) up to which a fingerprint still matches: JPEG re-encoding
# moves block means by ~1 level; a rotation, flip or edit by tens.
FINGERPRINT_TOLERANCE = 6.0
# The most one cell may differ: JPEG moves none by more than 1 level (quality 30 to 95, measured on
# tests/data/cups_511x383.jpg's l0 result, cells of 43x32 pixels); a red 40x40 square painted on it moved one
# by 63, 20x20 by 12. Cells of a few pixels move more under JPEG (96x72 at quality 30: 4 levels; 24x18 at 50:
# 23), so the check needs cells of at least FINGERPRINT_CELL_PIXELS on their short side.
FINGERPRINT_CELL_TOLERANCE = 24
FINGERPRINT_CELL_PIXELS = 6


def fingerprint(rgb) -> str:
    """Coarse content of an (H, W, 3) uint8 image, as hex (survives JPEG, not rotation or edits)."""
    from PIL import Image

    grid = Image.fromarray(rgb).convert("L").resize((FINGERPRINT_SIDE, FINGERPRINT_SIDE), Image.BOX)
    return grid.tobytes().hex()


def fingerprint_differences(a: str, b: str) -> list[int]:
    """The absolute difference in 8-bit levels of each cell of two fingerprints."""
    return [abs(x - y) for x, y in zip(bytes.fromhex(a), bytes.fromhex(b))]


def fingerprint_distance(a: str, b: str) -> float:
    """Mean absolute difference in 8-bit levels between two fingerprints."""
    differences = fingerprint_differences(a, b)
    return sum(differences) / len(differences)


@dataclass(frozen=True)
class Original:
    """The geometry of the photo a file was made from: what ``restore`` gives back."""

    size: tuple[int, int]  # width, height (EXIF orientation applied)
    channels: int = 3  # 3: colour, 1: a grey photo
    orientation: int = 1  # the EXIF orientation it had (its pixels were turned upright)


@dataclass(frozen=True)
class Member:
    """One image of a packed file: its file name, geometry and metadata (what ``unpack`` writes back).

    ``exif`` and ``icc``: the image's EXIF and ICC profile, base64 (None: it had none, or it is the first image,
    whose metadata are the packed file's own)."""

    name: str
    size: tuple[int, int]
    channels: int = 3
    orientation: int = 1
    exif: str | None = None
    icc: str | None = None


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
    size: tuple[int, int] | None = None  # width, height of the processed pixels (files since 0.x: None before)
    thumb: str | None = None  # fingerprint() of the processed pixels
    family: str = "effect"  # the transform family (restorable.transforms); version 1 files: effect
    original: Original | None = None  # version 2: the original's geometry
    inputs: int = 1  # how many photos the file holds
    members: tuple[Member, ...] | None = None  # a packed file: its images, in order
    version: int = RECORD_VERSION  # of the record format; read from the file (1 when it has none)
    before: Provenance | None = None  # made from a processed file: that file's record, which restore gives back

    @property
    def depth(self) -> int:
        """How many records this one is: 1, plus those of the files it was made from (``before``)."""
        return 1 + (self.before.depth if self.before is not None else 0)

    def to_json(self) -> str:
        record = {k: v for k, v in asdict(self).items() if v is not None and k != "before"}
        if self.members:
            record["members"] = [{k: v for k, v in m.items() if v is not None} for m in record["members"]]
        if self.before is not None:
            record["before"] = json.loads(self.before.to_json())
        return json.dumps(record, sort_keys=True, separators=(",", ":"))

    def check_pixels(self, rgb) -> str | None:
        """Why ``rgb`` (H, W, 3) is not the image this record was made for, or None when it is."""
        height, width = rgb.shape[:2]
        if self.size is not None and tuple(self.size) != (width, height):
            made_w, made_h = self.size
            turned = " (turned by 90 degrees?)" if (made_w, made_h) == (height, width) else ""
            return f"it is {width}x{height} but was made {made_w}x{made_h}: resized or cropped since{turned}"
        if self.thumb is not None:
            differences = fingerprint_differences(fingerprint(rgb), self.thumb)
            distance = sum(differences) / len(differences)
            if distance > FINGERPRINT_TOLERANCE:
                return f"its content differs from what was made ({distance:.0f} levels on average): rotated, flipped or edited since"
            worst = max(differences)  # a local edit
            if worst > FINGERPRINT_CELL_TOLERANCE and min(height, width) >= FINGERPRINT_CELL_PIXELS * FINGERPRINT_SIDE:
                return f"a part of it differs from what was made (by {worst} levels): edited there since"
        return None

    @classmethod
    def from_json(cls, text: str | bytes) -> Provenance:
        """Parse and check a record; a one-line :class:`RestorableError` for anything else."""
        try:
            if len(text) > MAX_RECORD_BYTES:
                raise ValueError("too long")
            return cls._from_data(json.loads(text), MAX_BEFORE)
        except (ValueError, RecursionError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) and not isinstance(exc, json.JSONDecodeError) else "not JSON"
            raise RestorableError(f"damaged restorable record ({reason})") from None

    @classmethod
    def _from_data(cls, data: object, nesting: int) -> Provenance:
        """The record of parsed JSON ``data`` holding up to ``nesting`` records it was made from; ValueError."""
        version = data.get("version", 1) if isinstance(data, dict) else 1
        if isinstance(version, int) and not isinstance(version, bool) and version > RECORD_VERSION:
            raise RestorableError(
                f"this file was made by a newer restorable (record version {version}; this one reads up to"
                f" {RECORD_VERSION}): upgrade restorable to restore it"
            )
        if version not in (1, 2) or isinstance(version, bool):
            raise ValueError("unknown version")
        data = _check_record(data)
        data["version"] = version
        before = data.get("before")
        if before is not None:
            if nesting <= 0:
                raise ValueError(f"more than {MAX_BEFORE} records it was made from")
            before = cls._from_data(before, nesting - 1)
        fields = {k: data[k] for k in ("op", "params", "model_id", "model_sha256", "tool_version")}
        size = tuple(data["size"]) if data.get("size") else None
        original = data.get("original")
        if original is not None:
            original = Original(tuple(original["size"]), original["channels"], original.get("orientation", 1))
        members = data.get("members")
        if members is not None:
            members = tuple(
                Member(m["name"], tuple(m["size"]), m["channels"], m.get("orientation", 1), m.get("exif"), m.get("icc"))
                for m in members
            )
        return cls(
            **fields, mode=data.get("mode", "learned"), payload=data.get("payload", False), size=size, thumb=data.get("thumb"),
            family=data.get("family", "effect"), original=original, inputs=data.get("inputs", 1), members=members,
            version=data["version"], before=before,
        )


def read_provenance(img) -> Provenance | None:
    """The record an opened Pillow image carries (PNG text, JPEG comment, TIFF ImageDescription or WebP XMP),
    or None when it has none; a one-line :class:`RestorableError` when it is damaged."""
    text = img.info.get(PNG_KEY)
    if text is not None:
        return Provenance.from_json(text)
    comment = img.info.get("comment")
    if isinstance(comment, bytes) and comment.startswith(JPEG_PREFIX):
        return Provenance.from_json(comment[len(JPEG_PREFIX) :])
    tags = getattr(img, "tag_v2", None)
    description = tags.get(270) if tags is not None else None
    if isinstance(description, str) and description.startswith(JPEG_PREFIX.decode()):
        return Provenance.from_json(description[len(JPEG_PREFIX) :])
    xmp = img.info.get("xmp")
    if isinstance(xmp, bytes) and XMP_HEAD.encode() in xmp:
        body = xmp.split(XMP_HEAD.encode(), 1)[1].split(XMP_TAIL.encode(), 1)[0]
        try:
            return Provenance.from_json(base64.b64decode(body, validate=True))
        except binascii.Error:
            raise RestorableError("damaged restorable record (not base64)") from None
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
    if fmt == "TIFF":  # the ImageDescription tag
        return {"description": (JPEG_PREFIX + provenance.to_json().encode()).decode()}
    if fmt == "WEBP":  # an XMP packet whose one element holds the record, base64 (no XML escaping to get wrong)
        record = base64.b64encode(provenance.to_json().encode()).decode()
        return {"xmp": (XMP_HEAD + record + XMP_TAIL).encode()}
    return {}
