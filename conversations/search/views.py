"""``GET /api/messages/search?q=&conversation=&limit=&offset=``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.typed_schema import typed
from backend.api.users import user_of
from conversations import actions
from conversations.access import access_conversation
from conversations.search.actions import record_search_read
from conversations.search.payloads import MessageSearchPage
from conversations.search.query import search_messages

DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET = 20, 50, 1000


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        min_length=2,
        max_length=200,
        error_messages={
            "required": "Saisissez un mot à rechercher.",
            "blank": "Saisissez un mot à rechercher.",
            "min_length": "Saisissez au moins 2 caractères.",
        },
    )
    conversation = serializers.UUIDField(required=False)
    limit = serializers.IntegerField(
        required=False, default=DEFAULT_LIMIT, min_value=1, max_value=MAX_LIMIT
    )
    offset = serializers.IntegerField(required=False, default=0, min_value=0, max_value=MAX_OFFSET)


class MessageSearchView(APIView):
    throttle_scope = "search"

    @extend_schema(
        operation_id="messages_search",
        parameters=[
            OpenApiParameter("q", str, required=True, description="Mots cherchés (début de mot)"),
            OpenApiParameter("conversation", str, description="Seulement dans cette conversation"),
            OpenApiParameter("limit", int, description="1 à 50, 20 par défaut"),
            OpenApiParameter("offset", int),
        ],
        responses={200: typed(MessageSearchPage)},
    )
    def get(self, request: Request) -> Response:
        actions.require_clinician(request.user)
        form = SearchQuerySerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        conversation = (
            access_conversation(request.user, data["conversation"])
            if data.get("conversation")
            else None
        )
        found = search_messages(
            request.user,
            data["q"],
            conversation=conversation,
            limit=data["limit"],
            offset=data["offset"],
        )
        record_search_read(user_of(request), found.conversations, found.hits)
        following = data["offset"] + data["limit"]
        return Response(
            {"results": found.hits, "next_offset": following if found.has_more else None}
        )
