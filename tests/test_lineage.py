"""Every bundled version says how it was made: its stages, crops seen and devices, consistent with its own file,
the stage scripts and the GPU logs; a run started from one carries that lineage on."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest

from restorable.train.lineage import crops, devices
from restorable.weights import BUNDLED
from restorable.weights.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = [e for e in load_manifest().all_entries() if e.bundled]
BY_SHA = {e.sha256: e for e in ENTRIES}


def header(path: Path) -> dict:
    """The restorable metadata of a safetensors file (read from its JSON header, no tensors loaded)."""
    with path.open("rb") as handle:
        (size,) = struct.unpack("<Q", handle.read(8))
        return json.loads(json.loads(handle.read(size))["__metadata__"]["restorable"])


def defined_stages() -> set[str]:
    """Stage names the project's scripts define: lines "NAME OP ..." of the stage files, train_all.sh's stages."""
    names = set()
    for path in (ROOT / "scripts").glob("stages_*.sh"):
        names |= set(re.findall(r'^\s*"([a-z0-9][a-z0-9-]*) [a-z0-9-]+ ', path.read_text(), re.M))
    text = (ROOT / "scripts" / "train_all.sh").read_text()
    ops = re.search(r"^ +OPS=\(([a-z][^)]*)\)", text, re.M).group(1).split()  # the default: every operator
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not re.search(r"\bstage ", line):
            continue
        for op in ops if "$op" in line else [None]:
            filled = line.replace('"$op"', op).replace("$op", op) if op else line
            names |= set(re.findall(r"\bstage ([a-z0-9][a-z0-9-]*) ", filled))
    return names


def gpu_log_steps() -> dict[str, set[int]]:
    """{stage: steps it was saved at} from the GPU rounds' logs in docs/device/."""
    saved: dict[str, set[int]] = {}
    for path in (ROOT / "docs" / "device").glob("train_parallel-*.log"):
        for name, step in re.findall(r"^([a-z0-9-]+): saved \S+ at step (\d+)", path.read_text(), re.M):
            saved.setdefault(name, set()).add(int(step))
    return saved


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e.op}-v{e.version}")
def test_a_bundled_version_says_its_stages_crops_and_devices_as_its_file_does(entry):
    training = entry.training
    lineage = training["lineage"]
    assert training["stage"] == lineage[-1]["stage"]
    assert training["crops_seen"] == crops(lineage) > 0
    assert training["trained_on"] == ", ".join(devices(lineage))
    meta = header(BUNDLED / entry.file)
    assert (lineage[-1]["steps"], lineage[-1]["batch"]) == (meta["steps"], meta["train"]["batch"])
    start = meta.get("init")
    if start:  # the run it started from, as its file recorded it
        assert len(lineage) >= 2
        assert (lineage[-2]["steps"], lineage[-2]["batch"]) == (start["steps"], start["train"]["batch"])
        if start["sha256"] in BY_SHA:  # a bundled version: its whole lineage goes before this run
            assert lineage[:-1] == BY_SHA[start["sha256"]].training["lineage"]
    else:
        assert len(lineage) == 1


def test_every_stage_of_a_bundled_lineage_is_a_stage_of_the_scripts_and_gpu_stages_are_in_their_logs():
    names, saved = defined_stages(), gpu_log_steps()
    assert {"l0", "wmf", "style-a-f2", "style-b-v2", "cpd-f2", "rgf-v2", "l0-png-r", "rescale-2x-png-d"} <= names
    for entry in ENTRIES:
        for segment in entry.training["lineage"]:
            if "commit" not in segment:  # bwp's colour stages: scripts/train_all.sh of that commit
                assert segment["stage"] in names, (entry.file, segment)
            if segment["on"] != "cpu":
                assert segment["steps"] in saved.get(segment["stage"], set()), (entry.file, segment)


def test_a_run_from_a_bundled_version_counts_the_crops_and_devices_of_all_its_runs(photo_dir, tmp_path):
    # l0 v4's file predates lineages: its header knows only its own run (2,985 steps) and the one before
    # (4,984): the trainer once recorded 2,985 x 8 crops and "cpu", though v4 was made in 5 runs, 4 on an H200
    from restorable.model import ModelConfig
    from restorable.model.checkpoint import load_model
    from restorable.train.data import load_pairs
    from restorable.train.trainer import Trainer, TrainConfig
    from restorable.weights import resolve_weights

    bundled = load_manifest().versions["l0"]["4"].training
    assert "ancestry" not in header(BUNDLED / "l0-v4.safetensors")
    pairs = load_pairs(photo_dir, None, "l0", {}, tmp_path / "cache")
    out = tmp_path / "l0.safetensors"
    config = TrainConfig(op="l0", crop=32, batch=2)
    Trainer(config, ModelConfig(), pairs, out, init=resolve_weights("l0", version="4"), stage="l0-test").run(
        steps=2, minutes=None
    )
    _, meta = load_model(out)
    assert meta["ancestry"] == bundled["lineage"]
    assert meta["crops_seen"] == bundled["crops_seen"] + 2 * 2
    assert meta["trained_on"] == ["cpu", "NVIDIA H200"] and meta["run_on"] == ["cpu"]
    # resumed, then continued: the lineage goes on
    Trainer(config, ModelConfig(), pairs, out, resume=True).run(steps=3, minutes=None)
    _, resumed = load_model(out)
    assert resumed["ancestry"] == bundled["lineage"] and resumed["crops_seen"] == bundled["crops_seen"] + 3 * 2
    child = tmp_path / "child.safetensors"
    Trainer(config, ModelConfig(), pairs, child, init=out, stage="l0-child").run(steps=1, minutes=None)
    _, grandchild = load_model(child)
    assert grandchild["ancestry"][-1] == {"stage": "l0-test", "steps": 3, "batch": 2, "on": "cpu"}
    assert grandchild["crops_seen"] == bundled["crops_seen"] + 3 * 2 + 1 * 2


def test_weights_list_json_says_how_each_version_was_made():
    import subprocess
    import sys

    code = "import sys; from restorable.cli import main; sys.argv = ['restorable', 'weights', 'list', '--json']; main()"
    rows = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    l0 = {row["version"]: row for row in rows if row["op"] == "l0"}
    assert l0["6"]["stage"] == "l0-png-r" and l0["6"]["trained_on"] == "cpu, NVIDIA H200"
    assert l0["6"]["crops_seen"] == crops(load_manifest().versions["l0"]["6"].training["lineage"]) > 100_000
