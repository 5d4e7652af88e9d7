"""The TypeScript of the frame registry: `frontend/src/api/frames.gen.ts` is this text, written by
`manage.py frames_typescript` and compared with the checked-in file by the tests."""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from conversations import frames
from conversations.typecheck import hints, is_typeddict, required_keys

OUTPUT = Path(__file__).resolve().parent.parent / "frontend" / "src" / "api" / "frames.gen.ts"
HEADER = """\
// Generated from conversations/frames.py by `python manage.py frames_typescript`: do not edit.
// The tests fail when this file and the server's frame registry differ.
"""


def _ts(tp: Any, seen: dict[str, Any]) -> str:
    origin = get_origin(tp)
    if tp is Any:
        return "unknown"
    if tp is None or tp is type(None):
        return "null"
    if origin is Literal:
        return " | ".join(json.dumps(v) for v in get_args(tp))
    if origin in (Union, types.UnionType):
        return " | ".join(_ts(option, seen) for option in get_args(tp))
    if is_typeddict(tp):
        seen.setdefault(tp.__name__, tp)
        return str(tp.__name__)
    if origin is list:
        item = _ts(get_args(tp)[0], seen)
        return f"({item})[]" if " " in item else f"{item}[]"
    if origin is dict:
        return f"Record<string, {_ts(get_args(tp)[1], seen)}>"
    names = {str: "string", int: "number", float: "number", bool: "boolean"}
    if tp in names:
        return names[tp]
    raise TypeError(f"no TypeScript for {tp!r}")


def _interface(td: Any, seen: dict[str, Any]) -> str:
    required = required_keys(td)
    # Type aliases, not interfaces: they fit index-signature types like `Record<string, unknown>`.
    lines = [f"export type {td.__name__} = {{"]
    for name, tp in hints(td).items():
        optional = "" if name in required else "?"
        lines.append(f"  {name}{optional}: {_ts(tp, seen)};")
    lines.append("};")
    return "\n".join(lines)


def render() -> str:
    seen: dict[str, Any] = {}
    for td in [*frames.CLIENT_FRAMES.values(), *frames.SERVER_FRAMES.values()]:
        seen.setdefault(td.__name__, td)
    blocks: list[str] = []
    done: set[str] = set()
    while len(done) < len(seen):  # payload types are found while rendering the frames
        for name in sorted(set(seen) - done):
            blocks.append(_interface(seen[name], seen))
            done.add(name)
    client = " | ".join(td.__name__ for td in frames.CLIENT_FRAMES.values())
    server = " | ".join(td.__name__ for td in frames.SERVER_FRAMES.values())
    unions = [
        f"export type ClientFrame = {client};",
        f"export type ServerFrame = {server};",
        'export type ServerFrameType = ServerFrame["type"];',
        'export type ClientFrameType = ClientFrame["type"];',
    ]
    return HEADER + "\n" + "\n\n".join(blocks) + "\n\n" + "\n".join(unions) + "\n"
