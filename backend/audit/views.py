"""« Journal d'accès » API: an organisation's admins and DPO read who saw or changed what about
a patient. ``GET /api/audit?patient=`` (the first version) stays as it was."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.access import organization_ids
from backend.accounts.models import Membership
from backend.api.typed_schema import typed
from backend.audit import history, journal
from backend.audit.models import AuditEvent
from backend.audit.payloads import JournalEvents, JournalPatients, MessageVersions
from backend.errors import DomainError, Forbidden

PAGE_SIZE = 200
DENIED = {403: OpenApiResponse(description="Réservé aux administrateurs et au DPO.")}
FILTERS = [
    OpenApiParameter("patient", OpenApiTypes.UUID),
    OpenApiParameter("user", OpenApiTypes.UUID, description="Auteur de l'action"),
    OpenApiParameter("from", OpenApiTypes.DATE),
    OpenApiParameter("to", OpenApiTypes.DATE),
    OpenApiParameter("action", str, description="Code de l'action (ex. teleexpertise.read)"),
    OpenApiParameter("kind", str, enum=["read", "change"]),
]


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
            raise Forbidden("Réservé aux administrateurs de la structure.")
        try:
            patient_id = uuid.UUID(request.query_params.get("patient", ""))
        except ValueError as exc:
            raise DomainError(
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


class JournalPatientsView(APIView):
    @extend_schema(
        operation_id="audit_journal_patients",
        summary="Journal d'accès : retrouver un patient (nom, date de naissance ou INS)",
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("birth_date", OpenApiTypes.DATE),
            OpenApiParameter("ins", str),
        ],
        responses={200: typed(JournalPatients), **DENIED},
    )
    def get(self, request: Request) -> Response:
        patients = journal.find_patients(request.user, request.query_params)
        return Response({"patients": [journal.patient_json(p) for p in patients]})


class JournalEventsView(APIView):
    @extend_schema(
        operation_id="audit_journal_events",
        summary="Journal d'accès : qui a consulté ou modifié quoi, quand, depuis quelle IP",
        description="{events: [{id, at, actor, actor_name, verb, label, object_type, "
        "object_id, patient_id, ip, data}], count, actions: [{verb, label}]}",
        parameters=[*FILTERS, OpenApiParameter("offset", int)],
        responses={200: typed(JournalEvents), **DENIED},
    )
    def get(self, request: Request) -> Response:
        events = journal.events_for(request.user, request.query_params)
        try:
            offset = max(0, int(request.query_params.get("offset") or 0))
        except ValueError:
            raise DomainError(
                "invalid", "Entier attendu.", fields={"offset": ["Entier."]}
            ) from None
        page = list(events[offset : offset + PAGE_SIZE])
        journal.record_reading(request.user, request.query_params)
        return Response(
            {
                "events": [journal.event_json(e) for e in page],
                "count": events.count(),
                "actions": [{"verb": v, "label": lbl} for v, lbl in journal.VERB_LABELS.items()],
            }
        )


class JournalCsvView(APIView):
    @extend_schema(
        operation_id="audit_journal_csv",
        summary="Journal d'accès : export CSV (Excel français)",
        parameters=FILTERS,
        responses={(200, "text/csv"): OpenApiTypes.BINARY, **DENIED},
    )
    def get(self, request: Request) -> HttpResponse:
        events = journal.events_for(request.user, request.query_params)
        data = journal.to_csv(events[:50_000])
        journal.record_reading(request.user, request.query_params, export="csv")
        response = HttpResponse(data, content_type="text/csv; charset=utf-8")
        name = f"journal-acces-{timezone.localdate():%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response


class MessageVersionsView(APIView):
    @extend_schema(
        operation_id="audit_message_versions",
        summary="Versions antérieures d'un message modifié ou supprimé (administration, DPO)",
        responses={200: typed(MessageVersions), **DENIED, 404: OpenApiResponse()},
    )
    def get(self, request: Request, message_id: str) -> Response:
        message, versions = history.versions_for(request.user, message_id)
        return Response(
            {
                "message": str(message.pk),
                "conversation": str(message.conversation_id),
                "versions": [history.version_json(v) for v in versions],
            }
        )
