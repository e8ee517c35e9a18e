"""``restorable serve`` (issue 19), through its HTTP API on a live loopback server: uploads, jobs,
bad inputs, what the client may and may not reach. The page itself: tests/test_serve_browser.py."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
requests = pytest.importorskip("requests")

from live_server import png_bomb, running, wait_job  # noqa: E402

from restorable.serve import ServeConfig, create_app  # noqa: E402


@pytest.fixture(scope="module")
def batch_folder(tmp_path_factory, odd_photo_path):
    """Five files: four small photos and one that is not an image."""
    folder = tmp_path_factory.mktemp("shoot")
    with Image.open(odd_photo_path) as img:
        for i in range(4):
            img.crop((i * 100, 50, i * 100 + 96, 122)).save(folder / f"p{i}.jpg", quality=95)
    (folder / "p9-bad.jpg").write_bytes(b"not a photo at all")
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory, batch_folder):
    out = tmp_path_factory.mktemp("out")
    app = create_app(ServeConfig([batch_folder], out, max_upload_mb=2.0))
    with running(app) as url:
        yield url, app, out


def _upload(url: str, data: bytes, name: str) -> requests.Response:
    return requests.post(f"{url}/api/uploads", data=data, headers={"X-Filename": name}, timeout=60)


def _job(url: str, **body) -> dict:
    response = requests.post(f"{url}/api/jobs", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return wait_job(url, response.json())


def _png(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name, make, words, status",
    [
        ("notes.txt", lambda jpg: b"hello, this is text" * 20, "not a readable image", 400),
        ("cut.jpg", lambda jpg: jpg[: len(jpg) // 3], "cut short", 400),
        ("bomb.png", lambda jpg: png_bomb(), "900 MP, over the limit of 64 MP", 400),
        ("empty.png", lambda jpg: b"", "empty (0 bytes)", 400),
        ("huge.jpg", lambda jpg: jpg + bytes(3_000_000), "over the upload limit of 2 MB", 413),
        ("chunked.jpg", lambda jpg: iter([jpg, bytes(1_500_000), bytes(1_500_000)]), "over the upload limit of 2 MB", 413),
    ],
)
def test_a_bad_upload_gets_one_line_and_the_server_keeps_serving(server, odd_photo_path, name, make, words, status):
    url, app, _ = server
    before = set(app.state.store.root.iterdir())
    response = _upload(url, make(odd_photo_path.read_bytes()), name)
    assert response.status_code == status
    error = response.json()["error"]
    assert words in error and name in error and "\n" not in error
    assert str(app.state.store.root) not in error  # the private folder is never shown
    assert set(app.state.store.root.iterdir()) == before  # nothing of it kept
    assert requests.get(f"{url}/api/ops", timeout=10).status_code == 200
    assert _upload(url, odd_photo_path.read_bytes(), "ok.jpg").status_code == 200


def test_an_effect_is_applied_written_restored_and_measured(server, photo):
    url, _, _ = server
    item = _upload(url, _png(photo), "cups.png").json()
    assert (item["width"], item["height"]) == (96, 72)
    job = _job(url, kind="effect", upload=item["id"], op="l0", params={"lam": 0.05}, format="jpg", quality=92)
    assert job["state"] == "done", job
    result = job["result"]
    assert result["params"]["lam"] == 0.05 and result["name"] == "cups-l0.jpg"
    assert result["psnr"] > 20 and 0.5 < result["ssim"] < 1
    download = requests.get(f"{url}/api/jobs/{job['id']}/files/processed?download=1", timeout=10)
    assert 'filename="cups-l0.jpg"' in download.headers["content-disposition"]
    back = requests.get(f"{url}/api/jobs/{job['id']}/files/restored?download=1", timeout=10)
    assert 'filename="cups-restored.png"' in back.headers["content-disposition"]
    processed = Image.open(io.BytesIO(download.content))
    assert processed.format == "JPEG" and processed.size == (96, 72)
    import restorable

    again = np.asarray(restorable.restore(processed))  # the download carries its record: it restores anywhere
    restored = np.asarray(Image.open(io.BytesIO(requests.get(f"{url}/api/jobs/{job['id']}/files/restored", timeout=10).content)))
    assert np.abs(again.astype(int) - restored.astype(int)).max() <= 1
    from restorable.metrics import psnr

    assert abs(psnr(photo, restored) - result["psnr"]) < 0.01  # the figure shown is the file's restoration


def test_restore_takes_a_processed_file_and_refuses_one_without_a_record(server, photo):
    url, _, _ = server
    item = _upload(url, _png(photo), "cups.png").json()
    made = _job(url, kind="effect", upload=item["id"], op="wls", format="png")
    processed = requests.get(f"{url}/api/jobs/{made['id']}/files/processed", timeout=10).content
    job = _job(url, kind="restore", upload=_upload(url, processed, "cups-wls.png").json()["id"])
    assert job["state"] == "done" and job["result"]["op"] == "wls"
    restored = np.asarray(Image.open(io.BytesIO(requests.get(f"{url}/api/jobs/{job['id']}/files/restored", timeout=10).content)))
    from restorable.metrics import psnr

    assert psnr(photo, restored) == pytest.approx(made["result"]["psnr"], abs=0.01)
    plain = _job(url, kind="restore", upload=_upload(url, _png(photo), "plain.png").json()["id"])
    assert plain["state"] == "failed" and "\n" not in plain["error"] and plain["error"]


def test_several_tabs_at_once_each_get_their_own_result(server, photo, odd_photo_path):
    url, _, _ = server
    first = _upload(url, _png(photo), "cups.png").json()
    second = _upload(url, odd_photo_path.read_bytes(), "odd.jpg").json()
    jobs = [requests.post(f"{url}/api/jobs", json=body, timeout=30).json() for body in (
        {"kind": "effect", "upload": first["id"], "op": "wls", "format": "png"},
        {"kind": "effect", "upload": second["id"], "op": "exposure", "params": {"ev": 2}, "format": "jpg"},
        {"kind": "effect", "upload": first["id"], "op": "rgf", "format": "jpg", "quality": 80},
    )]
    done = [wait_job(url, job) for job in jobs]
    assert [j["state"] for j in done] == ["done"] * 3
    assert [(j["result"]["name"], j["result"]["size"]) for j in done] == [
        ("cups-wls.png", [96, 72]), ("odd-exposure.jpg", [511, 383]), ("cups-rgf.jpg", [96, 72])]
    assert done[1]["result"]["params"]["ev"] == 2


def test_a_folder_batch_goes_on_past_a_bad_file(server, batch_folder):
    url, _, out = server
    job = _job(url, kind="batch", folder=0, op="retouch", format="png", quality=95)
    assert job["state"] == "done"
    states = {item["name"]: item["state"] for item in job["items"]}
    assert states == {"p0.jpg": "done", "p1.jpg": "done", "p2.jpg": "done", "p3.jpg": "done", "p9-bad.jpg": "failed"}
    for item in job["items"][:4]:  # checked as the CLI's apply checks: the figure is the file's restoration
        stem = item["name"][:-4]
        assert item["message"].startswith(f"{stem}.png (restores at ") and item["message"].endswith(" dB)"), item
    bad = next(item for item in job["items"] if item["state"] == "failed")
    assert "not a readable image" in bad["message"] and str(batch_folder) not in bad["message"]
    written = sorted(p.name for p in (out / f"{batch_folder.name}-retouch").iterdir())
    assert written == ["p0.png", "p1.png", "p2.png", "p3.png"]
    assert job["result"] == {"out": str(out / f"{batch_folder.name}-retouch"), "done": 4, "failed": 1, "skipped": 0}
    again = _job(url, kind="batch", folder=0, op="retouch", format="png", quality=95)  # outputs are kept, not replaced
    assert again["result"]["skipped"] == 4


def test_a_cancelled_batch_stops_at_once_and_writes_no_half_file(batch_folder, tmp_path):
    from restorable.progress import Cancelled
    from restorable.serve.jobs import Job
    from restorable.serve.work import run_batch
    from restorable.session import Session

    job, real = Job("0" * 16, "batch"), Session()

    class CancelAfterTwo:  # the user presses Cancel while the second photo is being processed
        calls = 0

        def __getattr__(self, name):
            return getattr(real, name)

        def apply(self, *args, **kwargs):
            self.calls += 1
            if self.calls == 2:
                job.cancel.set()
            return real.apply(*args, **kwargs)

    with pytest.raises(Cancelled):
        run_batch(job, CancelAfterTwo(), batch_folder, tmp_path, "retouch", {}, "png", 95, None)
    # the photo being processed stops at its next tile, and nothing of it is written
    assert [item["state"] for item in job.items] == ["done", "cancelled", "queued", "queued", "queued"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p0.png"]


def test_a_folder_batch_refuses_a_photo_that_would_restore_below_the_floor(batch_folder, tmp_path, monkeypatch):
    from dataclasses import replace

    from restorable.operators.registry import OPERATORS
    from restorable.serve.jobs import Job
    from restorable.serve.work import run_batch
    from restorable.session import Session

    monkeypatch.setitem(OPERATORS, "retouch", replace(OPERATORS["retouch"], min_restore_db=99.0))
    job = Job("1" * 16, "batch")
    run_batch(job, Session(), batch_folder, tmp_path, "retouch", {}, "png", 95, None)
    assert [item["state"] for item in job.items] == ["failed"] * 5
    assert all("would restore at only" in item["message"] and "99" in item["message"] for item in job.items[:4])
    assert list(tmp_path.iterdir()) == [] and job.result["failed"] == 5


def test_a_queued_job_can_be_cancelled(server, odd_photo_path):
    url, _, _ = server
    item = _upload(url, odd_photo_path.read_bytes(), "cups.jpg").json()
    first = requests.post(f"{url}/api/jobs", json={"kind": "effect", "upload": item["id"], "op": "rtv"}, timeout=30).json()
    queued = requests.post(f"{url}/api/jobs", json={"kind": "batch", "folder": 0, "op": "l0"}, timeout=30).json()
    assert requests.post(f"{url}/api/jobs/{queued['id']}/cancel", timeout=10).status_code == 200
    assert wait_job(url, queued)["state"] == "cancelled" and wait_job(url, first)["state"] == "done"


@pytest.mark.parametrize(
    "body, words",
    [
        ({"kind": "effect", "upload": "../../etc/passwd", "op": "l0"}, "unknown upload"),
        ({"kind": "batch", "folder": "/etc", "op": "l0"}, "no such folder"),
        ({"kind": "batch", "folder": 7, "op": "l0"}, "no such folder"),
        ({"kind": "format-disk"}, "kind must be"),
    ],
)
def test_the_client_cannot_name_a_path_or_a_folder_of_its_own(server, body, words):
    url, _, _ = server
    response = requests.post(f"{url}/api/jobs", json=body, timeout=10)
    assert response.status_code in (400, 404) and words in response.json()["error"]


def test_settings_are_checked_before_a_job_starts(server, photo):
    url, _, _ = server
    item = _upload(url, _png(photo), "cups.png").json()
    for body, words in [
        ({"op": "nope"}, "unknown operator"),
        ({"op": "l0", "params": {"lam": 5}}, "outside"),
        ({"op": "l0", "format": "gif"}, "format must be"),
        ({"op": "l0", "format": "jpg", "quality": 0}, "quality"),
    ]:
        response = requests.post(f"{url}/api/jobs", json={"kind": "effect", "upload": item["id"], **body}, timeout=10)
        assert response.status_code == 400 and words in response.json()["error"].lower()
    json_type = {"Content-Type": "application/json"}
    assert requests.post(f"{url}/api/jobs", data="{", headers=json_type, timeout=10).json()["error"] == "the request is not JSON"
    for body in [{"upload": ["x"]}, {"upload": item["id"], "op": "l0", "params": [1]},
                 {"upload": item["id"], "op": "l0", "format": ["png"]}, {"upload": item["id"], "op": "l0", "quality": True}]:
        response = requests.post(f"{url}/api/jobs", json={"kind": "effect", **body}, timeout=10)
        assert response.status_code in (400, 404) and response.json()["error"], body  # a line, not a server error


def test_other_web_sites_cannot_start_jobs_or_upload(batch_folder, tmp_path, photo):
    """A page on another site can send "simple" POSTs without the user's consent: the server refuses them."""
    app = create_app(ServeConfig([batch_folder], tmp_path / "out"))
    with running(app) as url:
        _refuses_other_sites(url, app, photo)


