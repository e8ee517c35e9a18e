"""The lineage of a trained network: the runs that made it, oldest first, so that its checkpoint and its
manifest entry say how many crops it saw and on which devices.

A segment is ``{"stage": NAME, "steps": N, "batch": B, "on": DEVICES}``: one run of ``restorable train``
(its stage name, steps, global batch and the devices it ran on, joined by ", "). A checkpoint keeps the
segments of the runs before it as ``ancestry`` and its own run's devices as ``run_on``; bundled files made
before 0.2.0 kept neither, so their lineage is read from the manifest (``training.lineage``).
"""

from __future__ import annotations

from pathlib import Path

Segment = dict


def crops(lineage: list[Segment]) -> int:
    """Training crops of every run in ``lineage``."""
    return sum(int(segment["steps"]) * int(segment["batch"]) for segment in lineage)


def devices(lineage: list[Segment]) -> list[str]:
    """The devices ``lineage`` ran on, each once, in the order first used."""
    seen: list[str] = []
    for segment in lineage:
        for device in str(segment["on"]).split(", "):
            if device not in seen:
                seen.append(device)
    return seen


def own_segment(meta: dict, stage: str | None = None) -> Segment:
    """The segment of the run whose checkpoint metadata is ``meta`` (without the runs it continued)."""
    on = meta.get("run_on") or meta.get("trained_on") or ["unknown"]
    return {
        "stage": stage or meta.get("stage") or "unnamed",
        "steps": int(meta.get("steps") or 0),
        "batch": int((meta.get("train") or {}).get("batch", 0)),
        "on": ", ".join(on),
    }


def lineage_of(meta: dict, sha256: str | None) -> list[Segment]:
    """Every run that made the finished checkpoint ``meta`` (file digest ``sha256``), its own last.

    From its own metadata where it has ``ancestry``; for an older file, the manifest's lineage of the bundled
    version with that digest; else the runs its metadata names (its own, and the one it started from).
    """
    if "ancestry" in meta:
        return [*meta["ancestry"], own_segment(meta)]
    known = _bundled_lineage(sha256)
    if known is not None:
        return known
    start = meta.get("init")
    earlier = []
    if start:
        earlier = _bundled_lineage(start.get("sha256")) or [
            own_segment({**start, "stage": Path(start.get("file") or "unnamed").stem})
        ]
    return [*earlier, own_segment(meta)]


def _bundled_lineage(sha256: str | None) -> list[Segment] | None:
    if not sha256:
        return None
    from restorable.weights.manifest import load_manifest

    for entry in load_manifest().all_entries():
        if entry.sha256 == sha256 and entry.training.get("lineage"):
            return [dict(segment) for segment in entry.training["lineage"]]
    return None
