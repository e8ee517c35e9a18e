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


def _start(args: str) -> str | None:
    """What a stage's ``--init`` names: ``v:OP-vN`` (a bundled version), the stage of a run, or None (fresh)."""
    found = re.search(r'--init "?(\$BUNDLED|\$RUNS|\$OUT|runs/all)/([a-z0-9-]+)\.safetensors', args)
    if not found:
        assert "--init" not in args, args
        return None
    return f"v:{found.group(2)}" if found.group(1) == "$BUNDLED" else found.group(2)


def defined_stages() -> dict[str, str | None]:
    """{stage: what its --init names} of the project's scripts: the lines "NAME OP ARGS" of the stage files and
    the stages of train_all.sh (with its templated ones: version 1 of each operator it loops over, and the
    style operators' -f2 / -v2)."""
    stages: dict[str, str | None] = {}
    for path in (ROOT / "scripts").glob("stages_*.sh"):
        for name, args in re.findall(r'^\s*"([a-z0-9][a-z0-9-]*) [a-z0-9-]+ ([^"]*)"', path.read_text(), re.M):
            stages[name] = _start(args)
    text = (ROOT / "scripts" / "train_all.sh").read_text()
    for name, args in re.findall(r"\bstage ([a-z0-9][a-z0-9-]*) [a-z0-9-]+ (.*)", text):
        stages[name] = _start(args)
    ops = re.search(r"^ +OPS=\(([a-z][^)]*)\)", text, re.M).group(1).split()  # the default: every operator
    skipped = ("gray", "bwp", "rescale-", "pack-")  # `case $op in gray | bwp | rescale-* | pack-*) continue`
    assert "case $op in gray | bwp | rescale-* | pack-*) continue" in text
    stages.update({op: None for op in ops if not op.startswith(skipped)})
    for op in ("style-a", "style-b"):
        stages[f"{op}-f2"], stages[f"{op}-v2"] = None, f"{op}-f2"
    return stages


def gpu_log_steps() -> dict[str, set[tuple[str, int]]]:
    """{stage: (GPU, step) pairs it was saved at} from the GPU rounds' logs in docs/device/ (the GPU by the name
    of the log: ...-h100-... or ...-h200-...)."""
    saved: dict[str, set[tuple[str, int]]] = {}
    for path in (ROOT / "docs" / "device").glob("train_parallel-*.log"):
        gpu = "H100" if "-h100-" in path.name else "H200"
        for name, step in re.findall(r"^([a-z0-9-]+): saved \S+ at step (\d+)", path.read_text(), re.M):
            saved.setdefault(name, set()).add((gpu, int(step)))
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


def test_every_run_of_a_bundled_lineage_is_a_stage_of_the_scripts_started_from_the_run_before_it():
    stages, saved = defined_stages(), gpu_log_steps()
    last_stage = {f"{e.op}-v{e.version}": e.training["lineage"][-1]["stage"] for e in ENTRIES}
    assert {"l0", "wmf", "style-a-f2", "cpd-f2", "rgf-v2", "l0-png-r", "rescale-2x-png-d"} <= set(stages)
    assert "bwp" not in stages and "l0-f2" not in stages
    for entry in ENTRIES:
        lineage = entry.training["lineage"]
        for index, segment in enumerate(lineage):
            where = (entry.file, segment["stage"])
            if segment.get("commit") == "5ba0e2f":  # bwp's colour stages: scripts/train_all.sh of that commit
                assert entry.op == "bwp", where
                continue
            assert segment["stage"] in stages, where
            start = stages[segment["stage"]]
            before = lineage[index - 1]["stage"] if index else None
            assert (last_stage[start[2:]] if start and start.startswith("v:") else start) == before, where
            logged = saved.get(segment["stage"], set())
            if segment["on"] == "cpu":
                assert not logged or segment["steps"] not in {step for _, step in logged}, where  # it ran on the CPU
            else:
                gpu = "H100" if "H100" in segment["on"] else "H200"
                assert (gpu, segment["steps"]) in logged, where


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


def test_a_run_saved_before_lineages_resumes_with_the_crops_and_devices_of_the_runs_it_names(photo_dir, tmp_path):
    # a run from l0 v4 saved by the code before: crops_seen = v4's own run + its own, trained_on = ["cpu"]
    from restorable.model import ModelConfig
    from restorable.model.checkpoint import load_model, save_model
    from restorable.train.data import load_pairs
    from restorable.train.trainer import Trainer, TrainConfig
    from restorable.weights import resolve_weights

    bundled = load_manifest().versions["l0"]["4"].training
    pairs = load_pairs(photo_dir, None, "l0", {}, tmp_path / "cache")
    out = tmp_path / "old.safetensors"
    config = TrainConfig(op="l0", crop=32, batch=2)
    Trainer(config, ModelConfig(), pairs, out, init=resolve_weights("l0", version="4")).run(steps=2, minutes=None)
    model, meta = load_model(out)
    old = {k: v for k, v in meta.items() if k not in ("ancestry", "run_on", "architecture")}
    save_model(out, model, {**old, "crops_seen": 2985 * 8 + 2 * 2, "trained_on": ["cpu"]})
    Trainer(config, ModelConfig(), pairs, out, resume=True).run(steps=3, minutes=None)
    _, resumed = load_model(out)
    assert resumed["ancestry"] == bundled["lineage"]
    assert resumed["crops_seen"] == bundled["crops_seen"] + 3 * 2
    assert resumed["trained_on"] == ["cpu", "NVIDIA H200"]


def test_bundling_a_checkpoint_writes_the_lineage_the_manifest_holds():
    # scripts/bundle_weights.py's summary of l0 v6's own file gives its manifest entry's stage, crops and devices
    import importlib.util

    spec = importlib.util.spec_from_file_location("bundle_weights", ROOT / "scripts" / "bundle_weights.py")
    bundle = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bundle)
    entry = load_manifest().versions["l0"]["6"].training
    meta = header(BUNDLED / "l0-v6.safetensors")
    summary = bundle.training_summary(meta, None, "l0-png-r")
    assert summary["lineage"] == entry["lineage"] and summary["crops_seen"] == entry["crops_seen"] == 147_296
    assert (summary["stage"], summary["trained_on"]) == ("l0-png-r", "cpu, NVIDIA H200")
    with pytest.raises(SystemExit, match="give --stage"):
        bundle.training_summary({k: v for k, v in meta.items() if k != "stage"}, None)
