"""The web app: a page (``static/``) and a small JSON API over :mod:`.work`, run by :mod:`.jobs`.

    GET  /                          the page
    GET  /api/config                limits and the folders given on the command line
    GET  /api/ops                   the registry (operators, their parameters and ranges; families)
    POST /api/uploads               the request body is one file (X-Filename: its name) -> {id, name, width, height}
    POST /api/jobs                  {kind: effect|restore|batch, ...} -> the job
    GET  /api/jobs/{id}             its state, progress and result
    POST /api/jobs/{id}/cancel
    GET  /api/jobs/{id}/files/{what}[?download=1]   original | processed | restored
"""

from __future__ import annotations

import atexit
import contextlib
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from restorable.catalog import families_as_dict, operators_as_dict
from restorable.errors import RestorableError, one_line
from restorable.limits import DEFAULT_MAX_PIXELS, check_quality
from restorable.serve import work
from restorable.serve.jobs import JobRunner, UnknownJob
from restorable.serve.store import Store, safe_name
from restorable.session import Session
from restorable.settings import RunSettings

STATIC = Path(__file__).parent / "static"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
KEEP_UPLOADS = 64  # uploads kept for the page's jobs; older ones are deleted first
log = logging.getLogger("restorable")


@dataclass
class ServeConfig:
    """What ``restorable serve`` was started with."""

    folders: list[Path] = field(default_factory=list)  # the only folders the batch view reads
    out: Path = Path("restorable-out")  # where batch results go (a subfolder per folder and operator)
    max_upload_mb: float = 200.0
    max_pixels: int | None = DEFAULT_MAX_PIXELS
    settings: RunSettings = field(default_factory=RunSettings)
    host: str = "127.0.0.1"


