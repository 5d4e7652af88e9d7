"""Input validation for REST bodies and WebSocket frames (one definition for both)."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from backend.errors import DomainError

CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


class ClientIdField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=64, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not CLIENT_ID.match(value):
            raise serializers.ValidationError(
                "Identifiant client invalide (8 à 64 caractères : lettres, chiffres, - _ . :)."
            )
        return value


class BodyField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        # The length limit is checked by the action (413 body_too_long), not here.
        super().__init__(allow_blank=True, trim_whitespace=False, **kwargs)


class MessageSendSerializer(serializers.Serializer):
    client_id = ClientIdField()
    body = BodyField()
    attachments = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, max_length=10
    )
    # A message of the same conversation that this one answers (quoted).
    reply_to = serializers.UUIDField(required=False, allow_null=True, default=None)
    # Recipients must acknowledge it (« Pris en compte »).
    urgent = serializers.BooleanField(required=False, default=False)


class ForwardSerializer(serializers.Serializer):
    conversation = serializers.UUIDField()
    client_id = ClientIdField()


class ForwardMssanteSerializer(serializers.Serializer):
    recipients = serializers.ListField(
        child=serializers.CharField(max_length=254), min_length=1, max_length=20
    )
    # "from" is a Python keyword: declared through the class namespace (a DRF idiom).
    locals()["from"] = serializers.CharField(required=False, allow_null=True, max_length=254)


class ConversationCreateSerializer(serializers.Serializer):
    participants = serializers.ListField(
        child=serializers.CharField(max_length=254), min_length=1, max_length=50
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    patient = serializers.UUIDField(required=False, allow_null=True)


class ReadSerializer(serializers.Serializer):
    seq = serializers.IntegerField(min_value=0)


class EditSerializer(serializers.Serializer):
    body = BodyField()


class ParticipantAddSerializer(serializers.Serializer):
    """One person (``user``), or several people and team mailboxes (``participants``: user ids
    and ORG mailbox addresses, as when creating a conversation)."""

    user = serializers.UUIDField(required=False)
    participants = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False, min_length=1, max_length=50
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("user") and not attrs.get("participants"):
            raise serializers.ValidationError(
                {"participants": ["Choisissez au moins une personne ou une équipe."]}
            )
        return attrs


class RenameSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=400, allow_blank=True, trim_whitespace=True)


class PatientAttachSerializer(serializers.Serializer):
    """``null`` detaches the patient."""

    patient = serializers.UUIDField(allow_null=True)


class PreferencesSerializer(serializers.Serializer):
    muted = serializers.BooleanField(required=False)
    pinned = serializers.BooleanField(required=False)
    archived = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(
                {"muted": ["Indiquez au moins un réglage : muted, pinned ou archived."]}
            )
        return attrs


# --- WebSocket client frames -----------------------------------------------------------------
class StrictCharField(serializers.CharField):
    """A JSON string only: DRF's CharField turns 0 or true into "0" or "True", and the consumer
    reads the raw frame's type (a {"type": 0} frame crashed it as a server error)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class FrameSerializer(serializers.Serializer):
    type = StrictCharField(max_length=40)
    ref = serializers.CharField(max_length=64, required=False, allow_null=True)


class WsMessageSend(MessageSendSerializer):
    conversation = serializers.UUIDField()


class WsMessageEdit(serializers.Serializer):
    message = serializers.UUIDField()
    body = BodyField()


class WsMessageDelete(serializers.Serializer):
    message = serializers.UUIDField()


class WsMessageAcknowledge(serializers.Serializer):
    message = serializers.UUIDField()


class WsRead(ReadSerializer):
    conversation = serializers.UUIDField()


class WsTyping(serializers.Serializer):
    conversation = serializers.UUIDField()


class WsSync(serializers.Serializer):
    cursors = serializers.DictField(child=serializers.IntegerField(min_value=0), allow_empty=True)

    def validate_cursors(self, value: dict[str, int]) -> dict[str, int]:
        if len(value) > 500:
            raise serializers.ValidationError("Trop de conversations dans une synchronisation.")
        return value


class WsPresenceSet(serializers.Serializer):
    status = serializers.ChoiceField(choices=["online", "away"])


class WsPresenceQuery(serializers.Serializer):
    users = serializers.ListField(child=serializers.UUIDField(), max_length=500)


INT64_MAX = 2**63 - 1


def parse_int_param(
    params: Any, name: str, default: int | None, minimum: int, maximum: int | None = None
) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise DomainError(
            "invalid", f"{name} doit être un entier.", fields={name: ["Entier attendu."]}
        ) from exc
    maximum = INT64_MAX if maximum is None else maximum  # the database's bigint, at most
    if value < minimum or value > maximum:
        bound = f"entre {minimum} et {maximum}"
        raise DomainError(
            "invalid", f"{name} doit être {bound}.", fields={name: [f"Valeur {bound}."]}
        )
    return value


# --- WebSocket frames: the consumer validates each frame with one of the Ws* serializers -------
FrameForm = type[serializers.Serializer]


def form_errors(form: serializers.Serializer) -> dict[str, list[str]]:
    return {
        name: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
        for name, msgs in form.errors.items()
    }


def validate_frame(form_class: FrameForm, frame: dict[str, Any], code: str, message: str) -> Any:
    """The frame's validated data, or a domain error listing the fields at fault."""
    form = form_class(data=frame)
    if not form.is_valid():
        raise DomainError(code, message, fields=form_errors(form))
    return dict(form.validated_data)
