"""State changes of identities: sign-in and sign-out, second factor, API tokens."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.middleware import is_verified as otp_is_verified
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.accounts import lockout, sessions
from backend.accounts.models import ApiToken, User, hash_token
from backend.accounts.psc import tokens as psc_tokens
from backend.audit import log as audit
from backend.errors import DomainError, Kind
from backend.observability import client_ip_var


def _confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def sign_in(request: HttpRequest, username: str, password: str, otp: str | None) -> User:
    """Password, then the TOTP code when the account has one. Failures are audited and count
    towards the lock-out, which is read from the audit trail so every server process agrees."""
    key = lockout.normalise_username(username)
    lockout.check(key, client_ip_var.get())
    user = auth.authenticate(request, username=username.strip(), password=password)
    if not isinstance(user, User) or user.is_service:
        _record_failure(key, "bad_credentials", None)
        raise DomainError(
            "invalid_credentials",
            "Identifiant ou mot de passe incorrect.",
            Kind.UNAUTHENTICATED,
        )
    device = _confirmed_device(user)
    if device is not None:
        if not otp:
            raise DomainError(
                "otp_required",
                "Saisissez le code à 6 chiffres de votre application d'authentification.",
                Kind.UNAUTHENTICATED,
            )
        if not device.verify_token(otp.strip().replace(" ", "")):
            _record_failure(key, "bad_otp", user)
            raise DomainError(
                "otp_invalid",
                "Code de vérification incorrect ou expiré.",
                Kind.UNAUTHENTICATED,
            )
    _check_password_allowed(user, key)
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
def _record_failure(username: str, reason: str, user: User | None) -> None:
    lockout.record_failure(username, reason, user)


def _check_password_allowed(user: User, key: str) -> None:
    """Production rule: a professional with an RPPS signs in with Pro Santé Connect; password +
    TOTP stay for accounts without an RPPS and for break-glass administrators (superusers)."""
    if not settings.PSC_REQUIRED_FOR_RPPS or user.is_superuser:
        return
    professional = getattr(user, "professional", None)
    if professional is not None and professional.rpps:
        audit.record("auth.login_refused", actor=None, obj=user, data={"reason": "psc_required"})
        raise DomainError(
            "psc_required",
            "Les professionnels inscrits au RPPS se connectent avec Pro Santé Connect "
            "(carte CPS ou e-CPS).",
            Kind.FORBIDDEN,
        )


@transaction.atomic
def sign_out(request: HttpRequest) -> str | None:
    """Ends this browser session, its sockets, and its Pro Santé Connect session: returns the
    provider's logout URL to send the browser to, if the session came from PSC."""
    user = request.user
    psc_logout = None
    if user.is_authenticated:
        audit.record("auth.logout", actor=user, obj=user)
        if request.session.get(psc_tokens.PSC_SESSION):
            psc_logout = psc_tokens.end_psc_session(request, user)
    sessions.end_session(request.session.session_key, sessions.LOGOUT, user)
    auth.logout(request)
    return psc_logout


def _check_current_password(user: User, password: str, reason: str, field: str, kind: Kind) -> str:
    """A signed-in user proves it is them again; failures count towards the lock-out."""
    key = lockout.normalise_username(user.get_username())
    lockout.check(key, client_ip_var.get())
    if not user.check_password(password):
        _record_failure(key, reason, user)
        raise DomainError(
            "invalid_password",
            "Mot de passe actuel incorrect.",
            kind,
            fields={field: ["Mot de passe actuel incorrect."]},
        )
    return key


def change_password(request: HttpRequest, user: User, old: str, new: str) -> None:
    """The old password is required; every other session of the user ends (sockets too), this
    one stays signed in."""
    _check_current_password(user, old, "bad_password_change", "old_password", Kind.INVALID)
    try:
        password_validation.validate_password(new, user)
    except DjangoValidationError as exc:
        raise DomainError(
            "weak_password",
            "Le nouveau mot de passe ne respecte pas les règles.",
            fields={"new_password": [str(m) for m in exc.messages]},
        ) from exc
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        previous_key = request.session.session_key
        auth.update_session_auth_hash(request, user)  # gives this session a new key
        sessions.end_user_sessions(
            user, sessions.PASSWORD_CHANGED, keep_session=request, renewed_from=previous_key
        )
        audit.record("auth.password_changed", actor=user, obj=user)


def _check_second_factor_change(request: HttpRequest, user: User, password: str, otp: str) -> None:
    """Enrolling or replacing TOTP needs the current password and, when a device exists, a
    current code; a session older than the device cannot replace it."""
    key = _check_current_password(user, password, "bad_password_totp", "password", Kind.FORBIDDEN)
    device = _confirmed_device(user)
    if device is None:
        return
    created = getattr(device, "created_at", None)
    auth_at = request.session.get(sessions.AUTH_AT)
    if created is not None and (auth_at is None or auth_at < created.timestamp()):
        raise DomainError(
            "session_too_old",
            "Votre session est antérieure à l'activation de votre double authentification : "
            "reconnectez-vous pour la modifier.",
            Kind.FORBIDDEN,
        )
    if not otp or not device.verify_token(otp.strip().replace(" ", "")):
        _record_failure(key, "bad_otp_totp", user)
        raise DomainError(
            "otp_invalid",
            "Code de vérification de votre application actuelle incorrect ou expiré.",
            Kind.FORBIDDEN,
            fields={"otp": ["Code incorrect ou expiré."]},
        )


def start_totp_enrolment(
    request: HttpRequest, user: User, password: str, otp: str | None = None
) -> TOTPDevice:
    """A new unconfirmed device; an earlier unconfirmed one is replaced."""
    _check_second_factor_change(request, user, password, otp or "")
    with transaction.atomic():
        return _new_unconfirmed_device(user)


def _new_unconfirmed_device(user: User) -> TOTPDevice:
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name="Application", confirmed=False)
    audit.record("auth.totp_enrolment_started", actor=user, obj=user)
    return device


def confirm_totp_enrolment(request: HttpRequest, user: User, otp: str) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise DomainError("otp_not_started", "Commencez par afficher le QR code d'activation.")
    if not device.verify_token(otp.strip().replace(" ", "")):
        raise DomainError("otp_invalid", "Code de vérification incorrect ou expiré.")
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
