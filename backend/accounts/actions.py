"""State changes of identities: sign-in and sign-out, second factor, API tokens."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.middleware import is_verified as otp_is_verified
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import status

from backend.accounts.models import ApiToken, User, hash_token
from backend.api.errors import ApiError
from backend.audit import log as audit
from backend.audit.models import AuditEvent
from backend.observability import client_ip_var

LOGIN_FAILED = "auth.login_failed"
# An IP address may fail for several usernames (a shared hospital NAT): a wider allowance.
IP_FAILURE_FACTOR = 4


def _normalise_username(username: str) -> str:
    return username.strip().lower()[:128]


def _blocking_failure_at(**filters: Any) -> datetime | None:
    """When the limit is reached inside the window: the time of the oldest counted failure."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    failures = AuditEvent.objects.filter(verb=LOGIN_FAILED, at__gte=since, **filters)
    limit = settings.LOGIN_MAX_FAILURES * (IP_FAILURE_FACTOR if "ip" in filters else 1)
    recent = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
    if len(recent) < limit:
        return None
    return recent[-1]


def _check_lockout(username: str, ip: str | None) -> None:
    blocking = _blocking_failure_at(object_id=username)
    if blocking is None and ip:
        blocking = _blocking_failure_at(ip=ip)
    if blocking is None:
        return
    unlock_at = blocking + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    wait = max(1, int((unlock_at - timezone.now()).total_seconds()) + 1)
    minutes = max(1, round(wait / 60))
    raise ApiError(
        "locked_out",
        f"Trop d'échecs de connexion : compte bloqué, réessayez dans {minutes} minute"
        f"{'s' if minutes > 1 else ''}.",
        status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(wait)},
    )


@transaction.atomic
def _record_failure(username: str, reason: str, user: User | None) -> None:
    audit.record(
        LOGIN_FAILED,
        actor=None,
        object_type="accounts.user",
        object_id=username,
        data={"reason": reason, "user": str(user.pk) if user else None},
    )


def _confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def sign_in(request: HttpRequest, username: str, password: str, otp: str | None) -> User:
    """Password, then the TOTP code when the account has one. Failures are audited and count
    towards the lock-out, which is read from the audit trail so every server process agrees."""
    key = _normalise_username(username)
    ip = client_ip_var.get()
    _check_lockout(key, ip)
    user = auth.authenticate(request, username=username.strip(), password=password)
    if not isinstance(user, User) or user.is_service:
        _record_failure(key, "bad_credentials", None)
        raise ApiError(
            "invalid_credentials",
            "Identifiant ou mot de passe incorrect.",
            status.HTTP_401_UNAUTHORIZED,
        )
    device = _confirmed_device(user)
    if device is not None:
        if not otp:
            raise ApiError(
                "otp_required",
                "Saisissez le code à 6 chiffres de votre application d'authentification.",
                status.HTTP_401_UNAUTHORIZED,
            )
        if not device.verify_token(otp.strip().replace(" ", "")):
            _record_failure(key, "bad_otp", user)
            raise ApiError(
                "otp_invalid",
                "Code de vérification incorrect ou expiré.",
                status.HTTP_401_UNAUTHORIZED,
            )
    with transaction.atomic():
        auth.login(request, user)
        # What OTPMiddleware installs on later requests, so this response reports it too.
        user.otp_device = None  # type: ignore[attr-defined]
        user.is_verified = functools.partial(otp_is_verified, user)  # type: ignore[attr-defined]
        if device is not None:
            otp_login(request, device)
        audit.record(
            "auth.login",
            actor=user,
            obj=user,
            data={"otp": device is not None},
        )
    return user


@transaction.atomic
def sign_out(request: HttpRequest) -> None:
    user = request.user
    if user.is_authenticated:
        audit.record("auth.logout", actor=user, obj=user)
    auth.logout(request)


@transaction.atomic
def start_totp_enrolment(user: User) -> TOTPDevice:
    """A new unconfirmed device; an earlier unconfirmed one is replaced."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name="Application", confirmed=False)
    audit.record("auth.totp_enrolment_started", actor=user, obj=user)
    return device


def confirm_totp_enrolment(request: HttpRequest, user: User, otp: str) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise ApiError("otp_not_started", "Commencez par afficher le QR code d'activation.")
    if not device.verify_token(otp.strip().replace(" ", "")):
        raise ApiError("otp_invalid", "Code de vérification incorrect ou expiré.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        audit.record("auth.totp_enabled", actor=user, obj=user)
    return device


@transaction.atomic
def create_api_token(user: User, name: str, actor: User | None = None) -> tuple[ApiToken, str]:
    """Returns the token and its key; the key is shown once and only its hash is stored."""
    key = ApiToken.new_key()
    token = ApiToken.objects.create(user=user, name=name, key_hash=hash_token(key), prefix=key[:8])
    audit.record("auth.token_created", actor=actor, obj=token, data={"user": str(user.pk)})
    return token, key


@transaction.atomic
def revoke_api_token(token: ApiToken, actor: User | None = None) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record("auth.token_revoked", actor=actor, obj=token)
