"""Patient input and output, and the INS check answer."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from rest_framework import serializers

from backend.patients.ins import InsError, ins_oid, parse_ins
from backend.patients.models import IdentityVerification, Patient
from backend.patients.traits import Traits, traits_mismatches


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
    identity_status = serializers.CharField(required=False)
    identity_status_label = serializers.CharField(
        source="get_identity_status_display", read_only=True
    )
    same_person_as = serializers.UUIDField(source="same_person_as_id", read_only=True)
    # After a « possible duplicate » answer: the user confirms this is another person.
    confirm_new = serializers.BooleanField(required=False, default=False, write_only=True)

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
            "identity_status_label",
            "same_person_as",
            "confirm_new",
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

    def validate_identity_status(self, value: str) -> str:
        # A status is never declared: it comes from a recorded verification (RNIV).
        if value != Patient.IdentityStatus.PROVISIONAL:
            raise serializers.ValidationError(
                "Une identité est validée ou qualifiée par une vérification enregistrée "
                "(pièce d'identité et téléservice INSi), pas à la création du dossier."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        raw_ins = attrs.get("ins") or ""
        attrs.pop("identity_status", None)
        if not raw_ins:
            attrs["ins"] = ""
            return attrs
        try:
            info = parse_ins(raw_ins)
        except InsError as exc:
            raise serializers.ValidationError({"ins": [exc.message]}, code=exc.code) from exc
        birth_date: datetime.date = attrs["birth_date"]
        traits = Traits(
            birth_name=attrs.get("birth_name", ""),
            first_names=attrs.get("first_names", []),
            birth_date=birth_date,
            sex=attrs.get("sex", ""),
            birth_place=attrs.get("birth_place", ""),
        )
        mismatches = traits_mismatches(info, traits)
        if mismatches:
            raise serializers.ValidationError(
                {"ins": [f"L'INS ne correspond pas aux traits saisis ({', '.join(mismatches)})."]}
            )
        attrs["ins"] = info.ins
        attrs["ins_oid"] = ins_oid(info.ins, test_data=not settings.PRODUCTION)
        return attrs


class IdentityVerificationInputSerializer(serializers.Serializer):
    document_type = serializers.ChoiceField(choices=IdentityVerification.DocumentType.choices)


class IdentityVerificationSerializer(serializers.ModelSerializer):
    verified_by = serializers.CharField(source="verified_by.get_full_name", read_only=True)
    document_type_label = serializers.CharField(source="get_document_type_display", read_only=True)
    outcome_label = serializers.CharField(source="get_outcome_display", read_only=True)

    class Meta:
        model = IdentityVerification
        fields = [
            "id",
            "verified_by",
            "verified_at",
            "document_type",
            "document_type_label",
            "insi_ins",
            "insi_oid",
            "insi_answered_at",
            "outcome",
            "outcome_label",
        ]
        read_only_fields = fields


class SamePersonSerializer(serializers.Serializer):
    other = serializers.UUIDField()
