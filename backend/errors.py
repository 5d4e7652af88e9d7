"""Plain domain errors: what went wrong, in the user's words, never how the web says it.

Actions and access helpers raise `DomainError` (a snake_case code, a French message, a kind, and
the fields at fault). The REST layer (`backend.api.errors`) turns the kind into a status code and
the contract's error body; the WebSocket consumer turns it into an `error` frame. Nothing here
knows HTTP or DRF, so any caller (a task, a management command, a test) can catch it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    INVALID = "invalid"  # the input is wrong; `fields` says where
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"  # the role may not do this at all
    NOT_FOUND = "not_found"  # missing or not yours: one answer, so ids cannot be probed
    CONFLICT = "conflict"  # the state forbids it now (quota, workflow step)
    TOO_LARGE = "too_large"
    THROTTLED = "throttled"  # too many attempts; `retry_after` seconds to wait
    UNAVAILABLE = "unavailable"  # a service the operation needs is not there


class DomainError(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        kind: Kind = Kind.INVALID,
        *,
        fields: dict[str, list[str]] | None = None,
        retry_after: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind
        self.fields = fields or {}
        self.retry_after = retry_after
        # More keys of the error object beside code/message/fields (e.g. duplicate candidates).
        self.extra = extra or {}


class NotFound(DomainError):
    def __init__(self, message: str = "Élément introuvable.") -> None:
        super().__init__("not_found", message, Kind.NOT_FOUND)


class Conflict(DomainError):
    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(code, message, Kind.CONFLICT, fields=fields, extra=extra)


class Forbidden(DomainError):
    def __init__(self, message: str, code: str = "forbidden") -> None:
        super().__init__(code, message, Kind.FORBIDDEN)


def invalid_field(code: str, message: str, field: str, kind: Kind = Kind.INVALID) -> DomainError:
    """The usual refusal of one input: the message is also the field's error."""
    return DomainError(code, message, kind, fields={field: [message]})
