"""Default API permission: a signed-in, active user who passed the second factor if required."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import permissions
from rest_framework.request import Request

from backend.accounts.models import ApiToken
from backend.accounts.psc.tokens import PSC_SESSION
from backend.errors import Forbidden


def otp_satisfied(request: Request) -> bool:
    if isinstance(request.auth, ApiToken):
        return True  # integrators authenticate with their token, not a person's second factor
    if not settings.OTP_REQUIRED:
        return True
    session = getattr(request._request, "session", None)
    if session is not None and session.get(PSC_SESSION):
        return True  # Pro Santé Connect is itself a strong authentication (CPS / e-CPS, eIDAS)
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


class IsSignedIn(permissions.BasePermission):
    """Authenticated and active, second factor not required (TOTP enrolment itself)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


class IsVerifiedUser(IsSignedIn):
    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if not otp_satisfied(request):
            raise Forbidden(
                "La double authentification est obligatoire : activez-la pour continuer.",
                code="otp_enrollment_required",
            )
        return True
