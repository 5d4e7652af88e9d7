"""Input and output shapes of the MSSanté API."""

from __future__ import annotations

from rest_framework import serializers

from backend.mssante.models import OutboundMessage, OutboundRecipient

MAX_ADDRESS_INPUT = 320
MAX_RECIPIENTS = 50
MAX_BODY = 100_000


class CheckAddressSerializer(serializers.Serializer):
    address = serializers.CharField(max_length=MAX_ADDRESS_INPUT, trim_whitespace=True)


class CheckAddressResultSerializer(serializers.Serializer):
    accepted = serializers.BooleanField()
    kind = serializers.ChoiceField(choices=["professional", "patient"], allow_null=True)
    code = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    address = serializers.CharField()


class SendMessageSerializer(serializers.Serializer):
    # "from" is a Python keyword: declared through the class namespace, read as "sender".
    vars()["from"] = serializers.CharField(max_length=MAX_ADDRESS_INPUT, source="sender")
    to = serializers.ListField(
        child=serializers.CharField(max_length=MAX_ADDRESS_INPUT),
        allow_empty=True,
        max_length=MAX_RECIPIENTS,
    )
    subject = serializers.CharField(max_length=250, allow_blank=True, default="")
    body = serializers.CharField(max_length=MAX_BODY, allow_blank=True, trim_whitespace=False)
    # Ids from POST /api/attachments (own uploads, or files of the user's conversations).
    attachments = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, max_length=10
    )
    patient = serializers.UUIDField(required=False, allow_null=True, default=None)
    close_exchange = serializers.BooleanField(required=False, default=False)
    read_receipt = serializers.BooleanField(required=False, default=False)
    delivery_receipt = serializers.BooleanField(required=False, default=False)


class RecipientSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()

    class Meta:
        model = OutboundRecipient
        fields = ["address", "kind", "status", "reason", "sent_at", "read_at"]

    def get_status(self, recipient: OutboundRecipient) -> str:
        """queued | sent | delivered | failed | read ("sending" is shown as queued)."""
        if recipient.status == OutboundRecipient.Status.SENDING:
            return OutboundRecipient.Status.QUEUED
        return recipient.status


class OutboundMessageSerializer(serializers.ModelSerializer):
    vars()["from"] = serializers.EmailField(source="sender_address", read_only=True)
    recipients = RecipientSerializer(many=True, read_only=True)
    patient = serializers.UUIDField(source="patient_id", allow_null=True, read_only=True)
    # Bounds spelled out: derived from the model field they come from the database in use
    # (SQLite's 64-bit range would give the schema "int64"), and the checked-in client types
    # must not depend on which database generated them (PostgreSQL's integer is the one served).
    attempts = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False)

    class Meta:
        model = OutboundMessage
        fields = [
            "id",
            "status",
            "created_at",
            "subject",
            "from",
            "message_id",
            "patient",
            "health_document",
            "close_exchange",
            "read_receipt",
            "delivery_receipt",
            "attempts",
            "next_attempt_at",
            "recipients",
        ]
