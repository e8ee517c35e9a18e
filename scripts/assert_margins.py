"""A pytest plugin that lists how close each passing numeric assertion came to its threshold.

A test whose figure sits a hair above its bar turns red on the next BLAS, torch or
numpy release. This records every passing ``assert a OP b`` whose two sides are
numbers and writes the ones closer than ``--margin-db`` (absolute) or ``--margin-rel``
(relative, or absolute for figures of 10 and more, as dB) to a TSV, so a lock refresh can show which tests live on float luck.

Run it on the whole suite (assertions must be rewritten afresh, hence no byte-code)::

    PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=scripts python -m pytest -q -p assert_margins \
        -o enable_assertion_pass_hook=true -p no:cacheprovider --margins-out margins.tsv
"""

from __future__ import annotations

import ast
import operator
import re
from pathlib import Path

import pytest

_COMPARISON = re.compile(r"^(?P<left>.+?) (?P<op><=|>=|<|>) (?P<right>.+?)$")
_NUMPY_SCALAR = re.compile(r"(?:np|numpy)\.\w+\(([^()]*)\)")
_TENSOR_SCALAR = re.compile(r"tensor\(([-+0-9.e]+)(?:, [^()]*)?\)")
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_records: list[tuple[str, int, str, float, float, str]] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("assert_margins")
    group.addoption("--margins-out", default="assert_margins.tsv", help="where to write the close calls (TSV)")
    group.addoption("--margin-db", type=float, default=1.0, help="flag an absolute margin below this")
    group.addoption("--margin-rel", type=float, default=0.02, help="flag a relative margin below this")


def _number(text: str) -> float | None:
    """The value of a plain arithmetic expression of number literals, or None."""
    text = _TENSOR_SCALAR.sub(r"\1", _NUMPY_SCALAR.sub(r"\1", text.strip()))
    while text.count(")") > text.count("("):  # the closing bracket of a wrapped comparison
        text = text[: text.rindex(")")]
    while text.count("(") > text.count(")"):
        text = text[text.index("(") + 1 :]
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None

    def value(n: ast.AST) -> float:
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) and not isinstance(n.value, bool):
            return float(n.value)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            return -value(n.operand)
        if isinstance(n, ast.BinOp) and type(n.op) in _BINARY:
            return _BINARY[type(n.op)](value(n.left), value(n.right))
        raise ValueError(text)

    try:
        return value(node)
    except (ValueError, ZeroDivisionError):
        return None


def comparisons(expl: str) -> list[tuple[float, float, str]]:
    """(left, right, op) of each numeric comparison in the first line of pytest's explanation."""
    head = expl.splitlines()[0].removeprefix("assert ") if expl else ""
    found = []
    for part in re.split(r" and | or ", head):
        match = _COMPARISON.match(part.strip())
        if match:
            left, right = _number(match["left"]), _number(match["right"])
            if left is not None and right is not None:
                found.append((left, right, match["op"]))
    return found


def pytest_assertion_pass(item: pytest.Item, lineno: int, orig: str, expl: str) -> None:
    for left, right, op in comparisons(expl):
        _records.append((item.nodeid, lineno, orig.replace("\t", " ").replace("\n", " "), left, right, op))


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    limit_abs, limit_rel = config.getoption("--margin-db"), config.getoption("--margin-rel")
    rows = []
    for nodeid, lineno, orig, left, right, op in _records:
        gap = abs(left - right)
        rel = gap / max(abs(left), abs(right), 1e-12)
        if rel < limit_rel or (gap < limit_abs and max(abs(left), abs(right)) >= 10):  # 10 and up: dB-like figures
            rows.append(f"{nodeid}\t{lineno}\t{left:.6g}\t{op}\t{right:.6g}\t{gap:.4g}\t{rel:.4f}\t{orig}")
    out = Path(config.getoption("--margins-out"))
    out.write_text("test\tline\tmeasured\top\tbar\tmargin\trelative\tassert\n" + "\n".join(sorted(set(rows))) + "\n")
