"""JSON parsing with bounds, for REST bodies and WebSocket frames alike: nesting deep enough to
exhaust the parser and integers beyond 64 bits are bad input (400 / an error frame), never a 500
from the parser's recursion or from the database refusing the number later."""

from __future__ import annotations

import json
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

INT64 = 2**63
INVALID = "Le corps de la requête n'est pas un JSON valide."


class MalformedJSON(ParseError):
    """A ParseError whose detail is already the French message for the client."""


class UnsafeJSON(ValueError):
    """Raised for JSON the platform refuses to process (message in French)."""


def _bounded_int(text: str) -> int:
    value = int(text)  # Python refuses > 4300 digits itself (ValueError)
    if not -INT64 <= value < INT64:
        raise UnsafeJSON("Nombre entier trop grand (64 bits au plus).")
    return value


def loads(text: str | bytes) -> Any:
    try:
        return json.loads(text, parse_int=_bounded_int)
    except RecursionError as exc:
        raise UnsafeJSON("JSON trop profondément imbriqué.") from exc
    except UnsafeJSON:
        raise
    except ValueError as exc:
        raise UnsafeJSON() from exc  # plain invalid JSON: the caller's own wording


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", "utf-8")
        try:
            raw = stream.read() if stream is not None else b""
            return loads(raw.decode(encoding))
        except UnicodeDecodeError as exc:
            raise MalformedJSON(INVALID) from exc
        except UnsafeJSON as exc:
            raise MalformedJSON(str(exc) or INVALID) from exc
