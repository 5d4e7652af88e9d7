"""Errors outside DRF views still answer in the contract's shape under /api/."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.defaults import bad_request as django_bad_request
from django.views.defaults import page_not_found as django_page_not_found
from django.views.defaults import server_error as django_server_error

from backend.api.errors import error_body


def api_not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("not_found", "Adresse d'API inconnue."), status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's own 400s (a suspicious request, a body past DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    if isinstance(exception, RequestDataTooBig):
        body = error_body("too_large", "Le contenu envoyé est trop volumineux.")
        return JsonResponse(body, status=413)
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("invalid", "Requête invalide."), status=400)
    return django_bad_request(request, exception or Exception())


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if request.path.startswith("/api/"):
        message = "Jeton CSRF absent ou invalide : rechargez la page."
        return JsonResponse(error_body("csrf_failed", message), status=403)
    return django_csrf_failure(request, reason)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "Élément introuvable."), status=404)
    return django_page_not_found(request, exception or Exception())


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("server_error", "Erreur interne : l'équipe technique est prévenue."),
            status=500,
        )
    return django_server_error(request)
