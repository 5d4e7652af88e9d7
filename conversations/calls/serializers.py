"""Validation of the call frames (client -> server)."""

from __future__ import annotations

from rest_framework import serializers


class WsCallInvite(serializers.Serializer):
    conversation = serializers.UUIDField()


class WsCallRef(serializers.Serializer):
    call = serializers.UUIDField()


class WsCallDecline(WsCallRef):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WsCallSignal(WsCallRef):
    to = serializers.UUIDField()

    def get_fields(self) -> dict[str, serializers.Field]:
        # "data" (the contract's name) would shadow Serializer.data if declared as an attribute.
        fields = super().get_fields()
        fields["data"] = serializers.DictField()
        return fields
