"""Several networks trained in one process (issue 31): each run trains the weights it trains alone."""

from __future__ import annotations

import pytest
import torch

from restorable.errors import RestorableError
from restorable.model import ModelConfig
from restorable.model.checkpoint import load_model
from restorable.train.data import load_pairs
from restorable.train.together import Run, Together, train_together
from restorable.train.trainer import Trainer, TrainConfig

SMALL = ModelConfig(inv_blocks=1, inv_width=8, fusion_width=8, aux_width=8)
# two unlike runs: other operators, seeds, learning rates, loss weights, JPEG settings
RUNS = [
    ("exposure", {"ev": 1.0}, dict(seed=0, lr=2e-3, jpeg=True, jpeg_share=0.5, weight_ssim=0.1)),
    ("wls", {}, dict(seed=3, lr=1e-3, weight_restore=2.0, weight_grid=0.05, warmup=2, total_steps=6)),
]


def trainer(photo_dir, tmp_path, index: int, name: str, model: ModelConfig = SMALL, **changes) -> Trainer:
    op, params, settings = RUNS[index]
    pairs = load_pairs(photo_dir, None, op, params, tmp_path / "cache")
    config = TrainConfig(op=op, params=params, **{"crop": 32, "batch": 2, "bf16": False, **settings, **changes})
    return Trainer(config, model, pairs, tmp_path / f"{name}.safetensors")


