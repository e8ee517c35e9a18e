"""``restorable pack`` and ``restorable unpack``: several photos of one size in one, and back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from restorable.cli import options as o
from restorable.errors import RestorableError, named
from restorable.limits import DEFAULT_MAX_PIXELS

COUNT_HELP = "2 to 4 images of one size (the first is the one the packed image looks like), or 2 to 4 folders"


def _count(paths: list[str]) -> None:
    from restorable.packing import COUNTS

    if len(paths) not in COUNTS:
        raise RestorableError(f"pack takes {COUNTS[0]} to {COUNTS[-1]} images (or folders), got {len(paths)}")


def _session(device: str, backend: str, tile: int | None, weights: Path | None):
    from restorable.cli.files import command_session
    from restorable.settings import RunSettings

    return command_session(RunSettings(device, backend, tile, weights))


def pack(
    paths: list[str] = typer.Argument(..., help=COUNT_HELP + "."),
    output: Path = typer.Option(..., "--output", "-o", help="The packed file (.png keeps the most), or a folder for folders."),
    fmt: o.Format = "png",
    quality: o.Quality = 95,
    overwrite: o.Overwrite = False,
    weights: o.Weights = None,
    device: o.Device = "auto",
    backend: o.Backend = "torch",
    tile: o.Tile = None,
    max_pixels: o.MaxPixels = DEFAULT_MAX_PIXELS,
    robust: o.Robust = None,
    min_restore_db: float = typer.Option(
        None, "--min-restore-db",
        help="Unpack the result as it will be saved and refuse to write it when an image comes back below this PSNR"
        " (default 24 dB; 0: no check).",
    ),
) -> None:
    """Pack 2 to 4 photos of one size into one that looks like the first; `restorable unpack` gives them all back.

    With folders: the files of the first folder, each with the files of the same name (any image extension)
    in the others, into OUTPUT/NAME.png (--format jpg: .jpg); a name missing from a folder is reported, the
    others go on."""
    from rich.console import Console

    from restorable.cli.files import warm_up
    from restorable.image_file import output_format
    from restorable.operators import get_operator
    from restorable.packing import PACKERS
    from restorable.photo import read_photo
    from restorable.photo_jobs import lossless_weights
    from restorable.pipeline import Checked, Steps, run_one
    from restorable.verify import unpacking_db

    _count(paths)
    console = Console(stderr=True, soft_wrap=True)
    session = _session(device, backend, tile, weights)

    op = PACKERS[len(paths)]
    floor = get_operator(op).restore_floor if min_restore_db is None else min_restore_db

    def check(photos: list, packed, stored, dst: Path) -> Checked:
        """How well the images unpack from the pixels the file will hold; raises below the floor."""
        out_format = output_format(dst)
        dbs = unpacking_db([p.photo for p in photos], packed, out_format, quality, session.unpack, stored)
        worst = min(range(len(dbs)), key=dbs.__getitem__)
        if dbs[worst] < floor:
            better = "; save it as PNG" if out_format in ("JPEG", "WEBP") else ""
            raise RestorableError(
                f"{photos[worst].name} would unpack at only {dbs[worst]:.1f} dB as {out_format}"
                f" (below --min-restore-db {floor:g}): not written{better}"
            )
        return Checked(f"unpacks at {', '.join(f'{db:.1f}' for db in dbs)} dB", dbs[worst])

    def steps(group_of) -> Steps:
        """Pipeline steps packing the files ``group_of(src)`` into the output of ``src``."""

        def read(src: Path) -> list:
            return [_Named(read_photo(p, max_pixels), p.name) for p in group_of(src)]

        def process(photos: list, src: Path, dst: Path):
            return session.pack([p.photo for p in photos], [p.name for p in photos], lossless_weights(dst, robust))

        return Steps(read, process, check if floor > 0 else None, quality, prepare=warm_up)

    folders = [Path(p).is_dir() for p in paths]
    if any(folders):
        if not all(folders):
            raise RestorableError("give images, or folders: not both")
        _pack_folders([Path(p) for p in paths], output, fmt, overwrite, steps, op)
        return
    sources = [Path(p) for p in paths]
    if output.is_dir():
        raise RestorableError(f"{output} is a folder: name the packed file (folders pack folders)")
    if output.exists() and not overwrite:
        raise RestorableError(f"{output} exists: --overwrite replaces it")
    if any(output.resolve() == s.resolve() for s in sources):
        raise RestorableError(f"{output}: refusing to write over an input")
    outcome = run_one(sources[0], output, steps(lambda _: sources))
    for note in outcome.notes:
        console.print(f"warning: {note}", markup=False)
    checked = outcome.checked.text if outcome.checked else ""
    console.print(f"{', '.join(str(s) for s in sources)} -> {output} ({op}{', ' + checked if checked else ''})", markup=False)


def _pack_folders(folders: list[Path], out_dir: Path, fmt: str, overwrite: bool, steps, op: str) -> None:
    from restorable.cli.batch import run_batch
    from restorable.cli.files import check_out_dir
    from restorable.image_file import images_in

    check_out_dir(out_dir)
    listed = [{p.stem: p for p in images_in(f)} for f in folders]
    if not listed[0]:
        raise RestorableError(f"{folders[0]}: no images found")
    suffix = "." + fmt.lstrip(".").lower()
    groups = {}
    for stem, first in listed[0].items():
        groups[first] = [first] + [others.get(stem) for others in listed[1:]]

    def group_of(src: Path) -> list[Path]:
        missing = [str(folder / src.stem) for folder, path in zip(folders, groups[src]) if path is None]
        if missing:
            raise RestorableError(f"no {src.stem}.* in {', '.join(str(Path(m).parent) for m in missing)}")
        return groups[src]

    outcomes = run_batch([(src, out_dir / f"{src.stem}{suffix}") for src in groups], steps(group_of), overwrite, op)
    if any(o.state == "failed" for o in outcomes):
        raise typer.Exit(1)


def unpack(
    paths: list[str] = typer.Argument(..., help="Packed files, or folders of them."),
    out_dir: Path = typer.Option(
        None, "--output-dir", "-o", help="Write the images here (default: STEM.unpacked/ beside each file; several files: DIR/STEM/)."
    ),
    quality: o.Quality = 95,
    overwrite: o.Overwrite = False,
    weights: o.Weights = None,
    device: o.Device = "auto",
    backend: o.Backend = "torch",
    tile: o.Tile = None,
    max_pixels: o.MaxPixels = DEFAULT_MAX_PIXELS,
    force: bool = typer.Option(False, "--force", help="Unpack a file changed since it was packed (resized, edited), poorly."),
    op: str = typer.Option(
        None, "--op", help="pack-2, pack-3 or pack-4: for a file whose record another program stripped (images image-1.png, ...)."
    ),
) -> None:
    """Write the images a packed file holds, under the names they had when packed."""
    from rich.console import Console

    from restorable.image_file import FORMATS
    from restorable.photo import read_photo, write_photo

    from restorable.cli.files import check_out_dir, warm_up

    if out_dir is not None:
        check_out_dir(out_dir)
    console = Console(stderr=True, soft_wrap=True)
    session = _session(device, backend, tile, weights)
    warm_up()
    sources = _packed_files(paths)
    single = len(paths) == 1 and not Path(paths[0]).is_dir()  # one file: -o is its folder, its error is the error
    failed = 0
    for src in sources:
        folder = out_dir if out_dir is not None and single else (out_dir or src.parent) / (
            src.stem if out_dir is not None else f"{src.stem}.unpacked"
        )
        try:
            images = session.unpack(read_photo(src, max_pixels), force, op)
            targets = [folder / (name if Path(name).suffix.lower() in FORMATS else f"{name}.png") for name, _ in images]
            existing = [str(t) for t in targets if t.exists()]
            if existing and not overwrite:
                raise RestorableError(f"already there: {', '.join(existing)} (--overwrite replaces them)")
            folder.mkdir(parents=True, exist_ok=True)
            for target, (_, photo) in zip(targets, images):
                for note in photo.notes + write_photo(target, photo, quality):
                    console.print(f"warning: {target.name}: {note}", markup=False)
            console.print(f"{src} -> {', '.join(str(t) for t in targets)} (unpack)", markup=False)
        except RestorableError as exc:
            if single:
                raise
            failed += 1
            console.print(f"failed: {named(exc.for_cli(), src)}", markup=False)
    if len(sources) > 1:
        console.print(f"{len(sources) - failed} done, {failed} failed", markup=False)
    if failed:
        raise typer.Exit(1)


def _packed_files(paths: list[str]) -> list[Path]:
    """The files named, and the images in the folders named (not their sub-folders)."""
    from restorable.image_file import images_in

    files = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = images_in(path)
            if not found:
                raise RestorableError(f"{path}: no images found")
            files += found
        else:
            files.append(path)
    return files


@dataclass
class _Named:
    """A photo read for packing, with its file name (which unpack gives back)."""

    photo: object
    name: str
