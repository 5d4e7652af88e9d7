"""Sign-in input and the `/api/me` representation (other people: backend/accounts/people.py)."""

from __future__ import annotations

from typing import Any, TypedDict

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.accounts.models import Mailbox, Membership, User
from backend.accounts.psc.tokens import EXERCICES, PSC_SESSION
from backend.api.typed_schema import typed


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=True)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp = serializers.CharField(max_length=12, required=False, allow_blank=True)


class OtpSerializer(serializers.Serializer):
    otp = serializers.RegexField(r"^\s*\d{6}\s*$", max_length=12)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=256, trim_whitespace=False)
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class TotpSetupSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp = serializers.CharField(max_length=12, required=False, allow_blank=True)


class MyProfessional(TypedDict):
    rpps: str
    adeli: str
    profession_code: str
    profession_label: str
    specialty: str
    is_expert: bool


class MyOrganization(TypedDict):
    id: str
    name: str
    finess: str
    kind: str
    roles: list[str]


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    title = serializers.SerializerMethodField()
    professional = serializers.SerializerMethodField()
    organizations = serializers.SerializerMethodField()
    mailboxes = serializers.SerializerMethodField()
    otp = serializers.SerializerMethodField()
    psc = serializers.SerializerMethodField()
    session_expires_at = serializers.SerializerMethodField()

    def get_session_expires_at(self, user: User) -> str | None:
        """When this browser session ends at the latest: the client keeps nothing it cached for
        offline use beyond it (shared PCs)."""
        session = getattr(self.context.get("request"), "session", None)
        if session is None or not session.session_key:
            return None
        return str(session.get_expiry_date().isoformat())

    def get_psc(self, user: User) -> dict[str, Any] | None:
        """The exercices Pro Santé Connect asserted at sign-in (None: signed in otherwise);
        `mismatches` lists the FINESS where PSC and the platform's memberships disagree."""
        request = self.context.get("request")
        session = getattr(request, "session", None)
        if session is None or not session.get(PSC_SESSION):
            return None
        summary = session.get(EXERCICES) or {}
        return {
            "exercices": summary.get("exercices", []),
            "mismatches": summary.get("mismatches", []),
        }

    def get_title(self, user: User) -> str:
        professional = getattr(user, "professional", None)
        return professional.title if professional else ""

    @extend_schema_field({"allOf": [typed(MyProfessional)], "nullable": True})
    def get_professional(self, user: User) -> dict[str, Any] | None:
        p = getattr(user, "professional", None)
        if p is None:
            return None
        return {
            "rpps": p.rpps,
            "adeli": p.adeli,
            "profession_code": p.profession_code,
            "profession_label": p.profession_label,
            "specialty": p.specialty,
            "is_expert": p.is_expert,
        }

    @extend_schema_field({"type": "array", "items": typed(MyOrganization)})
    def get_organizations(self, user: User) -> list[dict[str, Any]]:
        p = getattr(user, "professional", None)
        if p is None:
            return []
        by_org: dict[Any, dict[str, Any]] = {}
        for m in Membership.objects.filter(professional=p).select_related("organization"):
            org = m.organization
            entry = by_org.setdefault(
                org.pk,
                {
                    "id": org.pk,
                    "name": org.name,
                    "finess": org.finess,
                    "kind": org.kind,
                    "roles": [],
                },
            )
            entry["roles"].append(m.role)
        return sorted(by_org.values(), key=lambda o: o["name"])

    def get_mailboxes(self, user: User) -> list[dict[str, str]]:
        p = getattr(user, "professional", None)
        if p is None:
            return []
        own = Mailbox.objects.filter(professional=p, active=True)
        team = Mailbox.objects.filter(members=p, active=True)
        return [
            {"address": m.address, "kind": m.kind, "display_name": m.display_name}
            for m in (own | team).distinct().order_by("kind", "address")
        ]

    def get_otp(self, user: User) -> dict[str, bool]:
        is_verified = getattr(user, "is_verified", None)
        return {
            "enabled": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            "verified": bool(is_verified and is_verified()),
            "required": bool(settings.OTP_REQUIRED),
        }
