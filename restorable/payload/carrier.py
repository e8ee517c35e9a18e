"""Where payload symbols live in an image: k low bits of each RGB value, at scattered positions.

Symbol i of a payload sits at flat index ``(i * step) % n`` of the (H, W, 3)
values, with ``step`` coprime to ``n``: the payload spreads evenly over the
whole image (no visible band) and the decoder finds it from the size alone.
Two ways to write a k-bit symbol s into value c:

- ``nearest``: the value closest to c that is congruent to s mod 2**k
  (for k = 2: moves of at most 2, 3 next to 0 or 255, mean squared change 1.5,
  vs 2.5 for plain bit replacement);
- ``replace``: c with its k low bits replaced by s (its high bits unchanged,
  so a decoder can rebuild the image without the payload).

Either is read back as ``value % 2**k``. A third layout, ``hamming``, puts 3
bits in the lowest bits of 7 values with at most one flipped (a Hamming code:
the 3 bits are the syndrome of the 7), so only 1 value in 8 changes, by 1,
and the high bits stay as they were.
"""

from __future__ import annotations

import math

import numpy as np

CHUNK = 1 << 22  # symbols handled at once (bounded memory on 24 MP photos)


def scatter_step(n: int) -> int:
    """A stride coprime to ``n`` near ``n`` times the golden ratio (deterministic)."""
    step = max(1, int(n * 0.6180339887)) | 1
    while math.gcd(step, n) != 1:
        step += 2 if n % 2 == 0 else 1
    return step % n or 1


def _indices(n: int, start: int, stop: int) -> np.ndarray:
    step = scatter_step(n)
    return (np.arange(start, stop, dtype=np.int64) * step) % n


def capacity_bits(shape: tuple[int, ...], bits: int) -> int:
    """Payload bits an (H, W, 3) image holds at ``bits`` per value."""
    return int(np.prod(shape)) * bits


