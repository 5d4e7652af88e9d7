"""MSSanté API: trust-space check of an address, send a mail, follow the outbox."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.errors import DomainError, NotFound
from backend.mssante import actions
from backend.mssante.access import access_message, access_sender_mailbox, messages_for
from backend.mssante.mime import MimeAttachment
from backend.mssante.serializers import (
    CheckAddressResultSerializer,
    CheckAddressSerializer,
    OutboundMessageSerializer,
    SendMessageSerializer,
)
from backend.mssante.trust import check_address_now
from backend.patients.access import access_patient, require_clinical_access
from conversations.access import access_attachment

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def mime_attachments(user: Any, attachment_ids: list[uuid.UUID]) -> list[MimeAttachment]:
    """Files the user may read: their own uploads, or attachments of their conversations."""
    files = []
    for attachment_id in attachment_ids:
        try:
            attachment = access_attachment(user, attachment_id)
        except NotFound as exc:
            raise DomainError(
                "attachment_invalid",
                "Une pièce jointe est introuvable.",
                fields={"attachments": ["Pièce jointe introuvable."]},
            ) from exc
        with attachment.file.open("rb") as handle:
            files.append(MimeAttachment(attachment.name, attachment.content_type, handle.read()))
    return files


class CheckAddressView(APIView):
    """Is this address inside the MSSanté trust space? A refusal is an answer (200), with why."""

    @extend_schema(request=CheckAddressSerializer, responses=CheckAddressResultSerializer)
    def post(self, request: Request) -> Response:
        require_clinical_access(request.user)
        form = CheckAddressSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        verdict = check_address_now(form.validated_data["address"])
        return Response(
            {
                "accepted": verdict.accepted,
                "kind": verdict.kind,
                "code": verdict.code,
                "reason": verdict.reason,
                "address": verdict.address,
            }
        )


def _page_bound(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= maximum:
        message = f"« {name} » doit être un entier entre 0 et {maximum}."
        raise DomainError("invalid_pagination", message, fields={name: [message]})
    return value


class MessageListView(APIView):
    throttle_scopes = {"POST": "messages"}

    @extend_schema(
        operation_id="mssante_messages_list",
        parameters=[
            OpenApiParameter("limit", int, description=f"1 à {MAX_LIMIT} (défaut {DEFAULT_LIMIT})"),
            OpenApiParameter("offset", int),
        ],
        responses=inline_serializer(
            "OutboundMessageList",
            {
                "results": OutboundMessageSerializer(many=True),
                "count": serializers.IntegerField(),
                "limit": serializers.IntegerField(),
                "offset": serializers.IntegerField(),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        """The user's outbox, newest first (their mails and their ORG mailboxes' mails)."""
        require_clinical_access(request.user)
        limit = _page_bound(request, "limit", DEFAULT_LIMIT, MAX_LIMIT) or DEFAULT_LIMIT
        offset = _page_bound(request, "offset", 0, 10**9)
        messages = messages_for(request.user).order_by("-created_at", "-id")
        page = list(messages.prefetch_related("recipients")[offset : offset + limit])
        actions.record_message_reads(request.user, page)
        return Response(
            {
                "results": OutboundMessageSerializer(page, many=True).data,
                "count": messages.count(),
                "limit": limit,
                "offset": offset,
            }
        )

    @extend_schema(request=SendMessageSerializer, responses={202: OutboundMessageSerializer})
    def post(self, request: Request) -> Response:
        """Queue a mail from one of the user's mailboxes; 202, then follow its status."""
        require_clinical_access(request.user)
        form = SendMessageSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        mailbox = access_sender_mailbox(request.user, data["sender"])
        patient = None
        if data["patient"] is not None:
            patient = access_patient(request.user, data["patient"])
        message = actions.queue_message(
            actor=request.user,
            sender_mailbox=mailbox,
            recipients=data["to"],
            subject=data["subject"],
            text=data["body"],
            attachments=mime_attachments(request.user, data["attachments"]),
            patient=patient,
            close_exchange=data["close_exchange"],
            read_receipt=data["read_receipt"],
            delivery_receipt=data["delivery_receipt"],
        )
        message.refresh_from_db()
        return Response(OutboundMessageSerializer(message).data, status=status.HTTP_202_ACCEPTED)


class MessageDetailView(APIView):
    @extend_schema(operation_id="mssante_message_retrieve", responses=OutboundMessageSerializer)
    def get(self, request: Request, message_id: str) -> Response:
        require_clinical_access(request.user)
        message = access_message(request.user, message_id)
        actions.record_message_reads(request.user, [message])
        return Response(OutboundMessageSerializer(message).data)
