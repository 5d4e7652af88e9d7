"""OpenAPI components from TypedDicts, so that REST responses are declared with the same types as
the WebSocket frames (`conversations.payloads`) and the client's generated types name them.

`typed(SomeTypedDict)` is a response schema for `extend_schema`: a `$ref` to a component that
the postprocessing hook `add_typed_components` writes, with every TypedDict it refers to.
"""

from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin

from conversations.typecheck import hints, is_typeddict, required_keys

_USED: dict[str, Any] = {}
_BASIC = {str: "string", int: "integer", float: "number", bool: "boolean"}


def typed(td: Any) -> dict[str, Any]:
    _USED[td.__name__] = td
    return _ref(td)


def _ref(td: Any) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{td.__name__}"}


def schema_of(tp: Any, found: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(tp)
    if tp is Any:
        return {}
    if origin is Literal:
        values = list(get_args(tp))
        kind = "integer" if all(isinstance(v, int) for v in values) else "string"
        return {"type": kind, "enum": values}
    if origin in (Union, types.UnionType):
        options = [o for o in get_args(tp) if o is not type(None)]
        nullable = len(options) < len(get_args(tp))
        schema = (
            schema_of(options[0], found)
            if len(options) == 1
            else {"oneOf": [schema_of(o, found) for o in options]}
        )
        if not nullable:
            return schema
        if "$ref" in schema or "oneOf" in schema:
            return {"allOf" if "$ref" in schema else "oneOf": [schema], "nullable": True}
        return {**schema, "nullable": True}
    if is_typeddict(tp):
        found.setdefault(tp.__name__, tp)
        return _ref(tp)
    if origin is list:
        return {"type": "array", "items": schema_of(get_args(tp)[0], found)}
    if origin is dict:
        return {"type": "object", "additionalProperties": schema_of(get_args(tp)[1], found)}
    if tp in _BASIC:
        return {"type": _BASIC[tp]}
    raise TypeError(f"no OpenAPI schema for {tp!r}")


def component(td: Any, found: dict[str, Any]) -> dict[str, Any]:
    properties = {name: schema_of(tp, found) for name, tp in hints(td).items()}
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    required = sorted(required_keys(td))
    if required:
        schema["required"] = required
    if td.__doc__ and not td.__doc__.startswith(td.__name__ + "("):
        schema["description"] = " ".join(td.__doc__.split())
    return schema


def add_typed_components(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    found = dict(_USED)
    done: set[str] = set()
    while set(found) - done:
        for name in sorted(set(found) - done):
            schemas[name] = component(found[name], found)
            done.add(name)
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result
