"""What ``apply`` and ``restore`` do to each photo, as plain values: the CLI's pipeline and the Ray job build
the very same :class:`~restorable.pipeline.Steps` from them (a Ray actor gets the value, not a closure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from restorable.limits import DEFAULT_MAX_PIXELS
from restorable.pipeline import LOSSLESS, Checked, Steps
from restorable.settings import RunSettings


def lossless_weights(path: Path, robust: bool | None) -> bool:
    """Whether a file at ``path`` goes with an operator's lossless weights: PNG/TIFF do,
    unless ``--robust`` / ``--invisible`` (``robust``) says which."""
    from restorable.image_file import FORMATS

    return FORMATS.get(Path(path).suffix.lower()) in LOSSLESS if robust is None else not robust


@dataclass(frozen=True)
class ApplyJob:
    """Apply ``op`` with ``params`` to each photo; below ``min_restore_db`` (0: unchecked) a result is refused."""

    op: str
    params: dict = field(default_factory=dict)
    mode: str = "learned"
    payload: bool = False
    robust: bool | None = None
    min_restore_db: float = 0.0
    quality: int = 95
    max_pixels: int | None = DEFAULT_MAX_PIXELS
    settings: RunSettings = field(default_factory=RunSettings)

    @property
    def label(self) -> str:
        return f"apply {self.op}"

    @property
    def png_only(self) -> str | None:
        """The option that needs lossless outputs, if one is set."""
        return "--mode exact" if self.mode == "exact" else "--payload" if self.payload else None

    def steps(self, session) -> Steps:
        """Read, apply, check how it restores from the pixels the file will hold."""
        from restorable.image_file import output_format
        from restorable.photo import read_photo

        def process(photo, src: Path, dst: Path):
            return session.apply(photo, self.op, self.params, self.mode, self.payload, lossless_weights(dst, self.robust))

        def check(photo, result, stored, dst: Path) -> Checked:
            from restorable.verify import refuse_below, restoration_db

            out_format = output_format(dst)
            undo = lambda part: session.restore(part, self.op, one_step=True)  # noqa: E731  (back to ``photo``)
            db = restoration_db(photo, result, out_format, self.quality, undo, stored)
            refuse_below(db, self.min_restore_db, out_format, "--min-restore-db")
            return Checked(f"restores at {db:.1f} dB", db)

        reader = lambda src: read_photo(src, self.max_pixels)  # noqa: E731
        return Steps(reader, process, check if self.min_restore_db > 0 else None, self.quality)


@dataclass(frozen=True)
class RestoreJob:
    """Restore each processed file (``op`` and ``params``: for files whose record was stripped)."""

    op: str | None = None
    params: dict = field(default_factory=dict)
    force: bool = False
    robust: bool | None = None
    quality: int = 95
    max_pixels: int | None = DEFAULT_MAX_PIXELS
    settings: RunSettings = field(default_factory=RunSettings)
    one_step: bool = False  # a file processed more than once: undo only its last effect
    label = "restore"
    png_only = None

    def steps(self, session) -> Steps:
        """Read, restore; restored originals are photographs: run-length PNG, as small as the default and 4-5x faster."""
        from restorable.photo import read_photo

        def process(photo, src: Path, dst: Path):
            lossless = lossless_weights(src, self.robust)
            return session.restore(photo, self.op, self.force, lossless, self.params, self.one_step)

        return Steps(lambda src: read_photo(src, self.max_pixels), process, None, self.quality, png="fast")