class _Failed(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": one_line(message)}, status_code=status)


def _same_site(request: Request) -> None:
    """Refuse a POST that another web site's page sent (its browser says so in Origin or Sec-Fetch-Site): any page
    the user visits could otherwise start jobs here."""
    origin = request.headers.get("origin")
    other = origin is not None and urlsplit(origin).netloc != request.headers.get("host", "")  # http or https alike
    if other or request.headers.get("sec-fetch-site") == "cross-site":
        raise _Failed("requests from other web sites are refused", 403)


def create_app(config: ServeConfig | None = None) -> Starlette:
    """The app for ``config``: its own private upload folder and job thread, both closed on shutdown."""
    config = config or ServeConfig()
    store, runner, session = Store(), JobRunner(), Session(config.settings)
    atexit.register(store.close)
    uploads: OrderedDict[str, work.Upload] = OrderedDict()  # oldest first
    folders: dict[str, tuple[str, Path]] = {}  # job id -> its (store token, folder)

    def guarded(handler):
        async def endpoint(request: Request) -> Response:
            try:
                if request.method == "POST":
                    _same_site(request)
                return await handler(request)
            except _Failed as exc:
                return _error(str(exc), exc.status)
            except UnknownJob as exc:
                return _error(exc.message, 404)
            except RestorableError as exc:  # the page has no options: the message without its API hint
                return _error(exc.message)
            except Exception as exc:  # a bug: the page gets one line, the server log the traceback
                log.exception("%s %s failed", request.method, request.url.path)
                return _error(f"internal error ({exc.__class__.__name__})", 500)

        return endpoint

    def _keep_recent() -> None:
        """Delete the oldest uploads past :data:`KEEP_UPLOADS`, and the folders of jobs the runner forgot."""
        while len(uploads) > KEEP_UPLOADS:
            store.drop(uploads.popitem(last=False)[0])
        for job_id in [j for j in folders if j not in runner.jobs]:
            store.drop(folders.pop(job_id)[0])

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def get_config(request: Request) -> Response:
        listed = [{"index": i, "name": p.name, "path": str(p), "photos": len(work.folder_photos(p))}
                  for i, p in enumerate(config.folders)]
        return JSONResponse({"folders": listed, "out": str(config.out), "max_upload_mb": config.max_upload_mb,
                             "max_pixels": config.max_pixels})

    async def get_ops(request: Request) -> Response:
        return JSONResponse({"operators": operators_as_dict(), "families": families_as_dict()})

    async def upload(request: Request) -> Response:
        limit = int(config.max_upload_mb * 1e6)
        if "x-filename" not in request.headers:  # the page always names the file (and a header needs CORS consent)
            raise _Failed("an upload names its file in the X-Filename header")
        name = safe_name(unquote(request.headers.get("x-filename", "")))
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise _Failed(f"{name}: {int(declared) / 1e6:.0f} MB is over the upload limit of {config.max_upload_mb:g} MB"
                          " (restorable serve --max-upload-mb raises it)", 413)
        token, folder = store.new()
        path, size = folder / "upload", 0
        try:
            with open(path, "wb") as handle:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise _Failed(f"{name}: over the upload limit of {config.max_upload_mb:g} MB"
                                      " (restorable serve --max-upload-mb raises it)", 413)
                    handle.write(chunk)
            item = await run_in_threadpool(work.check_upload, path, name, config.max_pixels)
        except BaseException:
            store.drop(token)
            raise
        uploads[token] = item
        _keep_recent()
        return JSONResponse({"id": token, "name": name, "width": item.width, "height": item.height, "bytes": size})

    def _upload(body: dict) -> work.Upload:
        token = body.get("upload")
        item = uploads.get(token) if isinstance(token, str) else None
        if item is None:
            raise _Failed("unknown upload (the server may have restarted): upload the photo again", 404)
        return item

    def _effect_settings(body: dict) -> tuple[str, dict, str, int]:
        from restorable.operators import get_operator, resolve_params

        spec = get_operator(str(body.get("op", "")))
        given = body.get("params") or {}
        if not isinstance(given, dict):
            raise _Failed("params must be a JSON object of name: value")
        params = resolve_params(spec, {str(k): v for k, v in given.items()})
        fmt = body.get("format", "png")
        if not isinstance(fmt, str) or fmt not in work.EXTENSIONS:
            raise _Failed(f"format must be one of {', '.join(work.EXTENSIONS)}, not {fmt!r}")
        return spec.name, params, fmt, check_quality(body.get("quality", 95))

    async def new_job(request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise _Failed("a job is sent as JSON (Content-Type: application/json)", 415)
        try:
            body = await request.json()
        except ValueError:
            raise _Failed("the request is not JSON") from None
        if not isinstance(body, dict):
            raise _Failed("the request must be a JSON object")
        kind = body.get("kind")
        if kind == "effect":
            item, (op, params, fmt, quality) = _upload(body), _effect_settings(body)
            token, folder = store.new()
            job = runner.submit("effect", lambda job: work.try_effect(job, session, item, folder, op, params, fmt, quality,
                                                                      config.max_pixels))
        elif kind == "restore":
            item = _upload(body)
            token, folder = store.new()
            job = runner.submit("restore", lambda job: work.restore_file(job, session, item, folder, config.max_pixels))
        elif kind == "batch":
            index = body.get("folder")
            if not isinstance(index, int) or not 0 <= index < len(config.folders):
                raise _Failed("no such folder: the batch view reads only the folders given with restorable serve --folder")
            op, params, fmt, quality = _effect_settings(body)
            source = config.folders[index]
            out = config.out / f"{source.name}-{op}"
            token, folder = store.new()
            job = runner.submit("batch", lambda job: work.run_batch(job, session, source, out, op, params, fmt, quality,
                                                                    config.max_pixels))
        else:
            raise _Failed("kind must be effect, restore or batch")
        folders[job.id] = (token, folder)
        _keep_recent()
        return JSONResponse(job.public())

    async def get_job(request: Request) -> Response:
        return JSONResponse(runner.get(request.path_params["job"]).public())

    async def cancel_job(request: Request) -> Response:
        job = runner.get(request.path_params["job"])
        job.cancel.set()
        return JSONResponse(job.public())

    async def job_file(request: Request) -> Response:
        job = runner.get(request.path_params["job"])
        name = job.files.get(request.path_params["what"])
        if name is None or job.id not in folders:
            raise _Failed("no such file", 404)
        path = folders[job.id][1] / name  # files are stored under the names they download as
        if request.query_params.get("download"):
            return FileResponse(path, filename=name)
        return FileResponse(path, headers={"Cache-Control": "no-store"})

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        runner.close()
        store.close()

    routes = [
        Route("/", page),
        Route("/api/config", guarded(get_config)),
        Route("/api/ops", guarded(get_ops)),
        Route("/api/uploads", guarded(upload), methods=["POST"]),
        Route("/api/jobs", guarded(new_job), methods=["POST"]),
        Route("/api/jobs/{job}", guarded(get_job)),
        Route("/api/jobs/{job}/cancel", guarded(cancel_job), methods=["POST"]),
        Route("/api/jobs/{job}/files/{what}", guarded(job_file)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    # bound to this machine: only its own names may reach the app (no DNS-rebinding from a web page)
    hosts = ["127.0.0.1", "localhost", "[::1]"] if config.host in LOOPBACK else ["*"]
    app = Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)], lifespan=lifespan)
    app.state.store, app.state.runner = store, runner
    return app
