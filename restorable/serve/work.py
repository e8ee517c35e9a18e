"""What the web page's jobs do, on the library API alone: try an effect, restore a file, process a folder."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from restorable.errors import ChangedImageError, RestorableError, one_line
from restorable.image_file import FORMATS
from restorable.photo import Photo, read_photo, write_photo
from restorable.progress import Cancelled, reporting
from restorable.serve.jobs import Job
from restorable.session import Session

EXTENSIONS = {"png": ".png", "jpg": ".jpg"}
log = logging.getLogger("restorable")


@dataclass(frozen=True)
class Upload:
    """A file the page sent: where it lies in the private folder, the name it had, its size in pixels."""

    path: Path
    name: str  # safe_name() of the client's name: only shown and used for download names
    width: int
    height: int


def read_upload(path: Path, name: str, max_pixels: int | None) -> Photo:
    """Read an uploaded file; errors name the file as the user knows it, never the private path."""
    try:
        return read_photo(path, max_pixels)
    except RestorableError as exc:
        text = exc.for_cli().replace(str(path), name).replace("--max-pixels N", "restorable serve --max-pixels")
        raise RestorableError(text) from None


def check_upload(path: Path, name: str, max_pixels: int | None) -> Upload:
    """Decode an upload once (a truncated or forged file fails here, with one line); its size."""
    if path.stat().st_size == 0:
        raise RestorableError(f"{name}: the file is empty (0 bytes)")
    photo = read_upload(path, name, max_pixels)
    return Upload(path, name, photo.rgb.shape[1], photo.rgb.shape[0])


def _preview(rgb: np.ndarray, path: Path) -> None:
    """A PNG for the page (fast compression: it only travels to this machine's browser)."""
    from PIL import Image

    Image.fromarray(rgb).save(path, "PNG", compress_level=1)


def _figures(original: np.ndarray, restored: np.ndarray) -> dict:
    from restorable.metrics import psnr, ssim7

    if original.shape != restored.shape:
        return {}
    return {"psnr": round(psnr(original, restored), 2), "ssim": round(ssim7(original, restored), 4)}


def try_effect(job: Job, session: Session, upload: Upload, folder: Path, op: str, params: dict, fmt: str,
               quality: int, max_pixels: int | None) -> None:
    """Apply ``op`` to the upload, write the file as the user will get it, restore from that file, measure."""
    job.step("reading the photo", 0.01)
    photo = read_upload(upload.path, upload.name, max_pixels)
    job.step("applying the effect", 0.03)
    result = session.apply(photo, op, params, lossless=fmt == "png")
    job.step("writing the processed file", 0.6)
    name = f"{Path(upload.name).stem}-{op}{EXTENSIONS[fmt]}"
    notes = result.notes + write_photo(folder / name, result, quality)
    job.step("restoring from the written file", 0.62)
    try:
        restored = session.restore(read_photo(folder / name, None), one_step=True)  # vs the upload, as it was
    except ChangedImageError:
        raise RestorableError(
            f"at JPEG quality {quality} the file changes too much to be restored: use a higher quality, or PNG"
        ) from None
    job.step("measuring the restoration", 0.9)
    figures = _figures(photo.rgb, restored.rgb)
    restored_name = f"{Path(upload.name).stem}-restored.png"
    _preview(photo.rgb, folder / "original.png")
    _preview(restored.rgb, folder / restored_name)
    job.files = {"original": "original.png", "processed": name, "restored": restored_name}
    job.result = {
        "op": op, "params": result.provenance.params if result.provenance else params, "format": fmt,
        "quality": quality if fmt == "jpg" else None, "name": name, "restored_name": restored_name,
        "size": [photo.rgb.shape[1], photo.rgb.shape[0]], "processed_size": [result.rgb.shape[1], result.rgb.shape[0]],
        "bytes": (folder / name).stat().st_size, "notes": notes + restored.notes, "ran_on": result.ran_on,
        "method": restored.method, **figures,
    }


def restore_file(job: Job, session: Session, upload: Upload, folder: Path, max_pixels: int | None) -> None:
    """Restore any processed file the page sent (its record says how)."""
    job.step("reading the file", 0.01)
    photo = read_upload(upload.path, upload.name, max_pixels)
    job.step("restoring", 0.05)
    with reporting(job.tiles((0.05, 0.9))):
        restored = session.restore(photo)
    job.step("writing the original", 0.92)
    _preview(photo.rgb, folder / "processed.png")  # shown in the page (a TIFF would not be)
    name = f"{Path(upload.name).stem}-restored.png"
    write_photo(folder / name, restored)
    record = photo.provenance
    job.files = {"processed": "processed.png", "restored": name}
    job.result = {
        "name": name, "size": [restored.rgb.shape[1], restored.rgb.shape[0]], "notes": restored.notes,
        "method": restored.method, "op": record.op if record else None, "params": record.params if record else None,
    }


def folder_photos(folder: Path) -> list[Path]:
    """The image files directly in ``folder`` (by extension), sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FORMATS)


def run_batch(job: Job, session: Session, source: Path, out: Path, op: str, params: dict, fmt: str, quality: int,
              max_pixels: int | None) -> None:
    """Apply ``op`` to every photo of ``source`` into ``out`` with the steps of the CLI's ``apply`` (its self-check
    included: a photo that would restore below the operator's floor is reported failed, not written); goes on past
    bad files, stops when cancelled. An output that exists is kept (reported as skipped)."""
    from dataclasses import replace

    from restorable.operators import get_operator
    from restorable.photo_jobs import ApplyJob
    from restorable.pipeline import run_pipeline

    photos = folder_photos(source)
    job.items = [{"name": p.name, "state": "queued", "message": ""} for p in photos]
    items = {path: item for path, item in zip(photos, job.items)}
    position = {path: index for index, path in enumerate(photos)}
    out.mkdir(parents=True, exist_ok=True)
    done = 0  # outcomes reported (they trail the photo being processed by the writes under way)
    applying = ApplyJob(op, params, min_restore_db=get_operator(op).restore_floor, quality=quality,
                        max_pixels=max_pixels).steps(session)  # the CLI's apply; its process gets the page's progress

    def process(photo: Photo, path: Path, target: Path) -> Photo:
        index = position[path]
        job.step(f"{index + 1} of {len(photos)}: {path.name}")  # stops here when cancelled
        items[path]["state"] = "running"
        span = (index / len(photos), (index + 1) / len(photos))
        with reporting(job.tiles(span)):
            return applying.process(photo, path, target)

    def finished(outcome) -> None:
        nonlocal done
        item, target = items[outcome.src], outcome.dst
        item["state"] = outcome.state
        if outcome.state == "done":
            item["message"] = f"{target.name} ({outcome.checked.text})" if outcome.checked else target.name
        elif outcome.state == "skipped":
            item["message"] = f"{target.name} exists: kept"
        elif outcome.state == "busy":
            item["state"], item["message"] = "skipped", f"{target.name} is being made by another run"
        elif outcome.state == "failed":
            item["message"] = _failure(outcome.error, outcome.src)
        done += outcome.state != "cancelled"
        job.progress = done / len(photos)

    steps = replace(applying, process=process)
    pairs = [(path, out / f"{path.stem}{EXTENSIONS[fmt]}") for path in photos]
    outcomes = run_pipeline(pairs, steps, overwrite=False, on_outcome=finished)
    job.result = {"out": str(out), **{state: sum(o.state == state for o in outcomes) for state in ("done", "failed")},
                  "skipped": sum(o.state in ("skipped", "busy") for o in outcomes)}


def _failure(exc: BaseException | None, path: Path) -> str:
    """What the page shows for a photo that failed: our own errors' line (naming the file as the user knows it);
    for anything else the kind of error (the server log has the traceback)."""
    if isinstance(exc, RestorableError):
        return one_line(str(exc).replace(str(path), path.name))
    log.error("batch: %s", path, exc_info=exc)
    return f"internal error ({exc.__class__.__name__})"
