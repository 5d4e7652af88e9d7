"""The admin site goes through the same door as the API: password, a TOTP code (always: the
admin is never entered on a password alone), the lock-out of lockout.py and the audit trail.
TOTP secrets are never displayed (settings.OTP_ADMIN_HIDE_SENSITIVE_DATA)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.accounts import lockout
from backend.audit import log as audit
from backend.errors import DomainError
from backend.observability import client_ip_var


class AdminLoginForm(OTPAdminAuthenticationForm):
    otp_token = forms.CharField(required=False, label="Code de vérification (TOTP)")

    def clean(self) -> dict[str, Any]:
        username = lockout.normalise_username(str(self.data.get("username") or ""))
        try:
            lockout.check(username, client_ip_var.get())
        except DomainError as exc:
            raise ValidationError(exc.message, code="locked_out") from exc
        user = None
        try:
            self.cleaned_data = AdminAuthenticationForm.clean(self)
            user = self.get_user()
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                raise ValidationError(
                    "La double authentification (TOTP) est obligatoire pour l'administration : "
                    "activez-la depuis l'application, puis revenez.",
                    code="otp_required",
                )
            token = str(self.cleaned_data.get("otp_token") or "").strip().replace(" ", "")
            if not token or not device.verify_token(token):
                raise ValidationError(
                    "Code de vérification incorrect ou expiré.", code="otp_invalid"
                )
            # django-otp's user_logged_in receiver marks the session verified with it.
            user.otp_device = device
        except ValidationError as exc:
            with transaction.atomic():
                lockout.record_failure(username, f"admin_{exc.code or 'invalid'}", user)
            raise
        with transaction.atomic():
            audit.record("auth.login", actor=user, obj=user, data={"otp": True, "via": "admin"})
        return self.cleaned_data


class LiaisonAdminSite(OTPAdminSite):
    login_form = AdminLoginForm
    site_header = "Liaison Santé — administration"
    site_title = "Liaison Santé"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
