"""Django REST framework, its rate limits and the OpenAPI schema."""

from __future__ import annotations

from backend.api.rate_config import parse_rate_limits
from backend.settings.env import env

# --- Django REST framework and the OpenAPI schema --------------------------------------------
# REST rate limits (backend/api/throttling.py): "<scope>" per user, "<scope>.ip" per address.
RATE_LIMITS = parse_rate_limits(
    env("RATE_LIMITS"),
    {
        "messages": "120/min",
        "messages.ip": "600/min",
        "uploads": "30/min",
        "uploads.ip": "120/min",
        "search": "60/min",
        "search.ip": "300/min",
        "exports": "10/min",
        "exports.ip": "30/min",
        "signin.ip": "30/min",
    },
)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backend.accounts.authentication.ApiTokenAuthentication",
        "backend.accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["backend.accounts.permissions.IsVerifiedUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "backend.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "backend.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "backend.api.throttling.PerUserThrottle",
        "backend.api.throttling.PerAddressThrottle",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Liaison Santé API",
    "DESCRIPTION": "Messagerie sécurisée et téléexpertise pour les professionnels de santé.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set that several serializers share.
    "ENUM_NAME_OVERRIDES": {"ActStatusEnum": "teleexpertise.models.Act.Status"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backend.api.typed_schema.add_typed_components",
    ],
}
