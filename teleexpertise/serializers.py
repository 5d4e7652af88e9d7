"""Input validation only; the actions decide."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from teleexpertise.filing import VISIBILITIES
from teleexpertise.models import Act, Consent, TeleexpertiseRequest

REQUIRED: dict[str, Any] = {
    "required": "Ce champ est obligatoire.",
    "blank": "Ce champ est obligatoire.",
}


class ConsentSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=Consent.Method.choices)
    collected_at = serializers.DateTimeField()
    document = serializers.UUIDField(required=False, allow_null=True)
    # Given explicitly: the step asks it, no default stands for the patient.
    patient_informed = serializers.BooleanField(
        error_messages={"required": "Indiquez que le patient a été informé."}
    )
    # The patient the consent step named; must be the request's patient.
    patient = serializers.UUIDField(required=False, allow_null=True)
    consenter = serializers.ChoiceField(
        choices=Consent.Consenter.choices, default=Consent.Consenter.PATIENT
    )
    representative_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    representative_quality = serializers.ChoiceField(
        choices=Consent.Quality.choices, required=False, allow_blank=True, default=""
    )

    def validate_collected_at(self, value: Any) -> Any:
        if value > timezone.now():
            raise serializers.ValidationError("Le consentement ne peut pas être daté du futur.")
        return value

    def validate_patient_informed(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("Le patient doit avoir été informé.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["method"] == Consent.Method.WRITTEN and not attrs.get("document"):
            raise serializers.ValidationError(
                {"document": "Joignez le consentement écrit numérisé."}
            )
        return attrs


class RequestCreateSerializer(serializers.Serializer):
    expert = serializers.UUIDField(required=False, allow_null=True)
    # Or a specialty team: an ORG mailbox whose experts take the request.
    team = serializers.UUIDField(required=False, allow_null=True)
    patient = serializers.UUIDField()
    question = serializers.CharField(max_length=10000, error_messages=REQUIRED)
    urgency = serializers.ChoiceField(
        choices=TeleexpertiseRequest.Urgency.choices, default=TeleexpertiseRequest.Urgency.NORMAL
    )
    consent = ConsentSerializer(
        error_messages={
            "required": "Le consentement du patient est obligatoire.",
            "null": "Le consentement du patient est obligatoire.",
        }
    )
    attachments = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, max_length=20
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("expert")) == bool(attrs.get("team")):
            message = "Choisissez un expert ou une équipe (l'un ou l'autre)."
            raise serializers.ValidationError({"expert": message})
        return attrs


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, error_messages=REQUIRED)


class ReportSerializer(serializers.Serializer):
    # Declared fields are popped by DRF's metaclass: no clash with Serializer.context.
    context = serializers.CharField(max_length=20000, error_messages=REQUIRED)  # type: ignore[assignment]
    answer = serializers.CharField(max_length=20000, error_messages=REQUIRED)
    conclusion = serializers.CharField(max_length=10000, error_messages=REQUIRED)
    recommendations = serializers.CharField(
        max_length=10000, required=False, allow_blank=True, default=""
    )


class FileSerializer(serializers.Serializer):
    declare_acts = serializers.BooleanField(required=False, default=True)
    # Absent: the patient's default (filing.default_visibility: a minor's differs).
    visibility = serializers.ChoiceField(
        choices=list(VISIBILITIES.items()), required=False, allow_null=True, default=None
    )


class RequestFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TeleexpertiseRequest.Status.choices, required=False)
    role = serializers.ChoiceField(choices=["sent", "received"], required=False)
    urgency = serializers.ChoiceField(choices=TeleexpertiseRequest.Urgency.choices, required=False)
    # "overdue": past the 7-day answer delay; "soon": due within 2 days.
    due = serializers.ChoiceField(choices=["overdue", "soon"], required=False)


class ExpertProfileSerializer(serializers.Serializer):
    specialty = serializers.CharField(max_length=100, error_messages=REQUIRED)
    description = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )
    prerequisites = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )
    accepting = serializers.BooleanField(required=False, default=True)


class ActTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Act.Status.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ActBulkTransitionSerializer(ActTransitionSerializer):
    acts = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=500, error_messages=REQUIRED
    )
