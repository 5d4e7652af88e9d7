"""The signed-in user of an API request, typed."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAuthenticated

from backend.accounts.models import User


def user_of(request: Any) -> User:
    """`request.user` as the platform's User. API views require authentication (settings:
    DEFAULT_PERMISSION_CLASSES), so an anonymous user here is refused like anywhere else."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user
