"""REST for history and integrators; the WebSocket consumer calls the same actions."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import F, OuterRef, Subquery
from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import Mailbox, User
from backend.api.typed_schema import typed
from backend.api.users import user_of
from backend.errors import DomainError
from backend.patients.access import access_patient
from conversations import actions, uploads
from conversations.access import access_attachment, access_conversation, conversations_for
from conversations.groups import actions as group_actions
from conversations.groups.models import ConversationPreference
from conversations.groups.preferences import archived_conversation_ids
from conversations.message_options import SendOptions
from conversations.models import Message
from conversations.payloads import (
    AttachmentPayload,
    ConversationList,
    ConversationPayload,
    MessagePayload,
    MessagesPage,
    ReadResult,
)
from conversations.representations import (
    attachment_json,
    conversation_json,
    conversations_json,
    message_json,
    messages_json,
)
from conversations.serializers import (
    ConversationCreateSerializer,
    EditSerializer,
    MessageSendSerializer,
    ReadSerializer,
    RenameSerializer,
    parse_int_param,
)

MAX_CONVERSATIONS = 200
PAGE_DEFAULT, PAGE_MAX = 50, 200
# Previews render inside the app; everything else is downloaded, never displayed inline.
INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")


def resolve_participants(entries: list[str]) -> tuple[list[User], list[Mailbox]]:
    """User ids and ORG mailbox addresses -> users and team mailboxes (400 for unknown ones)."""
    users: list[User] = []
    mailboxes: list[Mailbox] = []
    unknown: list[str] = []
    for entry in entries:
        if "@" in entry:
            mailbox = Mailbox.objects.filter(
                address=entry.strip().lower(), kind=Mailbox.Kind.ORGANIZATIONAL, active=True
            ).first()
            if mailbox is None:
                unknown.append(entry)
            else:
                mailboxes.append(mailbox)
            continue
        try:
            user = User.objects.filter(pk=uuid.UUID(entry), is_active=True).first()
        except ValueError:
            user = None
        if user is None:
            unknown.append(entry)
        else:
            users.append(user)
    if unknown:
        raise DomainError(
            "participant_unknown",
            "Destinataire introuvable.",
            fields={"participants": [f"Inconnu : {e}" for e in unknown]},
        )
    return users, mailboxes


class ConversationListView(APIView):
    @extend_schema(
        operation_id="conversations_list",
        parameters=[
            OpenApiParameter(
                "archived",
                int,
                description="1 : seulement les archivées ; 0 : seulement les autres ; "
                "absent : toutes (chacune dit si elle est archivée)",
            )
        ],
        responses={200: typed(ConversationList)},
    )
    def get(self, request: Request) -> Response:
        actions.require_clinician(request.user)
        archived = parse_int_param(request.query_params, "archived", None, 0, 1)
        mine = conversations_for(request.user)
        if archived is not None:
            hidden = archived_conversation_ids(request.user)
            mine = mine.filter(pk__in=hidden) if archived else mine.exclude(pk__in=hidden)
        # Pinned first (most recently pinned first), then by activity.
        pinned = ConversationPreference.objects.filter(
            conversation=OuterRef("pk"), user=user_of(request)
        ).values("pinned_at")[:1]
        conversations = list(
            mine.select_related("patient")
            .annotate(pinned_at=Subquery(pinned))
            .order_by(F("pinned_at").desc(nulls_last=True), "-last_activity_at")[:MAX_CONVERSATIONS]
        )
        body = conversations_json(conversations, request.user)
        actions.record_conversations_shown(user_of(request), conversations)
        return Response({"results": body})

    @extend_schema(
        request=ConversationCreateSerializer,
        responses={201: typed(ConversationPayload), 200: typed(ConversationPayload)},
    )
    def post(self, request: Request) -> Response:
        form = ConversationCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        actions.require_clinician(request.user)
        data = form.validated_data
        users, mailboxes = resolve_participants(data["participants"])
        patient = access_patient(request.user, data["patient"]) if data.get("patient") else None
        conversation, created = actions.create_conversation(
            user_of(request),
            users=users,
            mailboxes=mailboxes,
            title=data.get("title", ""),
            patient=patient,
        )
        return Response(
            conversation_json(conversation, request.user),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ConversationDetailView(APIView):
    @extend_schema(responses={200: typed(ConversationPayload)})
    def get(self, request: Request, conversation_id: str) -> Response:
        conversation = access_conversation(request.user, conversation_id)
        actions.record_conversations_shown(
            user_of(request), [conversation], verb="conversation.detail_read"
        )
        return Response(conversation_json(conversation, request.user))

    @extend_schema(request=RenameSerializer, responses={200: typed(ConversationPayload)})
    def patch(self, request: Request, conversation_id: str) -> Response:
        """Renames a group (any participant; an empty title goes back to the names)."""
        access_conversation(request.user, conversation_id)
        form = RenameSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        group_actions.rename(user_of(request), conversation_id, form.validated_data["title"])
        conversation = access_conversation(request.user, conversation_id)
        return Response(conversation_json(conversation, request.user))


class MessageListView(APIView):
    throttle_scopes = {"POST": "messages"}

    @extend_schema(
        parameters=[
            OpenApiParameter("after_seq", int),
            OpenApiParameter("before_seq", int),
            OpenApiParameter("limit", int),
        ],
        responses={200: typed(MessagesPage)},
    )
    def get(self, request: Request, conversation_id: str) -> Response:
        conversation = access_conversation(request.user, conversation_id)
        params = request.query_params
        limit = parse_int_param(params, "limit", PAGE_DEFAULT, 1, PAGE_MAX) or PAGE_DEFAULT
        after = parse_int_param(params, "after_seq", None, 0)
        before = parse_int_param(params, "before_seq", None, 0)
        messages = Message.objects.filter(conversation=conversation)
        if after is not None:
            page = list(messages.filter(seq__gt=after).order_by("seq")[: limit + 1])
            has_more = len(page) > limit
            page = page[:limit]
        else:
            if before is not None:
                messages = messages.filter(seq__lt=before)
            page = list(messages.order_by("-seq")[: limit + 1])
            has_more = len(page) > limit
            page = list(reversed(page[:limit]))
        actions.record_history_read(user_of(request), conversation, len(page))
        return Response({"messages": messages_json(page), "has_more": has_more})

    @extend_schema(
        request=MessageSendSerializer,
        responses={201: typed(MessagePayload), 200: typed(MessagePayload)},
    )
    def post(self, request: Request, conversation_id: str) -> Response:
        access_conversation(request.user, conversation_id)
        form = MessageSendSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        result = actions.send_message(
            user_of(request),
            conversation_id,
            client_id=data["client_id"],
            body=data["body"],
            attachment_ids=data["attachments"],
            options=SendOptions(reply_to=data.get("reply_to"), urgent=data.get("urgent", False)),
        )
        return Response(
            message_json(result.message),
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class MessageDetailView(APIView):
    @extend_schema(request=EditSerializer, responses={200: typed(MessagePayload)})
    def patch(self, request: Request, conversation_id: str, message_id: str) -> Response:
        access_conversation(request.user, conversation_id)
        form = EditSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        message = actions.edit_message(
            user_of(request), message_id, form.validated_data["body"], conversation_id
        )
        return Response(message_json(message))

    @extend_schema(responses={200: typed(MessagePayload)})
    def delete(self, request: Request, conversation_id: str, message_id: str) -> Response:
        access_conversation(request.user, conversation_id)
        message = actions.delete_message(user_of(request), message_id, conversation_id)
        return Response(message_json(message))


class ReadView(APIView):
    @extend_schema(request=ReadSerializer, responses={200: typed(ReadResult)})
    def post(self, request: Request, conversation_id: str) -> Response:
        access_conversation(request.user, conversation_id)
        form = ReadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        seq = actions.mark_read(user_of(request), conversation_id, form.validated_data["seq"])
        return Response({"conversation": conversation_id, "seq": seq})


class AttachmentUploadView(APIView):
    throttle_scope = "uploads"
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses={201: typed(AttachmentPayload)},
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError(
                "file_required", "Choisissez un fichier.", fields={"file": ["Fichier manquant."]}
            )
        attachment = uploads.upload_attachment(user_of(request), upload)
        return Response(attachment_json(attachment), status=status.HTTP_201_CREATED)


class AttachmentDownloadView(APIView):
    @extend_schema(parameters=[OpenApiParameter("inline", int)], responses={200: bytes})
    def get(self, request: Request, attachment_id: str) -> Any:
        attachment = access_attachment(request.user, attachment_id)
        uploads.record_attachment_download(user_of(request), attachment)
        inline = (
            request.query_params.get("inline") == "1" and attachment.content_type in INLINE_TYPES
        )
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=not inline,
            filename=attachment.name,
            content_type=attachment.content_type,
        )
        response["Cache-Control"] = "private, no-store"
        if inline:
            # The PDF preview is framed by the app itself; no other site may frame it.
            response["X-Frame-Options"] = "SAMEORIGIN"
            response["Content-Security-Policy"] = "frame-ancestors 'self'"
        return response