def _refuses_other_sites(url, app, photo):
    item = _upload(url, _png(photo), "cups.png").json()
    body = '{"kind": "effect", "upload": "%s", "op": "l0"}' % item["id"]
    evil = {"Origin": "http://evil.example"}
    for headers in [{**evil, "Content-Type": "text/plain"}, {**evil, "Content-Type": "application/json"},
                    {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}]:
        response = requests.post(f"{url}/api/jobs", data=body, headers=headers, timeout=10)
        assert response.status_code == 403 and "other web sites" in response.json()["error"]
    plain = requests.post(f"{url}/api/jobs", data=body, headers={"Content-Type": "text/plain"}, timeout=10)
    assert plain.status_code == 415  # a form or text body needs no CORS consent: only JSON starts a job
    assert requests.post(f"{url}/api/uploads", data=_png(photo), headers=evil | {"X-Filename": "a.png"}, timeout=10).status_code == 403
    assert requests.post(f"{url}/api/uploads", data=_png(photo), timeout=10).status_code == 400  # no X-Filename
    assert len(app.state.runner.jobs) == 0
    own = requests.post(f"{url}/api/jobs", data=body, headers={"Origin": url, "Content-Type": "application/json"}, timeout=10)
    assert own.status_code == 200  # the page itself (same origin) works


