"""The operator registry and parameter handling."""

from __future__ import annotations

import importlib
import inspect

import pytest

from restorable.errors import RestorableError
from restorable.operators import OPERATOR_TYPES, OPERATORS, get_operator, parse_params, resolve_params

PAPER_OPERATORS = {"wls", "llf", "l0", "wmf", "rtv", "rgf", "bwp", "cpd", "style-a", "style-b", "exposure", "retouch"}
ALL_OPERATORS = PAPER_OPERATORS | {"gray", "rescale-2x", "rescale-4x", "pack-2", "pack-3", "pack-4"}


def test_registry_holds_the_paper_operators_gray_and_rescaling():
    assert set(OPERATORS) == ALL_OPERATORS


def test_grey_operators_belong_to_the_gray_family():
    from restorable.transforms import FAMILIES

    assert {name for name, spec in OPERATORS.items() if spec.family == "gray"} == {"gray", "bwp"}
    assert all(spec.family in FAMILIES for spec in OPERATORS.values())
    assert OPERATORS["gray"].output_channels == 1 and OPERATORS["l0"].output_channels == 3


@pytest.mark.parametrize("name", sorted(ALL_OPERATORS))
def test_entry_is_consistent(name):
    spec = OPERATORS[name]
    assert spec.type in OPERATOR_TYPES
    assert spec.description
    for key, p in spec.params.items():
        assert p.low <= p.default <= p.high, key
        assert type(p.low) is type(p.default) or p.kind is float, key
    module_name, func_name = spec.entry.split(":")
    func = getattr(importlib.import_module(f"restorable.operators.{module_name}"), func_name)
    accepted = set(inspect.signature(func).parameters) - {"image"}
    # ``on_device`` promises a ``device=`` argument, and only then does run_operator pass one
    assert accepted == set(spec.params) | set(spec.fixed) | ({"device"} if spec.on_device else set())


def test_resolve_params_converts_and_checks():
    spec = get_operator("rtv")
    params = resolve_params(spec, {"lam": "0.02", "iterations": "3"})
    assert params["lam"] == pytest.approx(0.02) and params["iterations"] == 3
    assert isinstance(params["iterations"], int)
    assert params["sigma"] == spec.params["sigma"].default


@pytest.mark.parametrize(
    "given, message",
    [
        ({"nope": "1"}, "has no parameter"),
        ({"lam": "abc"}, "must be a number"),
        ({"lam": "nan"}, "outside"),
        ({"lam": "5"}, "outside"),
        ({"iterations": "2.5"}, "must be an integer"),
    ],
)
def test_resolve_params_rejects_bad_values(given, message):
    with pytest.raises(RestorableError, match=message):
        resolve_params(get_operator("rtv"), given)


def test_parse_params():
    assert parse_params(["a=1", " b = 2 "]) == {"a": "1", "b": "2"}
    for bad in ["a", "=1", "a="]:
        with pytest.raises(RestorableError):
            parse_params([bad])


def test_unknown_operator_lists_known_ones():
    with pytest.raises(RestorableError, match="known: .*l0"):
        get_operator("l1")
