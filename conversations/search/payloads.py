"""The search response, declared once for the OpenAPI document and the client's types."""

from __future__ import annotations

from typing import TypedDict

from backend.accounts.people import Person


class SnippetPart(TypedDict):
    text: str
    mark: bool  # a matched word: shown highlighted


class MessageHit(TypedDict):
    conversation: str
    conversation_title: str
    message: str
    seq: int
    sender: Person | None
    created_at: str
    edited: bool
    snippet: list[SnippetPart]


class MessageSearchPage(TypedDict):
    results: list[MessageHit]
    next_offset: int | None
