"""The payload header: magic, kind, size of the image it belongs to, length and CRC-32 of the body.

Layout (28 bytes, big-endian): magic ``RSTRPL`` (6) | version u8 | kind u8 |
bits u8 | codec u8 | height u32 | width u32 | body length u32 | crc32 u32 |
reserved u16. The CRC covers the first 22 bytes and the body, so a payload
cut, shifted (crop, resize) or re-encoded (JPEG) is rejected, never decoded.
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


class PayloadMissing(Exception):
    """No intact payload in this image (never embedded, or damaged since)."""


@dataclass(frozen=True)
class Payload:
    kind: str  # exact | refine
    bits: int  # low bits per RGB value that carry it
    body: bytes  # the coded image (JPEG 2000)


def pack(payload: Payload, height: int, width: int) -> bytes:
    """Header + body, ready for :func:`carrier.write`."""
    kind = {v: k for k, v in KINDS.items()}[payload.kind]
    fields = struct.pack(FIELDS, MAGIC, VERSION, kind, payload.bits, 1, height, width, len(payload.body))
    crc = zlib.crc32(payload.body, zlib.crc32(fields))
    return fields + struct.pack(">IH", crc, 0) + payload.body


def find(image: np.ndarray, bits_options: tuple[int, ...] = (2, 1)) -> Payload:
    """The intact payload of an (H, W, 3) uint8 image, or raise :class:`PayloadMissing` saying why."""
    height, width = image.shape[:2]
    why = "no payload"
    for bits in bits_options:
        if carrier.capacity_bits(image.shape, bits) < SIZE * 8:
            continue
        head = carrier.read(image, SIZE, bits)
        magic, version, kind, stored_bits, codec, h, w, length = struct.unpack(FIELDS, head[:FIELDS_SIZE])
        if magic != MAGIC:
            continue
        if version != VERSION or kind not in KINDS or codec not in CODECS or stored_bits != bits:
            why = "a payload of an unknown version"
            continue
        if (h, w) != (height, width):
            why = f"a payload made for a {w}x{h} image (this one was resized or cropped)"
            continue
        if SIZE * 8 + length * 8 > carrier.capacity_bits(image.shape, bits):
            why = "a damaged payload (length)"
            continue
        body = carrier.read(image, length, bits, skip_bytes=SIZE)
        (crc,) = struct.unpack(">I", head[FIELDS_SIZE : FIELDS_SIZE + 4])
        if zlib.crc32(body, zlib.crc32(head[:FIELDS_SIZE])) != crc:
            why = "a damaged payload (checksum): the file was edited or re-encoded"
            continue
        return Payload(KINDS[kind], bits, body)
    raise PayloadMissing(why)
