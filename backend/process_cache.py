"""A per-process cache for hot paths: values by key, loaded in one batch for the keys missing or
older than `seconds`, and emptied by any save or delete of the models they are made of in this
process. Other processes see a change within `seconds`. For what a stale value may only delay,
never widen (a name shown, whether to try a notice), not for access decisions."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models.signals import post_delete, post_save

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ProcessCache(Generic[K, V]):
    def __init__(
        self,
        name: str,
        seconds: float,
        load: Callable[[list[K]], dict[K, V]],
        emptied_by: Iterable[type[models.Model]],
    ) -> None:
        self.seconds = seconds
        self._load = load
        self._entries: dict[K, tuple[float, V]] = {}
        for model in emptied_by:
            uid = f"{name}-{model.__name__}"
            post_save.connect(self.clear, sender=model, dispatch_uid=uid, weak=False)
            post_delete.connect(self.clear, sender=model, dispatch_uid=f"{uid}-d", weak=False)

    def get_many(self, keys: Iterable[K]) -> dict[K, V]:
        """The values of these keys that exist (a key `load` does not return is not kept)."""
        now = time.monotonic()
        result: dict[K, V] = {}
        missing: list[K] = []
        for key in dict.fromkeys(keys):
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < self.seconds:
                result[key] = hit[1]
            else:
                missing.append(key)
        if missing:
            for key, value in self._load(missing).items():
                self._entries[key] = (now, value)
                result[key] = value
        return result

    def peek_many(self, keys: Iterable[K]) -> dict[K, V] | None:
        """The values of these keys when all are held and fresh, without loading (None
        otherwise): for callers that must not touch the database (the event loop)."""
        now = time.monotonic()
        result: dict[K, V] = {}
        for key in keys:
            hit = self._entries.get(key)
            if hit is None or now - hit[0] >= self.seconds:
                return None
            result[key] = hit[1]
        return result

    def clear(self, **_: Any) -> None:
        self._entries.clear()
