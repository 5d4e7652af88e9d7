"""Patient input and output, and the INS check answer."""

from __future__ import annotations

import datetime
from typing import Any

from rest_framework import serializers

from backend.patients.ins import OID_NIA, OID_NIR, InsError, parse_ins
from backend.patients.models import Patient


class InsCheckSerializer(serializers.Serializer):
    ins = serializers.CharField(max_length=40, allow_blank=True, trim_whitespace=False)


class InsCheckResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    ins = serializers.CharField()
    sex = serializers.ChoiceField(choices=["M", "F"])
    birth_year = serializers.IntegerField()
    birth_month = serializers.IntegerField(allow_null=True)
    birth_month_source = serializers.CharField()
    birth_department = serializers.CharField()
    born_abroad = serializers.BooleanField()
    summary = serializers.CharField()
    mssante_address = serializers.EmailField()


class PatientSerializer(serializers.ModelSerializer):
    first_names = serializers.ListField(
        child=serializers.CharField(max_length=60), min_length=1, max_length=6
    )
    ins = serializers.CharField(max_length=21, required=False, allow_blank=True)
    organization = serializers.UUIDField(source="organization_id", required=False)
    display_name = serializers.CharField(read_only=True)
    mssante_address = serializers.EmailField(read_only=True, allow_null=True)
    referring_doctor = serializers.UUIDField(
        source="referring_doctor.user_id", read_only=True, allow_null=True
    )

    class Meta:
        model = Patient
        fields = [
            "id",
            "organization",
            "ins",
            "ins_oid",
            "birth_name",
            "first_names",
            "used_name",
            "birth_date",
            "sex",
            "birth_place",
            "identity_status",
            "display_name",
            "mssante_address",
            "referring_doctor",
            "created_at",
        ]
        read_only_fields = ["id", "ins_oid", "created_at"]

    def validate_birth_name(self, value: str) -> str:
        return value.strip().upper()

    def validate_birth_place(self, value: str) -> str:
        value = value.strip().upper()
        if value and not (len(value) == 5 and value[:2].isalnum() and value[2:].isdigit()):
            raise serializers.ValidationError("Le code INSEE du lieu de naissance a 5 caractères.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        raw_ins = attrs.get("ins") or ""
        status = attrs.get("identity_status", Patient.IdentityStatus.PROVISIONAL)
        if not raw_ins:
            if status in (Patient.IdentityStatus.QUALIFIED, Patient.IdentityStatus.RETRIEVED):
                raise serializers.ValidationError(
                    {"ins": ["Une identité récupérée ou qualifiée a un INS."]}
                )
            attrs["ins"] = ""
            return attrs
        try:
            info = parse_ins(raw_ins)
        except InsError as exc:
            raise serializers.ValidationError({"ins": [exc.message]}, code=exc.code) from exc
        birth_date: datetime.date = attrs["birth_date"]
        mismatches = []
        if info.sex != attrs.get("sex"):
            mismatches.append("sexe")
        if info.birth_year % 100 != birth_date.year % 100:
            mismatches.append("année de naissance")
        if info.birth_month is not None and info.birth_month != birth_date.month:
            mismatches.append("mois de naissance")
        if mismatches:
            raise serializers.ValidationError(
                {"ins": [f"L'INS ne correspond pas aux traits saisis ({', '.join(mismatches)})."]}
            )
        attrs["ins"] = info.ins
        # NIA (7 or 8 as first digit) are not handled by parse_ins today: all are NIR.
        attrs["ins_oid"] = OID_NIA if info.ins[0] in "78" else OID_NIR
        return attrs
