"""Reference (classical) operators: the effects the learned networks imitate.

>>> from restorable.operators import run_operator
>>> out = run_operator("l0", image)          # image: (H, W, 3) or (H, W), uint8 or float32
"""

from restorable.operators.params import parse_params, resolve_params
from restorable.operators.registry import OPERATOR_TYPES, OPERATORS, OperatorSpec, Param
from restorable.operators.run import get_operator, run_operator

__all__ = [
    "OPERATORS",
    "OPERATOR_TYPES",
    "OperatorSpec",
    "Param",
    "get_operator",
    "parse_params",
    "resolve_params",
    "run_operator",
]
