"""The contract's error shape: {"error": {"code", "message", "fields"}} for every API error.

Domain errors (`backend.errors.DomainError`, the one error type, raised by actions and views
alike) get their status code from their kind here; DRF's own exceptions (validation,
authentication, throttling) get the same body. The WebSocket consumer turns the same errors
into `error` frames.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from backend.errors import DomainError, Kind, NotFound

__all__ = ["error_body", "exception_handler", "status_of"]

DEFAULT_MESSAGES = {
    status.HTTP_400_BAD_REQUEST: ("invalid", "La requête contient des données invalides."),
    status.HTTP_401_UNAUTHORIZED: ("not_authenticated", "Vous devez vous connecter."),
    status.HTTP_403_FORBIDDEN: ("forbidden", "Vous n'avez pas accès à cette ressource."),
    status.HTTP_404_NOT_FOUND: ("not_found", "Élément introuvable."),
    status.HTTP_405_METHOD_NOT_ALLOWED: ("method_not_allowed", "Méthode non autorisée."),
    status.HTTP_406_NOT_ACCEPTABLE: ("not_acceptable", "Format de réponse non disponible."),
    status.HTTP_409_CONFLICT: ("conflict", "L'opération est en conflit avec l'état actuel."),
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: (
        "too_large",
        "Le contenu envoyé est trop volumineux.",
    ),
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: (
        "unsupported_media_type",
        "Format non pris en charge.",
    ),
    status.HTTP_429_TOO_MANY_REQUESTS: ("throttled", "Trop de requêtes, réessayez plus tard."),
}


STATUS_BY_KIND = {
    Kind.INVALID: status.HTTP_400_BAD_REQUEST,
    Kind.UNAUTHENTICATED: status.HTTP_401_UNAUTHORIZED,
    Kind.FORBIDDEN: status.HTTP_403_FORBIDDEN,
    Kind.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    Kind.CONFLICT: status.HTTP_409_CONFLICT,
    Kind.TOO_LARGE: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    Kind.THROTTLED: status.HTTP_429_TOO_MANY_REQUESTS,
    Kind.UNAVAILABLE: status.HTTP_503_SERVICE_UNAVAILABLE,
}


def status_of(error: DomainError) -> int:
    return STATUS_BY_KIND[error.kind]


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten_fields(detail: Any) -> dict[str, list[str]]:
    if not isinstance(detail, dict):
        return {}
    fields: dict[str, list[str]] = {}
    for key, value in detail.items():
        if isinstance(value, list):
            fields[str(key)] = [
                str(v) if not isinstance(v, dict) else str(next(iter(v.values()), ""))
                for v in value
            ]
        elif isinstance(value, dict):
            for sub_key, sub_messages in _flatten_fields(value).items():
                fields[f"{key}.{sub_key}"] = sub_messages
        else:
            fields[str(key)] = [str(value)]
    return fields


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # Imported here: rest_framework.views imports the permission classes, which import this.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    if isinstance(exc, Http404):
        exc = NotFound()
    if isinstance(exc, DomainError):
        set_rollback()
        refusal = Response(error_body(exc.code, exc.message, exc.fields), status=status_of(exc))
        refusal.data["error"].update(exc.extra)
        if exc.retry_after is not None:
            refusal["Retry-After"] = str(exc.retry_after)
        return refusal
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's 500 handler answers (see backend/urls.py)
    code, message = DEFAULT_MESSAGES.get(response.status_code, ("error", "Erreur."))
    fields: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten_fields(exc.detail)
        if isinstance(exc.detail, list) and exc.detail:
            message = str(exc.detail[0])
        elif "non_field_errors" in fields:
            message = fields["non_field_errors"][0]
    elif isinstance(exc, exceptions.Throttled) and getattr(exc, "wait", None):
        message = f"Trop de requêtes, réessayez dans {int(exc.wait) + 1} secondes."  # type: ignore[attr-defined]
    elif isinstance(exc, exceptions.ParseError):
        from backend.api.parsers import MalformedJSON

        code, message = "malformed", "Le corps de la requête n'est pas un JSON valide."
        if isinstance(exc, MalformedJSON):
            message = str(exc.detail)
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        code = "not_authenticated" if isinstance(exc, exceptions.NotAuthenticated) else "bad_token"
        if code == "bad_token":
            message = "Jeton d'accès invalide ou révoqué."
    response.data = error_body(code, message, fields)
    return response
