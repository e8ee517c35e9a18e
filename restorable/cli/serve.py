"""``restorable serve``: a local web page to try effects, compare, restore and process folders."""

from __future__ import annotations

from pathlib import Path

import typer

from restorable.cli import options as o
from restorable.errors import RestorableError
from restorable.limits import DEFAULT_MAX_PIXELS, check_tile


def serve(
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (default: this machine only)."),
    folder: list[Path] = typer.Option([], "--folder", help="A folder the batch view may read (repeatable); no other is ever read."),
    out: Path = typer.Option(Path("restorable-out"), "--out", help="Where batch results go (a subfolder per folder and operator)."),
    max_upload_mb: float = typer.Option(200.0, "--max-upload-mb", min=0.001, help="Refuse larger uploads."),
    max_pixels: o.MaxPixels = DEFAULT_MAX_PIXELS,
    device: o.Device = "auto",
    backend: o.Backend = "torch",
    tile: o.Tile = None,
    weights: o.Weights = None,
) -> None:
    """Start the local web page (before/after view, restore, batch) and print its address; Ctrl+C stops it."""
    try:
        import uvicorn

        from restorable.serve import ServeConfig, create_app
        from restorable.serve.app import LOOPBACK
    except ImportError as exc:
        raise RestorableError(f"restorable serve needs the serve extra: pip install 'restorable[serve]' ({exc.name} is missing)") from None
    from restorable.settings import RunSettings

    check_tile(tile)
    for path in folder:
        if not path.is_dir():
            raise RestorableError(f"--folder {path}: not a folder")
    config = ServeConfig([p.resolve() for p in folder], out.resolve(), max_upload_mb, max_pixels,
                         RunSettings(device, backend, tile, weights), host)
    app = create_app(config)
    shown = f"[{host}]" if ":" in host else host
    print(f"restorable serve: http://{shown}:{port}/  (Ctrl+C stops it)", flush=True)
    if host not in LOOPBACK:
        print(f"warning: listening on {host}: other machines can reach this page and run work here", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
