"""restorable: photo effects whose original can be restored from the processed file alone.

>>> import restorable
>>> out = restorable.apply(image, op="l0")     # PIL image or uint8 numpy array
>>> back = restorable.restore(out)

The API is imported lazily so that ``import restorable`` (and the CLI) start fast.
"""

__version__ = "0.1.0"

__all__ = ["apply", "restore", "pnginfo", "__version__"]


def __getattr__(name: str):
    if name in ("apply", "restore", "pnginfo"):
        from restorable import api

        return getattr(api, name)
    raise AttributeError(f"module 'restorable' has no attribute {name!r}")
