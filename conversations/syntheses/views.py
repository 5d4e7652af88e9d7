"""REST for conversation syntheses: request, follow, download, send over MSSanté."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.users import user_of
from backend.mssante.jdv import VISIBILITY_CODES
from backend.mssante.models import OutboundMessage
from conversations.syntheses import actions as exports
from conversations.syntheses.access import access_export, access_export_conversation
from conversations.syntheses.representations import export_json


class SynthesisRequestSerializer(serializers.Serializer):
    from_seq = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    to_seq = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class ExportSendSerializer(serializers.Serializer):
    recipients = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False, default=list, max_length=20
    )
    to_patient_record = serializers.BooleanField(required=False, default=False)
    # The DMP visibility of the synthesis sent to the patient's record (default by patient).
    visibility = serializers.ChoiceField(
        choices=sorted(VISIBILITY_CODES), required=False, allow_null=True, default=None
    )
    # "from" is a Python keyword: declared through the class namespace (a DRF idiom).
    locals()["from"] = serializers.CharField(required=False, allow_null=True, max_length=254)


ExportSchema = inline_serializer(
    "Export",
    {
        "id": serializers.UUIDField(),
        "conversation": serializers.UUIDField(),
        "status": serializers.ChoiceField(choices=["queued", "running", "done", "failed"]),
        "progress": serializers.IntegerField(),
        "from_seq": serializers.IntegerField(allow_null=True),
        "to_seq": serializers.IntegerField(allow_null=True),
        "document_id": serializers.CharField(),
        "download": serializers.CharField(allow_null=True),
        "sha256": serializers.CharField(allow_null=True),
        "content_sha256": serializers.CharField(allow_null=True, required=False),
        "error": serializers.CharField(allow_null=True),
        "created_at": serializers.DateTimeField(),
        "finished_at": serializers.DateTimeField(allow_null=True),
    },
)


class SynthesisView(APIView):
    throttle_scope = "exports"

    @extend_schema(
        request=SynthesisRequestSerializer,
        responses={202: inline_serializer("SynthesisAccepted", {"export": ExportSchema})},
    )
    def post(self, request: Request, conversation_id: str) -> Response:
        """Queue the PDF synthesis of the conversation (optionally messages from_seq..to_seq)."""
        access_export_conversation(request.user, conversation_id)
        form = SynthesisRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        export = exports.request_synthesis(
            user_of(request), conversation_id, data.get("from_seq"), data.get("to_seq")
        )
        export.refresh_from_db()
        return Response({"export": export_json(export)}, status=status.HTTP_202_ACCEPTED)


class ExportDetailView(APIView):
    @extend_schema(responses={200: ExportSchema})
    def get(self, request: Request, export_id: str) -> Response:
        export = access_export(request.user, export_id)
        return Response(export_json(export))


class ExportDownloadView(APIView):
    @extend_schema(responses={200: bytes})
    def get(self, request: Request, export_id: str) -> Any:
        export, handle = exports.open_download(user_of(request), export_id)
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"{export.document_id}.pdf",
            content_type="application/pdf",
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-SHA256"] = export.sha256
        return response


class ExportSendView(APIView):
    throttle_scope = "exports"

    @extend_schema(
        request=ExportSendSerializer,
        responses={
            202: inline_serializer(
                "ExportSent",
                {
                    "messages": inline_serializer(
                        "ExportSentMessage",
                        {"id": serializers.UUIDField(), "status": serializers.CharField()},
                        many=True,
                    )
                },
            )
        },
    )
    def post(self, request: Request, export_id: str) -> Response:
        """Send the synthesis over MSSanté to colleagues and/or the patient's record (XDM)."""
        access_export(request.user, export_id)
        form = ExportSendSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        ids = exports.send_export(
            user_of(request),
            export_id,
            data["recipients"],
            data["to_patient_record"],
            data.get("from"),
            visibility=data.get("visibility"),
        )
        statuses = dict(OutboundMessage.objects.filter(pk__in=ids).values_list("pk", "status"))
        return Response(
            {"messages": [{"id": str(i), "status": statuses.get(i)} for i in ids]},
            status=status.HTTP_202_ACCEPTED,
        )
