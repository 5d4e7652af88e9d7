"""The audit trail of a patient, for the administrators of the organisations concerned."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.access import organization_ids
from backend.accounts.models import Membership
from backend.api.errors import ApiError
from backend.audit.models import AuditEvent

PAGE_SIZE = 200


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.UUIDField(source="actor_id", allow_null=True)
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "organization",
            "verb",
            "object_type",
            "object_id",
            "patient_id",
            "request_id",
            "ip",
            "data",
        ]

    def get_actor_name(self, event: AuditEvent) -> str | None:
        return event.actor.display_name if event.actor else None


class AuditListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("patient", uuid.UUID, required=True)],
        responses=AuditEventSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        admin_orgs = organization_ids(request.user, {Membership.Role.ADMIN})
        if not admin_orgs:
            raise ApiError("forbidden", "Réservé aux administrateurs de la structure.", 403)
        try:
            patient_id = uuid.UUID(request.query_params.get("patient", ""))
        except ValueError as exc:
            raise ApiError(
                "patient_required",
                "Précisez l'identifiant du patient.",
                fields={"patient": ["Identifiant de patient invalide."]},
            ) from exc
        # Events of this patient recorded in the admin's organisations: an admin of one
        # structure never reads the trail of another.
        events = (
            AuditEvent.objects.filter(patient_id=patient_id, organization_id__in=admin_orgs)
            .select_related("actor__professional")
            .order_by("-at", "-id")[:PAGE_SIZE]
        )
        return Response({"results": AuditEventSerializer(events, many=True).data})