def test_old_uploads_and_results_are_deleted(batch_folder, tmp_path, photo, monkeypatch):
    from restorable.serve import app as app_module, jobs

    monkeypatch.setattr(app_module, "KEEP_UPLOADS", 2)
    monkeypatch.setattr(jobs, "KEEP_FINISHED", 1)
    app = create_app(ServeConfig([batch_folder], tmp_path / "out"))
    with running(app) as url:
        _deletes_old_files(url, app, photo)


def _deletes_old_files(url, app, photo):
    data = _png(photo[:32, :32])
    items = [_upload(url, data, f"p{i}.png").json() for i in range(4)]
    assert len(list(app.state.store.root.iterdir())) == 2
    response = requests.post(f"{url}/api/jobs", json={"kind": "effect", "upload": items[0]["id"], "op": "l0"}, timeout=10)
    assert response.status_code == 404 and "upload the photo again" in response.json()["error"]
    done = [_job(url, kind="effect", upload=items[3]["id"], op="retouch", format="png") for _ in range(3)]
    assert requests.get(f"{url}/api/jobs/{done[0]['id']}", timeout=10).status_code == 404
    assert requests.get(f"{url}/api/jobs/{done[-1]['id']}/files/processed", timeout=10).status_code == 200
    # two uploads, the last finished job's folder, and the one job before it that the runner still remembers
    assert len(list(app.state.store.root.iterdir())) <= 4


