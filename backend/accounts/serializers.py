"""API representations of people. Every person carries the user's `id`, which other endpoints
take to name a person."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import serializers

from backend.accounts.models import Mailbox, Membership, User


def primary_organization_name(user: User) -> str | None:
    professional = getattr(user, "professional", None)
    if professional is None:
        return None
    membership = (
        Membership.objects.filter(professional=professional)
        .select_related("organization")
        .order_by("organization__name")
        .first()
    )
    return membership.organization.name if membership else None


class PersonSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    display_name = serializers.CharField(read_only=True)
    title = serializers.SerializerMethodField()
    profession_label = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField()

    def _professional(self, user: User) -> Any:
        return getattr(user, "professional", None)

    def get_title(self, user: User) -> str:
        professional = self._professional(user)
        return professional.title if professional else ""

    def get_profession_label(self, user: User) -> str:
        professional = self._professional(user)
        return professional.profession_label if professional else ""

    def get_organization(self, user: User) -> str | None:
        # Callers listing many people pass a prefetched map to avoid one query per person.
        names: dict[Any, str | None] | None = self.context.get("organization_names")
        if names is not None and user.pk in names:
            return names[user.pk]
        return primary_organization_name(user)


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=True)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp = serializers.CharField(max_length=12, required=False, allow_blank=True)


class OtpSerializer(serializers.Serializer):
    otp = serializers.RegexField(r"^\s*\d{6}\s*$", max_length=12)


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    title = serializers.SerializerMethodField()
    professional = serializers.SerializerMethodField()
    organizations = serializers.SerializerMethodField()
    mailboxes = serializers.SerializerMethodField()
    otp = serializers.SerializerMethodField()

    def get_title(self, user: User) -> str:
        professional = getattr(user, "professional", None)
        return professional.title if professional else ""

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
