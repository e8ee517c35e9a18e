"""Which torch device a command runs on: ``auto`` | ``cpu`` | ``cuda``."""

from __future__ import annotations

from restorable.errors import Hint, RestorableError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> str:
    """``"cpu"`` or ``"cuda"`` for a ``--device`` value; a one-line error when CUDA is asked for and absent."""
    if name not in DEVICES:
        raise RestorableError(f"unknown device {name!r} (use auto, cpu or cuda)")
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise RestorableError("no CUDA device is available to torch", Hint("--device cpu", "device='cpu'", "runs on the CPU"))
    return name
