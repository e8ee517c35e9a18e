"""Network weights: the manifest, where a file comes from (argument, cache, bundle, download), loading."""

from restorable.weights.download import file_sha256
from restorable.weights.loading import LoadedModel, load_weights
from restorable.weights.store import BUNDLED, resolve_weights

__all__ = ["BUNDLED", "LoadedModel", "file_sha256", "load_weights", "resolve_weights"]
