"""The pack family (issue 20): the packing network, its training groups, pack/unpack in the API and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from test_cli import run_cli

from restorable.cli import app
from restorable.model import ModelConfig
from restorable.transforms.pack.network import PackNet

runner = CliRunner()
UNCHECKED = ("--min-restore-db", "0")  # the tiny test network unpacks far below pack's default floor


def _net(inputs: int = 2) -> PackNet:
    torch.manual_seed(0)
    net = PackNet(ModelConfig(inv_blocks=2, inv_width=8, aux="none", inputs=inputs))
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))  # not the identity start
    return net.eval()


@pytest.mark.parametrize("inputs", [2, 3, 4])
def test_the_packing_network_is_invertible_and_hides_the_rest_in_delta(inputs):
    net = _net(inputs)
    x = torch.rand(2, 3 * inputs, 16, 24)
    y, delta = net(x)
    assert y.shape == (2, 3, 16, 24) and delta.shape == (2, 12 * (inputs - 1), 8, 12)
    assert torch.allclose(net.reverse(y, delta), x, atol=1e-5)  # exactly invertible: only delta = 0 approximates
    assert not torch.allclose(net.reverse(y), x, atol=1e-3)
    assert [t.shape for t in net.decode(net.encode(list(x.split(3, dim=1)))[0])] == [(2, 3, 16, 24)] * inputs


def test_an_untrained_packing_network_shows_the_first_image():
    net = PackNet(ModelConfig(inv_blocks=2, inv_width=8, aux="none", inputs=3))  # couplings start as the identity
    x = torch.rand(1, 9, 8, 8)
    y, _ = net(x)
    assert torch.allclose(y, x[:, :3], atol=1e-6)


def test_pack_groups_are_shifted_views_and_unrelated_photos(photo_dir):
    from restorable.train.data import load_pack_groups

    groups = load_pack_groups(photo_dir, None, 2, max_shift=8)
    assert [g.name for g in groups] == ["a shifted", "a unrelated", "b shifted", "b unrelated"]
    shifted, unrelated = groups[0], groups[1]
    assert shifted.source.shape == (72, 72, 6) and np.array_equal(shifted.target, shifted.source[..., :3])
    assert not np.array_equal(shifted.source[..., :3], shifted.source[..., 3:])
    b = groups[2].source[..., :3]
    assert np.array_equal(unrelated.source[..., 3:].shape, b.shape)  # another photo, the same square
    with pytest.raises(Exception, match="fewer than"):
        load_pack_groups(photo_dir, None, 3)


@pytest.fixture(scope="module")
def pack_weights(tmp_path_factory, odd_photo_path):
    """A tiny pack-2 network trained by `restorable train` for a few steps."""
    root = tmp_path_factory.mktemp("pack")
    data = root / "data"
    data.mkdir()
    with Image.open(odd_photo_path) as img:
        for i in range(3):
            img.crop((i * 120, 0, i * 120 + 160, 160)).save(data / f"p{i}.png")
    out = root / "pack-2.safetensors"
    result = runner.invoke(app, [
        "train", "--op", "pack-2", "--data", str(data), "--size", "160", "--crop", "64", "--batch", "4", "--steps", "40",
        "--out", str(out), "--width", "8", "--inv-blocks", "2", "--w-freq", "1", "--jpeg", "--lr", "2e-3",
    ])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture()
def shots(tmp_path, odd_photo_path):
    """left.jpg and right.jpg (a mirrored view) of one size, and small.jpg of another."""
    with Image.open(odd_photo_path) as img:
        img.save(tmp_path / "left.jpg", quality=95)
        img.transpose(Image.FLIP_LEFT_RIGHT).save(tmp_path / "right.jpg", quality=95)
        img.crop((0, 0, 200, 100)).save(tmp_path / "small.jpg")
    return tmp_path


def test_pack_and_unpack_give_the_images_back_under_their_names(pack_weights, shots):
    packed = shots / "packed.png"
    result = runner.invoke(app, ["pack", str(shots / "left.jpg"), str(shots / "right.jpg"), "-o", str(packed), "--weights", str(pack_weights), *UNCHECKED])
    assert result.exit_code == 0, result.output
    with Image.open(packed) as img:
        record = json.loads(img.info["restorable"])
        assert img.size == (511, 383)
    assert record["family"] == "pack" and record["op"] == "pack-2" and [m["name"] for m in record["members"]] == ["left.jpg", "right.jpg"]
    result = runner.invoke(app, ["unpack", str(packed), "-o", str(shots / "out"), "--weights", str(pack_weights)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (shots / "out").iterdir()) == ["left.jpg", "right.jpg"]
    from restorable.photo import read_photo
    from restorable.session import Session
    from restorable.settings import RunSettings

    session = Session(RunSettings(weights=pack_weights))
    (first, a), (second, b) = session.unpack(read_photo(packed))
    assert (first, second) == ("left.jpg", "right.jpg") and a.rgb.shape == b.rgb.shape == (383, 511, 3)
    again = run_cli("unpack", str(packed), "-o", str(shots / "out"), "--weights", str(pack_weights))
    assert again.returncode == 2 and "already there" in again.stderr and "--overwrite" in again.stderr


def test_pack_of_folders_pairs_files_by_name_and_goes_on_past_a_missing_one(pack_weights, shots):
    left, right = shots / "L", shots / "R"
    left.mkdir()
    right.mkdir()
    for name in ("one", "two", "three"):
        (left / f"{name}.jpg").write_bytes((shots / "left.jpg").read_bytes())
    for name in ("one", "three"):
        Image.open(shots / "right.jpg").save(right / f"{name}.png")
    result = runner.invoke(app, ["pack", str(left), str(right), "-o", str(shots / "packed"), "--weights", str(pack_weights), *UNCHECKED])
    assert result.exit_code == 1
    assert sorted(p.name for p in (shots / "packed").iterdir()) == ["one.png", "three.png"]
    assert "2 done" in result.output and "1 failed" in result.output and "no two.*" in result.output
    (shots / "packed" / "zz-plain.jpg").write_bytes((shots / "left.jpg").read_bytes())  # not a packed file
    result = runner.invoke(app, ["unpack", str(shots / "packed"), "-o", str(shots / "back"), "--weights", str(pack_weights)])
    assert result.exit_code == 1 and "2 done, 1 failed" in result.output and "zz-plain.jpg: not a packed file" in result.output
    assert sorted(str(p.relative_to(shots / "back")) for p in (shots / "back").rglob("*.*")) == [
        "one/one.jpg", "one/one.png", "three/three.jpg", "three/three.png"]


@pytest.mark.parametrize(
    "args, words",
    [
        (["pack", "{left}", "-o", "{out}"], "pack takes 2 to 4 images (or folders), got 1"),
        (["pack", "{left}", "{right}", "{left}", "{right}", "{left}", "-o", "{out}"], "got 5"),
        (["pack", "{left}", "{small}", "-o", "{out}"], "all images must have the same size: left.jpg is 511x383, small.jpg is 200x100"),
        (["unpack", "{left}"], "not a packed file (no restorable record)"),
        (["apply", "--op", "pack-2", "{left}", "{out}"], "use restorable pack"),
    ],
)
def test_bad_pack_input_is_one_line(pack_weights, shots, args, words):
    paths = {"left": shots / "left.jpg", "right": shots / "right.jpg", "small": shots / "small.jpg", "out": shots / "x.png"}
    result = run_cli(*[a.format(**paths) for a in args], "--weights", str(pack_weights))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]
    assert not (shots / "x.png").exists()


def test_a_packed_file_is_not_restored_and_an_effect_file_is_not_unpacked(pack_weights, shots, weights):
    packed = shots / "packed.png"
    runner.invoke(app, ["pack", str(shots / "left.jpg"), str(shots / "right.jpg"), "-o", str(packed), "--weights", str(pack_weights), *UNCHECKED])
    result = run_cli("restore", str(packed), "--weights", str(pack_weights))
    assert result.returncode == 2 and "restorable unpack" in result.stderr
    effect = shots / "effect.png"
    assert runner.invoke(app, ["apply", "--op", "exposure", str(shots / "left.jpg"), str(effect), "--weights", str(weights), "--min-restore-db", "0"]).exit_code == 0
    result = run_cli("unpack", str(effect))
    assert result.returncode == 2 and "made with exposure" in result.stderr


def test_a_record_naming_a_path_for_a_member_is_refused():
    from restorable.errors import RestorableError
    from restorable.provenance import Provenance

    record = {"op": "pack-2", "params": {}, "model_id": "m", "model_sha256": "", "tool_version": "0.2.0", "version": 2,
              "family": "pack", "inputs": 2, "members": [{"name": "a.png", "size": [4, 4], "channels": 3},
                                                        {"name": "../../.bashrc", "size": [4, 4], "channels": 3}]}
    with pytest.raises(RestorableError, match="plain file name"):
        Provenance.from_json(json.dumps(record))
    record["members"][1]["name"] = "b.png"
    assert Provenance.from_json(json.dumps(record)).members[1].name == "b.png"
    record["members"].pop()
    with pytest.raises(RestorableError, match="one entry per input"):
        Provenance.from_json(json.dumps(record))


def _exif(model: str, extra: bytes = b"") -> bytes:
    exif = Image.Exif()
    exif[0x0110] = model  # Model
    if extra:
        exif[0x9286] = extra  # UserComment
    return exif.tobytes()


def test_unpack_gives_each_image_its_own_exif_and_profile(pack_weights, shots):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    with Image.open(shots / "right.jpg") as img:
        img.save(shots / "right.jpg", quality=95, exif=_exif("RightCam"), icc_profile=profile)
    with Image.open(shots / "left.jpg") as img:
        img.save(shots / "left.jpg", quality=95, exif=_exif("LeftCam"))
    packed = shots / "packed.jpg"
    result = runner.invoke(app, ["pack", str(shots / "left.jpg"), str(shots / "right.jpg"), "-o", str(packed), "--weights", str(pack_weights), *UNCHECKED])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["unpack", str(packed), "-o", str(shots / "out"), "--weights", str(pack_weights)])
    assert result.exit_code == 0, result.output
    with Image.open(shots / "out" / "left.jpg") as left, Image.open(shots / "out" / "right.jpg") as right:
        assert left.getexif()[0x0110] == "LeftCam" and "icc_profile" not in left.info
        assert right.getexif()[0x0110] == "RightCam" and right.info["icc_profile"] == profile


def test_metadata_too_large_for_the_packed_file_is_named_not_kept(pack_weights, shots):
    with Image.open(shots / "right.jpg") as img:
        img.save(shots / "right.jpg", quality=95, exif=_exif("RightCam", b"x" * 60_000))
    packed = shots / "packed.png"
    result = run_cli("pack", str(shots / "left.jpg"), str(shots / "right.jpg"), "-o", str(packed), "--weights", str(pack_weights), *UNCHECKED)
    assert result.returncode == 0 and "right.jpg: its EXIF is not kept" in result.stderr
    result = run_cli("unpack", str(packed), "-o", str(shots / "out"), "--weights", str(pack_weights))
    assert result.returncode == 0, result.stderr
    with Image.open(shots / "out" / "right.jpg") as right:
        assert 0x0110 not in right.getexif()


def test_the_api_packs_and_unpacks_pil_images_and_arrays(pack_weights, shots, caplog):
    import restorable

    with Image.open(shots / "left.jpg") as a, Image.open(shots / "right.jpg") as b:
        left, right = a.convert("RGB"), b.convert("RGB")
    packed = restorable.pack([left, right], names=["l.png", "r.png"], weights=pack_weights)
    assert isinstance(packed, Image.Image) and packed.size == left.size
    packed.save(shots / "p.png", pnginfo=restorable.pnginfo(packed))
    with Image.open(shots / "p.png") as img:
        images = restorable.unpack(img, weights=pack_weights)
    assert [name for name, _ in images] == ["l.png", "r.png"]
    assert all(isinstance(image, Image.Image) and image.size == left.size for _, image in images)

    arrays = [np.asarray(left), np.asarray(right)]
    flat = restorable.pack(arrays, weights=pack_weights)
    assert isinstance(flat, np.ndarray) and flat.shape == arrays[0].shape
    with pytest.raises(restorable.api.RestorableError, match="an array carries no record: op=.pack-2."):
        restorable.unpack(flat, weights=pack_weights)
    import logging

    with caplog.at_level(logging.WARNING, logger="restorable"):
        back = restorable.unpack(flat, op="pack-2", weights=pack_weights)
    assert any("no restorable record: unpacked as 2 images (pack-2)" in r.getMessage() for r in caplog.records)
    assert [name for name, _ in back] == ["image-1.png", "image-2.png"] and back[1][1].shape == arrays[1].shape
    with pytest.raises(restorable.api.RestorableError, match="not a packing operator"):
        restorable.unpack(flat, op="l0", weights=pack_weights)
    with pytest.raises(restorable.api.RestorableError, match="3 images but 2 names"):
        restorable.pack(arrays + arrays[:1], names=["a", "b"], weights=pack_weights)


def test_packed_names_are_plain_and_distinct(pack_weights, shots, tmp_path):
    import restorable

    with Image.open(shots / "left.jpg") as a, Image.open(shots / "right.jpg") as b:
        images = [a.convert("RGB"), b.convert("RGB")]
    for names in (["../../x.png", "b.png"], ["sub/x.png", "b.png"], ["", "b.png"], [None, "b.png"]):
        with pytest.raises(restorable.RestorableError, match="without folders"):
            restorable.pack(images, names=names, weights=pack_weights)
    packed = restorable.pack(images, names=["shot.jpg", "SHOT.jpg"], weights=pack_weights)  # e.g. left/shot.jpg, right/shot.jpg
    restorable.save(packed, tmp_path / "p.png")
    with Image.open(tmp_path / "p.png") as img:
        assert [name for name, _ in restorable.unpack(img, weights=pack_weights)] == ["shot.jpg", "SHOT-2.jpg"]
    left, right = shots / "L", shots / "R"  # the CLI's pack of folders pairs files of one name
    for folder, src in ((left, "left.jpg"), (right, "right.jpg")):
        folder.mkdir()
        (folder / "one.jpg").write_bytes((shots / src).read_bytes())
    assert run_cli("pack", str(left / "one.jpg"), str(right / "one.jpg"), "-o", str(tmp_path / "one.png"),
                   "--weights", str(pack_weights), *UNCHECKED).returncode == 0
    result = run_cli("unpack", str(tmp_path / "one.png"), "-o", str(tmp_path / "out"), "--weights", str(pack_weights))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["one-2.jpg", "one.jpg"]


def test_unpack_op_reads_a_file_whose_record_was_stripped(pack_weights, shots):
    packed = shots / "packed.png"
    assert run_cli("pack", str(shots / "left.jpg"), str(shots / "right.jpg"), "-o", str(packed), "--weights", str(pack_weights), *UNCHECKED).returncode == 0
    with Image.open(packed) as img:
        img.convert("RGB").save(shots / "stripped.png")  # another program dropped the text chunk
    result = run_cli("unpack", str(shots / "stripped.png"), "-o", str(shots / "out"), "--weights", str(pack_weights))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "no restorable record" in result.stderr
    result = run_cli("unpack", str(shots / "stripped.png"), "--op", "pack-2", "-o", str(shots / "out"), "--weights", str(pack_weights))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (shots / "out").iterdir()) == ["image-1.png", "image-2.png"]


def test_pack_checks_that_every_image_unpacks_from_the_file_it_writes(pack_weights, shots):
    packed = shots / "packed.jpg"
    args = ["pack", str(shots / "left.jpg"), str(shots / "right.jpg"), "-o", str(packed), "--weights", str(pack_weights)]
    refused = run_cli(*args, "--min-restore-db", "60")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "would unpack at only" in refused.stderr and "not written; save it as PNG" in refused.stderr and not packed.exists()
    done = run_cli(*args, "--quality", "90", "--min-restore-db", "5")
    assert done.returncode == 0 and not list(shots.glob("*.tmp*"))
    figures = [float(v) for v in done.stderr.split("unpacks at ")[1].split(" dB")[0].split(", ")]
    from restorable.photo import read_photo
    from restorable.session import Session
    from restorable.settings import RunSettings
    from restorable.metrics import psnr

    back = Session(RunSettings(weights=pack_weights)).unpack(read_photo(packed))
    for (name, photo), figure in zip(back, figures):  # the figures are those of the file written (JPEG 90)
        assert abs(psnr(photo.rgb, read_photo(shots / name).rgb) - figure) < 0.05, name


def test_pack_and_unpack_run_on_onnx_runtime_as_on_torch(pack_weights, shots, tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("RESTORABLE_CACHE", str(tmp_path / "cache"))  # the exported graphs go there
    pair = [str(shots / "left.jpg"), str(shots / "right.jpg")]
    for backend in ("torch", "onnx"):
        out = shots / f"{backend}.png"
        result = run_cli("pack", *pair, "-o", str(out), "--weights", str(pack_weights), "--backend", backend, *UNCHECKED)
        assert result.returncode == 0, result.stderr
        result = run_cli("unpack", str(out), "-o", str(shots / backend), "--weights", str(pack_weights), "--backend", backend)
        assert result.returncode == 0, result.stderr
    torch_packed, onnx_packed = (np.asarray(Image.open(shots / f"{b}.png"), dtype=int) for b in ("torch", "onnx"))
    assert np.abs(torch_packed - onnx_packed).max() <= 1
    for name in ("left.jpg", "right.jpg"):
        a, b = (np.asarray(Image.open(shots / backend / name), dtype=int) for backend in ("torch", "onnx"))
        assert np.abs(a - b).mean() < 0.5, name
