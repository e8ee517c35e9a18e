"""restorable: photo effects whose original can be restored from the processed file alone.

>>> import restorable
>>> out = restorable.apply(image, op="l0")     # PIL image or uint8 numpy array
>>> restorable.save(out, "out.png")            # with the record that restore reads
>>> back = restorable.restore(out)
>>> packed = restorable.pack([left, right])   # one image that looks like left; unpack gives both back
>>> session = restorable.Session(restorable.RunSettings(device="cpu"))  # load once, many photos
>>> restorable.ops()                          # the operator names apply takes

Errors are :class:`RestorableError` (kinds :class:`RecordError`, :class:`ChangedImageError`,
:class:`WeightsError`); notes go to the ``restorable`` logger. The API is imported lazily so that
``import restorable`` (and the CLI) start fast.
"""

import os

__version__ = "0.2.0"

# Idle OpenMP threads sleep instead of spinning, so one busy core elsewhere on the machine
# does not stall every parallel region (l0 ran several times slower with one busy process).
# Only takes effect when torch is imported after restorable, and never overrides a user's setting.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_API = ("apply", "restore", "pack", "unpack", "save", "pnginfo", "ops", "read_photo", "Photo", "Session", "RunSettings")
_ERRORS = ("RestorableError", "RecordError", "ChangedImageError", "WeightsError")
__all__ = [*_API, *_ERRORS, "__version__"]


def __getattr__(name: str):
    if name in _API:
        from restorable import api

        return getattr(api, name)
    if name in _ERRORS:
        from restorable import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'restorable' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*(n for n in globals() if n.startswith("__") or not n.startswith("_")), *_API, *_ERRORS])
