"""The weights manager: manifest, cache, bundled defaults, downloads from a local 127.0.0.1 server."""

from __future__ import annotations

import hashlib
import time
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from file_server import FileServer

from restorable.errors import RestorableError
from restorable.weights import BUNDLED, load_weights, resolve_weights
from restorable.weights.download import FetchPolicy
from restorable.weights.manifest import PACKAGED, load_manifest, parse_manifest
from restorable.weights.store import cached_path

ROOT = Path(__file__).resolve().parents[1]
NAME = "l0-v99.safetensors"  # a version that is not bundled: it must come from the cache or the server


@pytest.fixture(scope="module")
def bundled_l0() -> bytes:
    """A real checkpoint: the bundled l0 weights."""
    return (BUNDLED / load_manifest(PACKAGED).entry("l0").file).read_bytes()


@pytest.fixture(scope="module")
def other_l0(tmp_path_factory) -> bytes:
    """Another real l0 checkpoint (untrained network) with different bytes."""
    from restorable.model.checkpoint import save_model
    from restorable.model.qinet import ModelConfig, QuasiInvertibleNet

    path = tmp_path_factory.mktemp("ckpt") / "other.safetensors"
    save_model(path, QuasiInvertibleNet(ModelConfig(aux="reference", code_scale=0.25)), {"op": "l0", "params": {}}, half=True)
    return path.read_bytes()


