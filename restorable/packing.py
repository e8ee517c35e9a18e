"""Pack several photos of one size into one that looks like the first, and unpack them (the ``pack`` family).

:meth:`restorable.session.Session.pack` and :meth:`~restorable.session.Session.unpack` call these with their settings. The packed
photo's record lists its images (names and geometry), so that ``unpack`` writes them back as they were named.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from restorable import __version__
from restorable.errors import ChangedImageError, Hint, RecordError, RestorableError
from restorable.luma import grey_uint8
from restorable.operators import OPERATORS
from restorable.photo import Photo, in_colour
from restorable.provenance import MEMBER_METADATA_BYTES, Member, Original, Provenance, plain_name

if TYPE_CHECKING:
    from restorable.settings import RunSettings

PACKERS = {spec.inputs: name for name, spec in OPERATORS.items() if spec.family == "pack"}  # image count -> pack-N
COUNTS = tuple(sorted(PACKERS))


def pack_photos(settings: RunSettings, photos: list[Photo], names: list[str], lossless: bool = False) -> Photo:
    """One photo that looks like ``photos[0]`` and holds them all; ``names``: their file names (written back by unpack).
    ``lossless=True``: it will be stored losslessly (PNG, TIFF): the network's lossless weights where it has them."""
    from restorable.engine import forward_image
    from restorable.networks import describe, network_for, ran_on
    from restorable.weights import load_weights

    if len(photos) != len(names):
        raise RestorableError(f"{len(photos)} images but {len(names)} names")
    bad = [name for name in names if not plain_name(name)]
    if bad:
        raise RestorableError(f"names must be file names without folders: {bad[0]!r} is not")
    names, renamed = distinct_names(list(names))
    if len(photos) not in COUNTS:
        raise RestorableError(f"pack takes {COUNTS[0]} to {COUNTS[-1]} images, got {len(photos)}")
    sizes = [(p.rgb.shape[1], p.rgb.shape[0]) for p in photos]
    for name, size in zip(names[1:], sizes[1:]):
        if size != sizes[0]:
            raise RestorableError(
                f"all images must have the same size: {names[0]} is {sizes[0][0]}x{sizes[0][1]}, {name} is {size[0]}x{size[1]}"
            )
    op = PACKERS[len(photos)]
    loaded = load_weights(op, settings.weights, lossless=lossless)
    net, run_device = network_for(loaded, settings)
    stacked = np.concatenate([in_colour(p).rgb for p in photos], axis=2)
    packed = forward_image(net, stacked, None, device=run_device, tile=settings.tile)
    metadata, notes = _member_metadata(photos, names)
    notes += renamed
    members = tuple(
        Member(name, size, 1 if p.rgb.ndim == 2 else 3, p.orientation, *kept)
        for name, size, p, kept in zip(names, sizes, photos, metadata)
    )
    first = photos[0]
    record = Provenance(
        op=op, params={}, model_id=loaded.model_id, model_sha256=loaded.sha256, tool_version=__version__,
        family="pack", original=Original(sizes[0], members[0].channels, first.orientation), inputs=len(photos),
        members=members, **describe(packed),
    )
    notes += [note for p, name in zip(photos, names) for note in (f"{name}: {n}" for n in p.notes)]
    if any(p.alpha is not None for p in photos):
        notes.append("transparency is not packed: the images come back opaque")
    result = Photo(packed, None, first.icc_profile, first.exif, record, notes, ran_on(net, run_device), "learned packing")
    if not loaded.metadata.get("train", {}).get("jpeg", True):
        result.lossless_only = f"the {op} weights ({loaded.model_id}) were trained without JPEG"
    return result


def _bare_record(photo: Photo, op: str) -> Provenance:
    """The record of a packed image that lost its own (an array): ``op`` pack-N, N images of its size."""
    if op not in PACKERS.values():
        raise RestorableError(f"{op} is not a packing operator ({', '.join(PACKERS.values())})")
    count = OPERATORS[op].inputs
    size = (photo.rgb.shape[1], photo.rgb.shape[0])
    members = tuple(Member(f"image-{i}.png", size) for i in range(1, count + 1))
    return Provenance(op, {}, "", "", __version__, family="pack", inputs=count, members=members)


