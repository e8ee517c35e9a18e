"""The payload header: magic, kind, layout, size of the image it belongs to, length and CRC-32 of the body.

Layout (28 bytes, big-endian): magic ``RSTRPL`` (6) | version u8 | kind u8 |
layout u8 | codec u8 | height u32 | width u32 | body length u32 | crc32 u32 |
reserved u16. The CRC covers the first 22 bytes, a ``context`` that is not
stored (for a refinement: the sha256 of the network whose restoration it
corrects) and the body, so a payload cut, shifted (crop, resize), re-encoded
(JPEG) or read with other weights is rejected, never decoded.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from restorable.payload import carrier

MAGIC = b"RSTRPL"
VERSION = 1
KINDS = {1: "exact", 2: "refine"}
CODECS = {1: "jpeg2000"}
FIELDS = ">6sBBBBIII"  # then crc32 (u32) and a reserved u16
FIELDS_SIZE = struct.calcsize(FIELDS)  # 22
SIZE = FIELDS_SIZE + 6  # 28

# How the bytes sit in the pixels: code -> (name, reader of the first n bytes, capacity in bytes).
LAYOUTS = {
    2: ("nearest2", lambda image, n: carrier.read(image, n, 2), lambda shape: carrier.capacity_bits(shape, 2) // 8),
    9: ("hamming", carrier.read_hamming, carrier.hamming_capacity_bytes),
}
LAYOUT_CODES = {name: code for code, (name, _, _) in LAYOUTS.items()}


class PayloadMissing(Exception):
    """No intact payload in this image (never embedded, or damaged since)."""


@dataclass(frozen=True)
class Payload:
    kind: str  # exact | refine
    layout: str  # nearest2 | hamming
    body: bytes  # the coded image (JPEG 2000)


def pack(payload: Payload, height: int, width: int, context: bytes = b"") -> bytes:
    """Header + body, ready to be written with the payload's layout."""
    kind = {v: k for k, v in KINDS.items()}[payload.kind]
    fields = struct.pack(FIELDS, MAGIC, VERSION, kind, LAYOUT_CODES[payload.layout], 1, height, width, len(payload.body))
    crc = zlib.crc32(payload.body, zlib.crc32(fields + context))
    return fields + struct.pack(">IH", crc, 0) + payload.body


def capacity(layout: str, shape: tuple[int, ...]) -> int:
    """Body bytes an image of ``shape`` holds in ``layout`` (after the header)."""
    return LAYOUTS[LAYOUT_CODES[layout]][2](shape) - SIZE


def find(image: np.ndarray, layouts: tuple[str, ...] = ("nearest2", "hamming"), context: bytes = b"") -> Payload:
    """The intact payload of an (H, W, 3) uint8 image, or raise :class:`PayloadMissing` saying why."""
    height, width = image.shape[:2]
    why = "no payload"
    for layout in layouts:
        code = LAYOUT_CODES[layout]
        _, read, room = LAYOUTS[code]
        if room(image.shape) < SIZE:
            continue
        head = read(image, SIZE)
        magic, version, kind, stored_layout, codec, h, w, length = struct.unpack(FIELDS, head[:FIELDS_SIZE])
        if magic != MAGIC:
            continue
        if version != VERSION or kind not in KINDS or codec not in CODECS or stored_layout != code:
            why = "a payload of an unknown version"
            continue
        if (h, w) != (height, width):
            why = f"a payload made for a {w}x{h} image (this one was resized or cropped)"
            continue
        if SIZE + length > room(image.shape):
            why = "a damaged payload (length)"
            continue
        body = read(image, SIZE + length)[SIZE:]
        (crc,) = struct.unpack(">I", head[FIELDS_SIZE : FIELDS_SIZE + 4])
        if zlib.crc32(body, zlib.crc32(head[:FIELDS_SIZE] + context)) != crc:
            why = "a damaged payload (checksum): the file was edited or re-encoded, or other weights read it"
            continue
        return Payload(KINDS[kind], layout, body)
    raise PayloadMissing(why)