def bytes_to_symbols(data: bytes, bits: int) -> np.ndarray:
    """Bytes -> k-bit symbols (most significant first); the last symbol is zero-padded. uint8 throughout."""
    stream = np.unpackbits(np.frombuffer(data, np.uint8))
    stream = np.concatenate([stream, np.zeros((-len(stream)) % bits, np.uint8)])
    symbols = np.zeros(len(stream) // bits, np.uint8)
    for j in range(bits):
        symbols = (symbols << 1) | stream[j::bits]
    return symbols


def symbols_to_bytes(symbols: np.ndarray, bits: int, length: int) -> bytes:
    """k-bit symbols -> the first ``length`` bytes they encode."""
    stream = np.empty(len(symbols) * bits, np.uint8)
    for j in range(bits):
        stream[j::bits] = (symbols >> (bits - 1 - j)) & 1
    return np.packbits(stream[: length * 8]).tobytes()


def write(image: np.ndarray, data: bytes, bits: int, how: str) -> np.ndarray:
    """A copy of (H, W, 3) uint8 ``image`` carrying ``data`` at ``bits`` per value (``how``: nearest | replace)."""
    if how not in ("nearest", "replace"):
        raise ValueError(f"unknown embedding {how!r}")
    flat = image.reshape(-1).copy()
    symbols = bytes_to_symbols(data, bits)
    if len(symbols) > flat.size:
        raise ValueError(f"payload of {len(data)} bytes exceeds the image's {flat.size * bits // 8}")
    radix = 1 << bits
    for start in range(0, len(symbols), CHUNK):
        idx = _indices(flat.size, start, min(start + CHUNK, len(symbols)))
        cover = flat[idx].astype(np.int16)
        wanted = symbols[start : start + len(idx)].astype(np.int16)
        if how == "replace":
            flat[idx] = ((cover & ~(radix - 1)) | wanted).astype(np.uint8)
            continue
        delta = (wanted - cover) % radix  # 0 .. radix-1 upwards
        delta = np.where(delta > radix // 2, delta - radix, delta)  # nearest: -radix/2+1 .. radix/2
        if radix > 2:  # a tie (+-radix/2): alternate the direction, so the mean does not drift
            delta = np.where((delta == radix // 2) & (idx % 2 == 1), -delta, delta)
        value = cover + delta
        value = np.where(value > 255, value - radix, np.where(value < 0, value + radix, value))
        flat[idx] = value.astype(np.uint8)
    return flat.reshape(image.shape)


def read(image: np.ndarray, nbytes: int, bits: int, skip_bytes: int = 0) -> bytes:
    """``nbytes`` bytes carried by ``image`` after the first ``skip_bytes`` (both whole symbols apart)."""
    flat = image.reshape(-1)
    first = skip_bytes * 8 // bits
    count = -(-nbytes * 8 // bits)
    if first + count > flat.size:
        raise ValueError("the image is too small for that payload")
    parts = [flat[_indices(flat.size, s, min(s + CHUNK, first + count))] for s in range(first, first + count, CHUNK)]
    symbols = (np.concatenate(parts) & ((1 << bits) - 1)).astype(np.uint8)
    return symbols_to_bytes(symbols, bits, nbytes)


HAMMING_N, HAMMING_K = 7, 3


def hamming_capacity_bytes(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape)) // HAMMING_N * HAMMING_K // 8


def _syndromes(lsb: np.ndarray) -> np.ndarray:
    """(G, 7) lowest bits -> (G,) syndromes 0..7: XOR of the 1-based positions holding a 1."""
    return np.bitwise_xor.reduce(lsb * np.arange(1, HAMMING_N + 1, dtype=np.uint8), axis=1)


def write_hamming(image: np.ndarray, data: bytes) -> np.ndarray:
    """A copy of ``image`` whose lowest bits carry ``data`` as Hamming syndromes (<= 1 flip per 7 values)."""
    flat = image.reshape(-1).copy()
    messages = bytes_to_symbols(data, HAMMING_K)
    groups = len(messages)
    if groups * HAMMING_N > flat.size:
        raise ValueError(f"payload of {len(data)} bytes exceeds the image's {hamming_capacity_bytes(image.shape)}")
    per_chunk = CHUNK // HAMMING_N
    for start in range(0, groups, per_chunk):
        stop = min(start + per_chunk, groups)
        idx = _indices(flat.size, start * HAMMING_N, stop * HAMMING_N).reshape(-1, HAMMING_N)
        lsb = flat[idx] & 1
        flip = _syndromes(lsb) ^ messages[start:stop]  # 1-based position to flip, 0: none
        rows = np.nonzero(flip)[0]
        targets = idx[rows, flip[rows].astype(np.int64) - 1]
        flat[targets] ^= 1
    return flat.reshape(image.shape)


def read_hamming(image: np.ndarray, nbytes: int) -> bytes:
    """The first ``nbytes`` bytes carried by :func:`write_hamming`."""
    flat = image.reshape(-1)
    groups = -(-nbytes * 8 // HAMMING_K)
    if groups * HAMMING_N > flat.size:
        raise ValueError("the image is too small for that payload")
    per_chunk = CHUNK // HAMMING_N
    parts = []
    for start in range(0, groups, per_chunk):
        stop = min(start + per_chunk, groups)
        idx = _indices(flat.size, start * HAMMING_N, stop * HAMMING_N).reshape(-1, HAMMING_N)
        parts.append(_syndromes(flat[idx] & 1))
    return symbols_to_bytes(np.concatenate(parts), HAMMING_K, nbytes)


def clear_low_bits(image: np.ndarray, bits: int) -> np.ndarray:
    """The image a ``replace`` payload leaves readable: k low bits set to their mean, as float32."""
    high = (image >> bits) << bits
    return high.astype(np.float32) + ((1 << bits) - 1) / 2.0
