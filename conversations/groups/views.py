"""REST for groups, the conversation's patient and the per-user settings (rules: rules.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.typed_schema import typed
from backend.api.users import user_of
from backend.errors import DomainError, NotFound
from backend.patients.access import access_patient
from conversations.access import access_conversation
from conversations.actions import require_clinician
from conversations.groups import actions, preferences
from conversations.payloads import ConversationPayload
from conversations.representations import conversation_json
from conversations.serializers import (
    ParticipantAddSerializer,
    PatientAttachSerializer,
    PreferencesSerializer,
)
from conversations.views import resolve_participants


def _answer(request: Request, conversation_id: str) -> Response:
    conversation = access_conversation(request.user, conversation_id)
    return Response(conversation_json(conversation, request.user))


class ParticipantsView(APIView):
    @extend_schema(request=ParticipantAddSerializer, responses={200: typed(ConversationPayload)})
    def post(self, request: Request, conversation_id: str) -> Response:
        """Adds people and team mailboxes to a group (any participant)."""
        access_conversation(request.user, conversation_id)  # 404 before any other answer
        require_clinician(request.user)
        form = ParticipantAddSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        entries = [str(data["user"])] if data.get("user") else []
        users, mailboxes = resolve_participants(entries + list(data.get("participants") or []))
        actions.add_participants(
            user_of(request), conversation_id, users=users, mailboxes=mailboxes
        )
        return _answer(request, conversation_id)


class ParticipantDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, conversation_id: str, user_id: str) -> Response:
        """Leaves (one's own id) or removes a person (a user id) or a team mailbox (its address);
        removing someone else is for the group's administrator."""
        access_conversation(request.user, conversation_id)  # 404 before any other answer
        require_clinician(request.user)
        try:
            users, mailboxes = resolve_participants([user_id])
        except DomainError as exc:
            raise NotFound("Ce participant ne fait pas partie de la conversation.") from exc
        actions.remove_participant(
            user_of(request),
            conversation_id,
            user=users[0] if users else None,
            mailbox=mailboxes[0] if mailboxes else None,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PatientView(APIView):
    @extend_schema(request=PatientAttachSerializer, responses={200: typed(ConversationPayload)})
    def put(self, request: Request, conversation_id: str) -> Response:
        """Attaches, changes (a patient id) or detaches (null) the conversation's patient: a
        patient the user's organisations keep (search: GET /api/patients)."""
        access_conversation(request.user, conversation_id)  # 404 before any other answer
        require_clinician(request.user)
        form = PatientAttachSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        patient_id = form.validated_data["patient"]
        patient = access_patient(request.user, patient_id) if patient_id else None
        actions.set_patient(user_of(request), conversation_id, patient)
        return _answer(request, conversation_id)


class PreferencesView(APIView):
    @extend_schema(request=PreferencesSerializer, responses={200: typed(ConversationPayload)})
    def patch(self, request: Request, conversation_id: str) -> Response:
        """The user's own mute, pin and archive of the conversation."""
        access_conversation(request.user, conversation_id)  # 404 before any other answer
        require_clinician(request.user)
        form = PreferencesSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        preferences.set_preferences(user_of(request), conversation_id, **form.validated_data)
        return _answer(request, conversation_id)