def test_files_are_reached_only_by_job_and_name(server, photo):
    url, app, _ = server
    item = _upload(url, _png(photo), "../../../tmp/evil name.png").json()
    assert item["name"] == "evil_name.png"
    assert all(p.is_relative_to(app.state.store.root) for p in app.state.store.root.rglob("*"))
    job = _job(url, kind="effect", upload=item["id"], op="retouch", format="png")
    for what in ("upload", "..%2F..%2Fetc%2Fpasswd", "original.png"):
        assert requests.get(f"{url}/api/jobs/{job['id']}/files/{what}", timeout=10).status_code == 404
    assert requests.get(f"{url}/api/jobs/0123456789abcdef", timeout=10).status_code == 404
    assert requests.get(f"{url}/static/../app.py", timeout=10).status_code == 404


def test_only_this_machine_s_names_reach_a_loopback_server(server):
    url, _, _ = server
    assert requests.get(f"{url}/api/ops", headers={"Host": "attacker.example"}, timeout=10).status_code == 400
    ops = requests.get(f"{url}/api/ops", headers={"Host": "localhost:1"}, timeout=10).json()
    assert ops["operators"]["l0"]["params"]["lam"]["scale"] == "log" and ops["operators"]["l0"]["params"]["lam"]["conditioned"]
    assert "effect" in ops["families"]


def test_the_upload_folder_is_private_and_deleted_when_the_server_stops(batch_folder, tmp_path, photo):
    app = create_app(ServeConfig([batch_folder], tmp_path / "out"))
    root = app.state.store.root
    with running(app) as url:
        assert _upload(url, _png(photo), "a.png").status_code == 200
        assert (root.stat().st_mode & 0o777) == 0o700 and any(root.iterdir())
    assert not root.exists()


def test_serve_refuses_a_folder_that_is_not_one(tmp_path):
    from typer.testing import CliRunner

    from restorable.cli import app

    result = CliRunner().invoke(app, ["serve", "--folder", str(tmp_path / "missing")])
    assert result.exit_code != 0
    assert "not a folder" in json.dumps(str(result.exception)) or "not a folder" in result.output
