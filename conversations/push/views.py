"""REST for Web Push: the server's public key, and the signed-in user's browser subscriptions
(the shape of the browser's `PushSubscription.toJSON()`: endpoint and keys)."""

from __future__ import annotations

from typing import TypedDict

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.typed_schema import typed
from backend.api.users import user_of
from conversations.actions import require_clinician
from conversations.push import actions
from conversations.push.actions import session_digest
from conversations.push.models import PushSubscription


class PushConfig(TypedDict):
    """`applicationServerKey` for `pushManager.subscribe()` (base64url, uncompressed P-256)."""

    public_key: str


class PushSubscriptionPayload(TypedDict):
    id: str
    endpoint: str
    created_at: str
    # Subscribed from the session that asks (this browser, signed in now).
    current: bool


class PushSubscriptionList(TypedDict):
    results: list[PushSubscriptionPayload]


class KeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(max_length=128)
    auth = serializers.CharField(max_length=64)


class SubscribeSerializer(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1024)
    keys = KeysSerializer()
    # `expirationTime` of the browser's JSON, accepted and ignored (push services say 404/410).
    expirationTime = serializers.IntegerField(required=False, allow_null=True)


def _json(subscription: PushSubscription, request: Request) -> PushSubscriptionPayload:
    key = request.session.session_key
    return {
        "id": str(subscription.pk),
        "endpoint": subscription.endpoint,
        "created_at": subscription.created_at.isoformat(),
        "current": bool(key) and subscription.session_digest == session_digest(key or ""),
    }


class PushConfigView(APIView):
    @extend_schema(responses={200: typed(PushConfig)})
    def get(self, request: Request) -> Response:
        require_clinician(request.user)
        return Response({"public_key": settings.WEB_PUSH_VAPID_PUBLIC_KEY})


class PushSubscriptionListView(APIView):
    @extend_schema(
        operation_id="push_subscriptions_list", responses={200: typed(PushSubscriptionList)}
    )
    def get(self, request: Request) -> Response:
        require_clinician(request.user)
        subscriptions = actions.subscriptions_of(request.user)
        return Response({"results": [_json(s, request) for s in subscriptions]})

    @extend_schema(
        request=SubscribeSerializer,
        responses={201: typed(PushSubscriptionPayload), 200: typed(PushSubscriptionPayload)},
    )
    def post(self, request: Request) -> Response:
        form = SubscribeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        subscription, created = actions.subscribe(
            user_of(request),
            request.session,
            endpoint=data["endpoint"],
            p256dh=data["keys"]["p256dh"],
            auth=data["keys"]["auth"],
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(_json(subscription, request), status=code)


class PushSubscriptionDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, subscription_id: str) -> Response:
        actions.unsubscribe(user_of(request), subscription_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
