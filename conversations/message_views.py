"""REST for what a message can become (issue #18, item 8): acknowledged when urgent, forwarded to
another conversation or by MSSanté. The WebSocket has `message.acknowledge` too."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.typed_schema import typed
from backend.api.users import user_of
from backend.errors import NotFound
from backend.mssante.models import OutboundMessage
from conversations import forwarding, urgent
from conversations.actions import require_clinician
from conversations.payloads import AcknowledgeResult, ForwardedMail, MessagePayload
from conversations.representations import message_json
from conversations.serializers import ForwardMssanteSerializer, ForwardSerializer


def _in_conversation(request: Request, conversation_id: str, message_id: str) -> None:
    """The message is the conversation's, and the user takes part (one 404 otherwise)."""
    require_clinician(request.user)
    message = urgent.message_for(request.user, message_id)
    if str(message.conversation_id) != str(conversation_id):
        raise NotFound("Message introuvable.")


class AcknowledgeView(APIView):
    @extend_schema(request=None, responses={200: typed(AcknowledgeResult)})
    def post(self, request: Request, conversation_id: str, message_id: str) -> Response:
        """« Pris en compte » of an urgent message by one of its recipients (idempotent)."""
        _in_conversation(request, conversation_id, message_id)
        done = urgent.acknowledge_message(user_of(request), message_id)
        return Response(done._asdict())


class ForwardView(APIView):
    throttle_scopes = {"POST": "messages"}

    @extend_schema(
        request=ForwardSerializer,
        responses={201: typed(MessagePayload), 200: typed(MessagePayload)},
    )
    def post(self, request: Request, conversation_id: str, message_id: str) -> Response:
        """Copy the message into another conversation of the user's, marked « Transféré »."""
        _in_conversation(request, conversation_id, message_id)
        form = ForwardSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        result = forwarding.forward_to_conversation(
            user_of(request), message_id, data["conversation"], data["client_id"]
        )
        return Response(
            message_json(result.message),
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class ForwardMssanteView(APIView):
    throttle_scope = "exports"

    @extend_schema(request=ForwardMssanteSerializer, responses={202: typed(ForwardedMail)})
    def post(self, request: Request, conversation_id: str, message_id: str) -> Response:
        """Send the message by MSSanté to directory addresses inside the trust space."""
        _in_conversation(request, conversation_id, message_id)
        form = ForwardMssanteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        mail_id = forwarding.forward_by_mssante(
            user_of(request), message_id, data["recipients"], data.get("from")
        )
        mail_status = OutboundMessage.objects.filter(pk=mail_id).values_list("status", flat=True)
        return Response(
            {"id": str(mail_id), "status": mail_status.first() or "queued"},
            status=status.HTTP_202_ACCEPTED,
        )
