"""The lineage of a trained network: the runs that made it, oldest first, so that its checkpoint and its
manifest entry say how many crops it saw and on which devices.

A segment is ``{"stage": NAME, "steps": N, "batch": B, "on": DEVICES}``: one run of ``restorable train``
(its stage name, steps, global batch and the devices it ran on, joined by ", "; "unknown" where a file did
not record them). A checkpoint keeps the segments of the runs before it as ``ancestry`` and its own run's
devices as ``run_on``; files made before these keys existed kept neither, and the manifest holds the lineage
of each bundled one (``training.lineage``).
"""

from __future__ import annotations

from pathlib import Path

Segment = dict
UNKNOWN = "unknown"


def crops(lineage: list[Segment]) -> int:
    """Training crops of every run in ``lineage``."""
    return sum(int(segment.get("steps") or 0) * int(segment.get("batch") or 0) for segment in lineage)


def devices(lineage: list[Segment]) -> list[str]:
    """The devices ``lineage`` is known to have run on, each once, in the order first used."""
    seen: list[str] = []
    for segment in lineage:
        for device in str(segment.get("on") or UNKNOWN).split(", "):
            if device != UNKNOWN and device not in seen:
                seen.append(device)
    return seen


def stage_name(stage: str | None) -> str | None:
    """A segment's stage: the name alone (a GPU window records ``scripts/gpu_window.sh NAME``)."""
    return stage.split()[-1] if stage and stage.strip() else None


def own_segment(meta: dict, stage: str | None = None) -> Segment:
    """The segment of the run whose checkpoint metadata is ``meta`` (without the runs it continued)."""
    on = meta.get("run_on")
    if not on:  # an older file: its trained_on counts the runs before it too, and its own run's device always
        earlier = meta.get("trained_on")
        on = earlier if isinstance(earlier, list) and len(earlier) == 1 else [UNKNOWN]
    return {
        "stage": stage_name(stage) or stage_name(meta.get("stage")) or "unnamed",
        "steps": int(meta.get("steps") or 0),
        "batch": int((meta.get("train") or {}).get("batch", 0)),
        "on": ", ".join(on),
    }


def lineage_of(meta: dict, sha256: str | None) -> list[Segment]:
    """Every run that made the finished checkpoint ``meta`` (file digest ``sha256``), its own last.

    The manifest's lineage of the bundled version with that digest; else from the file's own metadata where it
    has ``ancestry``; else the runs its metadata names (its own, and the one it started from, or that one's
    lineage where it is bundled). Runs an older file did not name are missing: :func:`crops_seen` counts them.
    """
    known = _bundled_lineage(sha256)
    if known is not None:
        return known
    if "ancestry" in meta:
        return [*meta["ancestry"], own_segment(meta)]
    start = meta.get("init")
    earlier = []
    if start:
        earlier = _bundled_lineage(start.get("sha256")) or [
            own_segment({**start, "stage": Path(start.get("file") or "unnamed").stem})
        ]
    return [*earlier, own_segment(meta)]


def crops_seen(meta: dict, lineage: list[Segment]) -> int:
    """Crops of ``lineage``, or what the file itself recorded where that is more (runs its metadata lost)."""
    return max(crops(lineage), int(meta.get("crops_seen") or 0))


def _bundled_lineage(sha256: str | None) -> list[Segment] | None:
    if not sha256:
        return None
    from restorable.errors import RestorableError
    from restorable.weights.manifest import load_manifest

    try:
        entries = load_manifest().all_entries()
    except RestorableError:  # no readable manifest: the file's own metadata is all there is
        return None
    for entry in entries:
        if entry.sha256 == sha256 and entry.training.get("lineage"):
            return [dict(segment) for segment in entry.training["lineage"]]
    return None
