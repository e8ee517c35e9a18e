"""restorable: photo effects whose original can be restored from the processed file alone.

>>> import restorable
>>> out = restorable.apply(image, op="l0")     # PIL image or uint8 numpy array
>>> back = restorable.restore(out)
>>> packed = restorable.pack([left, right])   # one image that looks like left; unpack gives both back
>>> session = restorable.Session(restorable.RunSettings(device="cpu"))  # load once, many photos

The API is imported lazily so that ``import restorable`` (and the CLI) start fast.
"""

import os

__version__ = "0.2.0"

# Idle OpenMP threads sleep instead of spinning, so one busy core elsewhere on the machine
# does not stall every parallel region (l0 ran several times slower with one busy process).
# Only takes effect when torch is imported after restorable, and never overrides a user's setting.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = ["apply", "restore", "pack", "unpack", "pnginfo", "Session", "RunSettings", "__version__"]


def __getattr__(name: str):
    if name in ("apply", "restore", "pack", "unpack", "pnginfo", "Session", "RunSettings"):
        from restorable import api

        return getattr(api, name)
    raise AttributeError(f"module 'restorable' has no attribute {name!r}")
