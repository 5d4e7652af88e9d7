"""Does a JSON value match a TypedDict declaration? (The frame registry's schema check.)

Understands what the registry uses: TypedDicts (required and NotRequired keys, no extra key),
Literal, unions, `X | None`, list[X], dict[str, X], str, int, bool, float and Any.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin


def is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


def hints(td: Any) -> dict[str, Any]:
    """The TypedDict's fields, NotRequired/Required unwrapped."""
    return {name: unwrap(tp) for name, tp in typing.get_type_hints(td, include_extras=True).items()}


def required_keys(td: Any) -> set[str]:
    # Read from the resolved hints: with postponed annotations, Python 3.11 cannot see
    # NotRequired when it builds __required_keys__.
    raw = typing.get_type_hints(td, include_extras=True)
    return {name for name, tp in raw.items() if get_origin(tp) is not NotRequired}


def unwrap(tp: Any) -> Any:
    while get_origin(tp) in (NotRequired, Required):
        tp = get_args(tp)[0]
    return tp


def check_typed(value: Any, tp: Any, path: str) -> list[str]:
    tp = unwrap(tp)
    origin = get_origin(tp)
    if tp is Any:
        return []
    if tp is None or tp is type(None):
        return [] if value is None else [f"{path}: null expected, got {value!r:.60}"]
    if origin is Literal:
        return [] if value in get_args(tp) else [f"{path}: one of {get_args(tp)}, got {value!r}"]
    if origin in (Union, types.UnionType):
        options = [check_typed(value, option, path) for option in get_args(tp)]
        if any(not problems for problems in options):
            return []
        return min(options, key=len)
    if is_typeddict(tp):
        return _check_object(value, tp, path)
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: list expected, got {type(value).__name__}"]
        (item,) = get_args(tp)
        return [p for i, v in enumerate(value) for p in check_typed(v, item, f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: object expected, got {type(value).__name__}"]
        _, item = get_args(tp)
        return [p for k, v in value.items() for p in check_typed(v, item, f"{path}.{k}")]
    if tp is bool:
        return [] if isinstance(value, bool) else [f"{path}: boolean expected, got {value!r:.60}"]
    if tp in (int, float):
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if tp is int:
            numeric = numeric and isinstance(value, int)
        return [] if numeric else [f"{path}: {tp.__name__} expected, got {value!r:.60}"]
    if tp is str:
        return [] if isinstance(value, str) else [f"{path}: text expected, got {value!r:.60}"]
    return [f"{path}: undeclarable type {tp!r}"]


def _check_object(value: Any, td: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: object expected, got {type(value).__name__}"]
    fields = hints(td)
    problems = [f"{path}: undeclared key {k!r}" for k in value if k not in fields]
    problems += [f"{path}: missing key {k!r}" for k in required_keys(td) if k not in value]
    for name, tp in fields.items():
        if name in value:
            problems += check_typed(value[name], tp, f"{path}.{name}")
    return problems
