"""The quasi-invertible network (Ouyang, Wang, Chen, AAAI 2022) and its parts.

Every invertible part follows one contract (as in FrEIA): ``forward(x, rev=False)``
maps forwards, ``forward(y, rev=True)`` inverts; subnetworks are passed in as
constructors.
"""

from restorable.model.qinet import ModelConfig, QuasiInvertibleNet

__all__ = ["ModelConfig", "QuasiInvertibleNet"]