def write_manifest(path: Path, base_url: str, data: bytes, default: str = "2", bundled_entry: bool = True) -> Path:
    """A manifest with l0 v2 (served, not bundled) and, optionally, the packaged l0 v1 (bundled)."""
    versions = {
        "2": {"file": NAME, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "urls": [],
              "bundled": False, "architecture": {}, "training": {}, "licence": "MIT"},
    }
    if bundled_entry:
        packaged = json.loads(PACKAGED.read_text())["weights"]["l0"]["versions"]["1"]
        versions["1"] = packaged
    path.write_text(json.dumps({"schema": 1, "base_url": base_url, "weights": {"l0": {"default": default, "versions": versions}}}))
    return path


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A private cache and manifest; no mirror, online."""
    monkeypatch.setenv("RESTORABLE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("RESTORABLE_MANIFEST", str(tmp_path / "manifest.json"))
    monkeypatch.delenv("RESTORABLE_WEIGHTS_URL", raising=False)
    monkeypatch.delenv("RESTORABLE_OFFLINE", raising=False)
    monkeypatch.setattr("restorable.weights.store.DEFAULT_POLICY", FetchPolicy(backoff=0.05, timeout=(5.0, 5.0)))
    return tmp_path


def cached_name(data: bytes) -> str:
    """The cache file name of l0 v2 with these bytes (file stem + sha256 prefix)."""
    return f"l0-v99-{hashlib.sha256(data).hexdigest()[:12]}.safetensors"


def cache_files(env: Path) -> list[str]:
    folder = env / "cache" / "weights"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_first_download_then_cache_then_load(env, other_l0):
    with FileServer({NAME: other_l0}) as server:
        write_manifest(env / "manifest.json", server.url, other_l0)
        path = resolve_weights("l0")
        assert path == env / "cache" / "weights" / cached_name(other_l0)
        assert sha(path) == hashlib.sha256(other_l0).hexdigest()
        assert server.gets(NAME) == [None]
        assert resolve_weights("l0") == path and len(server.requests) == 1  # second time: from the cache
        loaded = load_weights("l0")
        assert loaded.sha256 == hashlib.sha256(other_l0).hexdigest()
        assert cache_files(env) == [cached_name(other_l0)]  # no .part left


def test_resume_after_transfer_cut_in_the_middle(env, other_l0):
    with FileServer({NAME: other_l0}, cut_once={NAME}) as server:
        write_manifest(env / "manifest.json", server.url, other_l0)
        path = resolve_weights("l0")
        ranges = server.gets(NAME)
        assert ranges[0] is None and len(ranges) == 2
        start = int(ranges[1].removeprefix("bytes=").removesuffix("-"))
        assert len(other_l0) // 4 < start <= len(other_l0) // 2  # resumed where the kept bytes end
        assert path.read_bytes() == other_l0


def test_resume_a_partial_file_left_by_an_earlier_run(env, other_l0):
    part = env / "cache" / "weights" / f"{cached_name(other_l0)}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(other_l0[:1000])
    with FileServer({NAME: other_l0}) as server:
        write_manifest(env / "manifest.json", server.url, other_l0)
        assert resolve_weights("l0").read_bytes() == other_l0
        assert server.gets(NAME) == ["bytes=1000-"]
    assert cache_files(env) == [cached_name(other_l0)]


def test_server_that_ignores_range_still_gives_the_right_file(env, other_l0):
    part = env / "cache" / "weights" / f"{cached_name(other_l0)}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(other_l0[:1000])
    with FileServer({NAME: other_l0}, ignore_range=True) as server:
        write_manifest(env / "manifest.json", server.url, other_l0)
        assert resolve_weights("l0").read_bytes() == other_l0
        assert server.gets(NAME) == ["bytes=1000-"]  # answered with the whole file, written from zero


def test_partial_file_of_another_file_is_fetched_again_from_zero(env, bundled_l0, other_l0):
    part = env / "cache" / "weights" / f"{cached_name(other_l0)}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(bundled_l0[:5000])  # left by an older file of the same name
    with FileServer({NAME: other_l0}) as server:
        write_manifest(env / "manifest.json", server.url, other_l0)
        assert resolve_weights("l0").read_bytes() == other_l0
        assert server.gets(NAME) == ["bytes=5000-", None]


@pytest.mark.parametrize("served", ["longer", "shorter"])
def test_file_of_another_size_is_an_error_and_leaves_nothing(env, other_l0, served):
    data = other_l0 + b"x" * 100_000 if served == "longer" else other_l0[:-1000]
    with FileServer({NAME: data}) as server:
        write_manifest(env / "manifest.json", server.url, other_l0)
        with pytest.raises(RestorableError, match="differs from the manifest|bytes"):
            resolve_weights("l0")
    assert cache_files(env) == []


def test_unwritable_cache_is_a_one_line_error(env, other_l0, monkeypatch):
    (env / "not-a-folder").write_text("a file")
    monkeypatch.setenv("RESTORABLE_CACHE", str(env / "not-a-folder"))
    with FileServer({NAME: other_l0}) as server:
        write_manifest(env / "manifest.json", server.url, other_l0)
        with pytest.raises(RestorableError, match="cannot write the weights cache"):
            resolve_weights("l0")


def test_wrong_file_on_the_server_is_an_error_and_leaves_nothing(env, other_l0):
    damaged = bytearray(other_l0)
    damaged[len(damaged) // 2] ^= 0x01  # same size, one bit off: only the sha256 can tell
    with FileServer({NAME: bytes(damaged)}) as server:
        write_manifest(env / "manifest.json", server.url, other_l0)
        with pytest.raises(RestorableError, match="sha256"):
            resolve_weights("l0")
    assert cache_files(env) == []


def test_corrupted_cache_file_is_fetched_again(env, other_l0, caplog):
    with FileServer({NAME: other_l0}) as server:
        write_manifest(env / "manifest.json", server.url, other_l0)
        path = resolve_weights("l0")
        damaged = bytearray(path.read_bytes())
        damaged[len(damaged) // 2] ^= 0xFF
        path.write_bytes(bytes(damaged))
        assert resolve_weights("l0").read_bytes() == other_l0
        assert server.gets(NAME) == [None, None]
    assert any("damaged" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


def test_offline_uses_the_cache_and_never_the_network(env, other_l0, monkeypatch):
    with FileServer({NAME: other_l0}) as server:
        write_manifest(env / "manifest.json", server.url, other_l0)
        monkeypatch.setenv("RESTORABLE_OFFLINE", "1")
        with pytest.raises(RestorableError, match="RESTORABLE_OFFLINE"):
            resolve_weights("l0")
        assert server.requests == [] and cache_files(env) == []
        monkeypatch.delenv("RESTORABLE_OFFLINE")
        path = resolve_weights("l0")
        monkeypatch.setenv("RESTORABLE_OFFLINE", "1")
        assert resolve_weights("l0") == path
        assert len(server.requests) == 1


def test_offline_bundled_default_needs_no_cache(env, monkeypatch):
    write_manifest(env / "manifest.json", "http://127.0.0.1:9/", b"unused", default="1")
    monkeypatch.setenv("RESTORABLE_OFFLINE", "1")
    assert resolve_weights("l0").parent == BUNDLED


def test_mirror_override(env, other_l0, monkeypatch):
    with FileServer({}) as primary, FileServer({NAME: other_l0}) as mirror:
        write_manifest(env / "manifest.json", primary.url, other_l0)
        monkeypatch.setenv("RESTORABLE_WEIGHTS_URL", mirror.url + "/")
        assert resolve_weights("l0").read_bytes() == other_l0
        assert primary.requests == [] and mirror.gets(NAME) == [None]


def test_urls_are_tried_in_order(env, other_l0):
    with FileServer({}) as broken, FileServer({NAME: other_l0}) as good:
        manifest = write_manifest(env / "manifest.json", broken.url, other_l0)
        data = json.loads(manifest.read_text())
        data["weights"]["l0"]["versions"]["2"]["urls"] = [f"{good.url}/{NAME}"]
        manifest.write_text(json.dumps(data))
        assert resolve_weights("l0").read_bytes() == other_l0
        assert broken.gets(NAME) == [None]  # a 404 is not retried
        assert good.gets(NAME) == [None]


def test_two_concurrent_fetches_download_once_and_corrupt_nothing(env, other_l0):
    with FileServer({NAME: other_l0}, delay=0.2) as server:  # ~1.4 s transfer
        write_manifest(env / "manifest.json", server.url, other_l0)
        cmd = [sys.executable, "-c", "from restorable.cli import main; main()", "weights", "fetch", "l0"]
        procs = [subprocess.Popen(cmd, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outputs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        assert server.gets(NAME) == [None]
    assert cached_path(load_manifest().entry("l0")).read_bytes() == other_l0
    assert cache_files(env) == [cached_name(other_l0)]


def test_restore_finds_the_version_that_made_the_file(env, other_l0):
    """A file made with v1 restores with v1 after v2 became the default."""
    from restorable.api import apply_photo, restore_photo
    from restorable.photo import Photo

    write_manifest(env / "manifest.json", "http://127.0.0.1:9/", other_l0, default="1")
    from restorable.image_file import read_image

    photo = Photo(read_image(Path(__file__).parent / "data" / "cups_96x72.png"))
    processed = apply_photo(photo, "l0", device="cpu")
    with FileServer({NAME: other_l0}) as server:
        write_manifest(env / "manifest.json", server.url, other_l0, default="2")
        restored = restore_photo(processed, device="cpu")
        assert server.requests == []  # v2 was never needed
    assert processed.provenance.model_sha256 == sha(BUNDLED / "l0-v1.safetensors")
    mse = np.mean((restored.rgb.astype(float) - photo.rgb.astype(float)) ** 2)
    assert 10 * np.log10(255**2 / mse) > 20  # the untrained v2 gives ~5 dB


def test_apply_picks_the_lossless_weights_for_png_and_the_robust_ones_for_jpeg(env, other_l0):
    """l0 with a lossless version (v2, served): PNG outputs use it, JPEG outputs and the API default do not;
    --robust / --invisible override the format; each file restores with the weights that made it."""
    from restorable.photo import read_photo

    manifest = json.loads(write_manifest(env / "manifest.json", "http://127.0.0.1:9/", other_l0, default="1").read_text())
    source = Path(__file__).parent / "data" / "cups_96x72.png"
    with FileServer({NAME: other_l0}) as server:
        manifest["base_url"] = server.url
        manifest["weights"]["l0"]["lossless"] = "2"
        (env / "manifest.json").write_text(json.dumps(manifest))
        made_with = {}
        for name, flags in [("a.png", []), ("b.jpg", []), ("c.png", ["--robust"]), ("d.jpg", ["--invisible"])]:
            result = run_cli("apply", "--op", "l0", "--device", "cpu", "--min-restore-db", "0", *flags, str(source), str(env / name))
            assert result.returncode == 0, result.stderr
            made_with[name] = read_photo(env / name).provenance.model_sha256
            assert ("invisible weights" in result.stderr) == (made_with[name] == hashlib.sha256(other_l0).hexdigest())
        restored = run_cli("restore", "--device", "cpu", str(env / "a.png"))
        assert restored.returncode == 0, restored.stderr
        with Image.open(env / "a.png") as img:  # another program re-saves it: the record is gone
            img.convert("RGB").save(env / "stripped.png")
            img.convert("RGB").save(env / "stripped.tif")
        stripped = {}
        for name, flags in [("stripped.png", []), ("stripped.tif", ["--robust"])]:
            result = run_cli("restore", "--device", "cpu", "--op", "l0", *flags, str(env / name), str(env / f"r-{name}.png"))
            assert result.returncode == 0, result.stderr
            stripped[name] = result.stderr
    lossless, robust = hashlib.sha256(other_l0).hexdigest(), sha(BUNDLED / "l0-v1.safetensors")
    assert made_with == {"a.png": lossless, "b.jpg": robust, "c.png": robust, "d.jpg": lossless}
    assert f"l0@{lossless[:12]}" in stripped["stripped.png"] and f"l0@{robust[:12]}" in stripped["stripped.tif"]


def test_manifest_errors_name_the_field(tmp_path):
    good = json.loads(PACKAGED.read_text())
    parse_manifest(good)
    for mutate, field in [
        (lambda d: d["weights"]["l0"]["versions"]["1"].update(sha256="abc"), "l0.versions.1.sha256"),
        (lambda d: d["weights"]["l0"]["versions"]["1"].pop("size"), "l0.versions.1.size"),
        (lambda d: d["weights"]["l0"].update(default="9"), "l0.default"),
        (lambda d: d["weights"]["l0"].update(lossless="9"), "l0.lossless"),
        (lambda d: d["weights"]["l0"].update(conditioned="9"), "l0.conditioned"),
        (lambda d: d["weights"]["l0"]["versions"]["1"].update(file="../evil.safetensors"), "l0.versions.1.file"),
        (lambda d: d.update(schema=2), "schema"),
        (lambda d: d["weights"].update(wls=json.loads(json.dumps(d["weights"]["l0"]))), "wls.versions.1.file"),
    ]:
        data = json.loads(json.dumps(good))
        mutate(data)
        with pytest.raises(RestorableError, match=field.replace(".", r"\.")):
            parse_manifest(data, tmp_path / "m.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(RestorableError, match="not valid JSON"):
        load_manifest(tmp_path / "bad.json")


def test_top_level_manifest_is_the_packaged_one():
    """The wheel carries restorable/weights/manifest.json: it must be a copy of the top-level file."""
    assert not PACKAGED.is_symlink()
    assert PACKAGED.read_bytes() == (ROOT / "weights_manifest.json").read_bytes()


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from restorable.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_cli_verify_passes_on_the_bundled_set_and_fails_on_a_mismatch(tmp_path):
    env = {**os.environ, "RESTORABLE_CACHE": str(tmp_path / "cache")}
    env.pop("RESTORABLE_MANIFEST", None)
    ok = run_cli("weights", "verify", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    data = json.loads(PACKAGED.read_text())
    data["weights"]["l0"]["versions"]["1"]["sha256"] = "0" * 64
    (tmp_path / "m.json").write_text(json.dumps(data))
    bad = run_cli("weights", "verify", env={**env, "RESTORABLE_MANIFEST": str(tmp_path / "m.json")})
    assert bad.returncode == 1 and "MISMATCH" in bad.stdout


def test_cli_list_fetch_path_clear(env, other_l0):
    with FileServer({NAME: other_l0}) as server:
        write_manifest(env / "manifest.json", server.url, other_l0)
        listed = json.loads(run_cli("weights", "list", "--json", env=os.environ.copy()).stdout)
        assert {(r["op"], r["version"], r["where"]) for r in listed} == {("l0", "2", "remote"), ("l0", "1", "bundled")}
        fetched = run_cli("weights", "fetch", "l0", "--all-versions", env=os.environ.copy())
        assert fetched.returncode == 0, fetched.stderr
        assert "l0 v1: already at" in fetched.stderr and "l0 v2: fetched" in fetched.stderr
        path = run_cli("weights", "path", "l0", env=os.environ.copy()).stdout.strip()
        assert Path(path) == env / "cache" / "weights" / cached_name(other_l0)
        cleared = run_cli("weights", "clear", env=os.environ.copy())
        assert cleared.returncode == 0 and cache_files(env) == []
        unknown = run_cli("weights", "fetch", "nope", env=os.environ.copy())
        assert unknown.returncode == 2 and unknown.stderr.startswith("error:") and "Traceback" not in unknown.stderr


def test_nothing_in_the_project_unpickles():
    sources = [p for folder in ("restorable", "scripts", "benchmarks") for p in (ROOT / folder).rglob("*.py")]
    for path in sources:
        text = path.read_text()
        for unsafe in ("torch.load(", "import pickle", "from pickle", "allow_pickle=True", "torch.jit.load"):
            assert unsafe not in text, (path, unsafe)


def test_a_trickling_server_is_cut_and_the_fetch_has_a_deadline(env, other_l0, monkeypatch):
    # 1 KiB every 0.1 s: far below min_rate; each attempt is cut after rate_grace, all within the deadline
    policy = FetchPolicy(backoff=0.05, timeout=(5.0, 5.0), deadline=2.0, min_rate=100_000.0, rate_grace=0.3)
    monkeypatch.setattr("restorable.weights.store.DEFAULT_POLICY", policy)
    with FileServer({NAME: other_l0}, delay=0.1, chunk=1024) as server:
        write_manifest(env / "manifest.json", server.url, other_l0)
        started = time.monotonic()
        with pytest.raises(RestorableError, match=r"could not fetch .*(gave up after 2 s|too slow)"):
            resolve_weights("l0")
        assert time.monotonic() - started < 4.0
        assert len(server.gets(NAME)) >= 2  # cut and resumed, not one endless transfer
    assert not [name for name in cache_files(env) if not name.endswith(".part")]


def test_a_silent_server_ends_at_the_deadline(env, other_l0, monkeypatch):
    policy = FetchPolicy(backoff=0.05, timeout=(1.0, 0.5), deadline=1.5, attempts=100)
    monkeypatch.setattr("restorable.weights.store.DEFAULT_POLICY", policy)
    with FileServer({NAME: other_l0}, delay=30.0, chunk=10) as server:  # 10 bytes, then silence
        write_manifest(env / "manifest.json", server.url, other_l0)
        started = time.monotonic()
        with pytest.raises(RestorableError, match="gave up after 1.5 s"):
            resolve_weights("l0")
        assert time.monotonic() - started < 3.5