@pytest.fixture()
def folders(photo_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("RESTORABLE_CACHE", str(tmp_path / "cache"))
    return photo_dir


def weights(path) -> dict[str, torch.Tensor]:
    return load_model(path)[0].state_dict()


@pytest.mark.parametrize("aux", ["learned", "reference"])
def test_runs_trained_together_get_the_weights_they_get_alone(photo_dir, tmp_path, aux):
    model = ModelConfig(inv_blocks=1, inv_width=8, fusion_width=8, aux_width=8, aux=aux)
    for i in range(2):
        trainer(photo_dir, tmp_path, i, f"alone{i}", model).run(steps=5, minutes=None)
    together = [Run(trainer(photo_dir, tmp_path, i, f"together{i}", model), steps=5) for i in range(2)]
    train_together(together)
    for i in range(2):
        alone, joint = weights(tmp_path / f"alone{i}.safetensors"), weights(tmp_path / f"together{i}.safetensors")
        assert alone.keys() == joint.keys()
        for key in alone:
            assert torch.allclose(alone[key], joint[key], atol=2e-5), (i, key, (alone[key] - joint[key]).abs().max())
    # and the step did train them: the weights moved, differently for the two runs
    start = trainer(photo_dir, tmp_path, 0, "start", model).model.state_dict()
    moved = [weights(tmp_path / f"together{i}.safetensors") for i in range(2)]
    assert any(not torch.allclose(start[k], moved[0][k], atol=1e-4) for k in start)
    assert any(not torch.allclose(moved[0][k], moved[1][k], atol=1e-4) for k in start)


def test_a_run_that_ends_first_leaves_and_the_others_go_on(photo_dir, tmp_path):
    short = Run(trainer(photo_dir, tmp_path, 0, "short"), steps=2)
    long = Run(trainer(photo_dir, tmp_path, 1, "long"), steps=4)
    seen: list[tuple[str, int]] = []
    train_together([short, long], on_step=lambda run, terms, val: seen.append((run.trainer.out.stem, run.trainer.step)))
    assert seen == [("short", 1), ("long", 1), ("short", 2), ("long", 2), ("long", 3), ("long", 4)]
    short_meta = load_model(tmp_path / "short.safetensors")[1]
    assert short_meta["steps"] == 2 and load_model(tmp_path / "long.safetensors")[1]["steps"] == 4
    assert short_meta["trained_with"] == ["long.safetensors"]
    alone = trainer(photo_dir, tmp_path, 1, "alone")
    alone.run(steps=4, minutes=None)
    a, b = weights(tmp_path / "alone.safetensors"), weights(tmp_path / "long.safetensors")
    assert all(torch.allclose(a[k], b[k], atol=2e-5) for k in a)


def test_one_batched_step_refuses_runs_of_other_shapes_in_one_line(photo_dir, tmp_path):
    a = trainer(photo_dir, tmp_path, 0, "a")
    wider = trainer(photo_dir, tmp_path, 1, "b", ModelConfig(inv_blocks=1, inv_width=16, fusion_width=8, aux_width=8))
    with pytest.raises(RestorableError, match="need the same network shape"):
        Together([a, wider])
    other_start = trainer(photo_dir, tmp_path, 1, "s", ModelConfig(inv_blocks=1, inv_width=8, fusion_width=8, aux_width=8, code_scale=0.25))
    Together([a, other_start])  # the code's initial scale is no part of the shape: a learned weight of each run
    other_batch = trainer(photo_dir, tmp_path, 1, "c", batch=4)
    with pytest.raises(RestorableError, match="--batch, --crop"):
        Together([a, other_batch])
    with pytest.raises(RestorableError, match="same --out"):
        Together([a, trainer(photo_dir, tmp_path, 1, "a")])


def test_the_command_trains_each_run_as_train_does(folders, tmp_path):
    from typer.testing import CliRunner

    from restorable.cli import app

    data = folders
    common = f"--data {data} --val {data} --size 66 --crop 32 --batch 2 --width 8 --inv-blocks 1 --fp32 --device cpu --steps 3 --val-every 2"
    runs = [f"--op exposure --jpeg {common}", f"--op wls --lr 1e-3 --seed 2 {common}"]
    for i, run in enumerate(runs):
        alone = CliRunner().invoke(app, ["train", *run.split(), "--out", str(tmp_path / f"alone{i}.safetensors")])
        assert alone.exit_code == 0, alone.output
    joint = [("--run", f"{run} --out {tmp_path / f'joint{i}.safetensors'}") for i, run in enumerate(runs)]
    result = CliRunner().invoke(app, ["train-together", *(word for pair in joint for word in pair)])
    assert result.exit_code == 0, result.output
    assert "joint1: saved" in result.output and "joint0: step 2" in result.output
    for i in range(2):
        a, b = weights(tmp_path / f"alone{i}.safetensors"), weights(tmp_path / f"joint{i}.safetensors")
        assert all(torch.allclose(a[k], b[k], atol=2e-5) for k in a)
        meta = load_model(tmp_path / f"joint{i}.safetensors")[1]
        assert [h["step"] for h in meta["history"]] == [2, 3] and meta["trained_with"] == [f"joint{1 - i}.safetensors"]


def test_the_command_names_the_run_with_a_bad_option_in_one_line(folders, tmp_path):
    from typer.testing import CliRunner

    from restorable.cli import app

    bad = CliRunner().invoke(app, ["train-together", "--run", f"--op exposure --data {folders} --out {tmp_path / 'a.safetensors'} --steps 2 --no-such 1"])
    assert bad.exit_code != 0
    assert "--no-such" in str(bad.exception) and "run '--op exposure" in str(bad.exception)
    nothing = CliRunner().invoke(app, ["train-together", "--run", f"--op exposure --data {folders} --out {tmp_path / 'a.safetensors'} --steps 2 --w-adv 0.1"])
    assert isinstance(nothing.exception, RestorableError) and "cannot train together" in str(nothing.exception)
    assert not (tmp_path / "a.safetensors").exists()  # nothing trained, nothing written


def test_runs_of_two_shapes_form_two_groups_that_take_turns(folders, tmp_path):
    from typer.testing import CliRunner

    from restorable.cli import app

    common = f"--data {folders} --size 66 --crop 32 --batch 2 --inv-blocks 1 --fp32 --device cpu"
    runs = {"n8": f"--op exposure --width 8 --steps 3 {common}", "n4": f"--op wls --width 4 --steps 2 {common}",
            "m8": f"--op wls --width 8 --seed 5 --steps 3 {common}"}
    for name, run in runs.items():
        assert CliRunner().invoke(app, ["train", *run.split(), "--out", str(tmp_path / f"alone-{name}.safetensors")]).exit_code == 0
    words = [w for name, run in runs.items() for w in ("--run", f"{run} --out {tmp_path / f'{name}.safetensors'}")]
    result = CliRunner().invoke(app, ["train-together", *words])
    assert result.exit_code == 0, result.output
    for name in runs:
        a, b = weights(tmp_path / f"alone-{name}.safetensors"), weights(tmp_path / f"{name}.safetensors")
        assert all(torch.allclose(a[k], b[k], atol=2e-5) for k in a), name
    assert load_model(tmp_path / "n4.safetensors")[1]["steps"] == 2


def test_passes_that_fail_to_compile_run_eagerly_and_say_so(photo_dir, tmp_path, monkeypatch, caplog):
    def broken_compile(fn, **kwargs):
        def compiled(*args):
            raise RuntimeError("inductor could not lower\nthis graph")
        return compiled

    monkeypatch.setattr(torch, "compile", broken_compile)
    compiled = [trainer(photo_dir, tmp_path, i, f"c{i}") for i in range(2)]
    for t in compiled:
        t.compiled = True
    with caplog.at_level("WARNING", logger="restorable.train.together"):
        train_together([Run(t, steps=2) for t in compiled])
    assert "the compiled passes failed (inductor could not lower this graph); the step runs eagerly" in caplog.text
    assert caplog.text.count("compiled passes failed") == 1
    eager = [Run(trainer(photo_dir, tmp_path, i, f"e{i}"), steps=2) for i in range(2)]
    train_together(eager)
    for i in range(2):
        a, b = weights(tmp_path / f"c{i}.safetensors"), weights(tmp_path / f"e{i}.safetensors")
        assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize(
    "ops, model",
    [
        ((("gray", {}), ("bwp", {})), ModelConfig(inv_blocks=1, inv_width=8, fusion_width=8, aux_width=8, aux="reference")),
        ((("rescale-2x", {}), ("rescale-2x", {})), ModelConfig(inv_blocks=1, inv_width=8, downscale=2, aux="none")),
    ],
    ids=["gray-family", "rescale"],
)
def test_grey_and_rescaling_networks_train_together_as_alone(photo_dir, tmp_path, ops, model):
    def make(i: int, name: str) -> Trainer:
        op, params = ops[i]
        pairs = load_pairs(photo_dir, None, op, params, tmp_path / "cache")
        config = TrainConfig(op=op, params=params, crop=32, batch=2, bf16=False, seed=i, jpeg=i == 1, lr=2e-3)
        return Trainer(config, model, pairs, tmp_path / f"{name}{i}.safetensors")

    for i in range(2):
        make(i, "alone").run(steps=3, minutes=None)
    train_together([Run(make(i, "joint"), steps=3) for i in range(2)])
    for i in range(2):
        a, b = weights(tmp_path / f"alone{i}.safetensors"), weights(tmp_path / f"joint{i}.safetensors")
        assert all(torch.allclose(a[k], b[k], atol=2e-5) for k in a)
