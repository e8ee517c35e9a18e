"""OpenCV's contrib filters (``cv2.ximgproc``), with a clear error where only plain OpenCV is installed."""

from __future__ import annotations

from restorable.errors import RestorableError


def ximgproc():
    """The ``cv2.ximgproc`` module (opencv-contrib); a one-line error naming the package when it is missing."""
    import cv2

    module = getattr(cv2, "ximgproc", None)
    if module is None:
        raise RestorableError(
            "this operator needs OpenCV's contrib filters (cv2.ximgproc), which the installed OpenCV lacks:"
            " pip install opencv-contrib-python-headless (in place of opencv-python)"
        )
    return module