def distinct_names(names: list[str]) -> tuple[list[str], list[str]]:
    """``names`` with repeats (ignoring case, as some file systems do) made distinct: ``a.jpg``, ``a-2.jpg``, ...;
    and a note for each one renamed (two files of one name would overwrite each other when unpacked)."""
    taken: set[str] = set()
    result, notes = [], []
    for name in names:
        stem, suffix = Path(name).stem, Path(name).suffix
        unique, n = name, 1
        while unique.casefold() in taken:
            n += 1
            unique = f"{stem}-{n}{suffix}"
        if unique != name:
            notes.append(f"a second image named {name} is unpacked as {unique}")
        taken.add(unique.casefold())
        result.append(unique)
    return result, notes


def _member_metadata(photos: list[Photo], names: list[str]) -> tuple[list[tuple[str | None, str | None]], list[str]]:
    """(exif, icc) base64 of each photo for the record (the first's: None, they are the packed file's own), within
    MEMBER_METADATA_BYTES: profiles first (colours), then EXIF; notes name what did not fit."""
    def encoded(data: bytes | None) -> str | None:
        return base64.b64encode(data).decode("ascii") if data else None

    kept = [[None, None] for _ in photos]
    budget, notes = MEMBER_METADATA_BYTES, []
    for slot, what in ((1, "colour profile"), (0, "EXIF")):
        for index, photo in enumerate(photos[1:], start=1):
            value = encoded(photo.icc_profile if slot == 1 else photo.exif)
            if value and len(value) <= budget:
                kept[index][slot], budget = value, budget - len(value)
            elif value:
                notes.append(f"{names[index]}: its {what} is not kept (too large to travel in the packed file)")
    return [tuple(k) for k in kept], notes


def unpack_photo(settings: RunSettings, photo: Photo, force: bool = False, op: str | None = None) -> list[tuple[str, Photo]]:
    """The images a packed photo holds, as (file name, photo), in the order they were packed. ``op`` (pack-N):
    for a photo without a record (its images are named image-1.png, ...)."""
    from restorable.engine import reverse_image
    from restorable.networks import model_for, network_for, ran_on

    if photo.record_error:
        raise RecordError(photo.record_error)
    record = photo.provenance
    if record is None and op is not None:
        record = _bare_record(photo, op)
    if record is not None and op is not None and op != record.op:
        raise RecordError(f"this file was made with {record.op}, not {op}")
    if record is None or record.family != "pack" or not record.members:
        made = f"it was made with {record.op}: restorable restore gives its original back" if record else "no restorable record"
        raise RecordError(f"not a packed file ({made})")
    changed = record.check_pixels(photo.rgb) if photo.provenance is not None else None
    if changed and not force:
        raise ChangedImageError(
            f"not the image that was packed: {changed}", Hint("--force", "force=True", "unpacks it anyway, poorly")
        )
    loaded = model_for(photo, op if photo.provenance is None else None, settings.weights)
    net, run_device = network_for(loaded, settings)
    stacked = reverse_image(net, in_colour(photo).rgb, device=run_device, tile=settings.tile)
    notes = [f"unpacked anyway: {changed}"] if changed else []
    unchecked = f"no restorable record: unpacked as {record.inputs} images ({op}), which nothing can check"
    images = []
    names, renamed = distinct_names([member.name for member in record.members])  # older packed files may repeat a name
    notes += renamed
    for index, member in enumerate(record.members):
        width, height = member.size
        rgb = np.ascontiguousarray(stacked[:height, :width, 3 * index : 3 * index + 3])
        if member.channels == 1:
            rgb = grey_uint8(rgb)
        if index == 0:  # the packed file carries the first image's profile and EXIF
            icc, exif = photo.icc_profile, photo.exif
        else:
            icc, exif = (base64.b64decode(v) if v else None for v in (member.icc, member.exif))
        images.append((names[index], Photo(
            rgb, None, icc, exif, None, list(notes) + ([unchecked] if index == 0 and photo.provenance is None else []),
            ran_on(net, run_device), "learned unpacking",
        )))
    return images
