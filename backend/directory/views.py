"""Directory endpoints. Reads need a signed-in user, billing staff included: the directory holds
no health data, so reads are not audited; liste rouge changes are (in the action)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import Mailbox
from backend.directory import actions
from backend.directory.access import access_managed_mailbox, managed_mailboxes
from backend.directory.search import Criteria, search
from backend.directory.serializers import (
    MAX_OFFSET,
    DirectoryPageSerializer,
    DirectoryQuerySerializer,
    ManagedMailboxSerializer,
    VisibilitySerializer,
)


def _mailbox(mailbox: Mailbox) -> dict[str, object]:
    return {
        "address": mailbox.address,
        "kind": mailbox.kind,
        "display_name": mailbox.display_name,
        "hidden": mailbox.hidden,
    }


class DirectoryView(APIView):
    throttle_scope = "search"

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Nom, prénom ou structure (début des mots)"),
            OpenApiParameter("profession", str, description="Code (10, 60…) ou libellé"),
            OpenApiParameter("city", str, description="Commune (début du nom)"),
            OpenApiParameter("postcode", str, description="Code postal (5 chiffres)"),
            OpenApiParameter("mssante_only", bool, description="Seulement avec une BAL MSSanté"),
            OpenApiParameter("limit", int, description="1 à 50, 20 par défaut"),
            OpenApiParameter("offset", int),
        ],
        responses=DirectoryPageSerializer,
    )
    def get(self, request: Request) -> Response:
        form = DirectoryQuerySerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        criteria = Criteria(**form.validated_data)
        results, count, exact = search(criteria)
        following = criteria.offset + criteria.limit
        more = following < count or (not exact and following <= MAX_OFFSET)
        return Response(
            {
                "results": results,
                "count": count,
                "count_exact": exact,
                "next_offset": following if more else None,
            }
        )


class ManagedMailboxesView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "ManagedMailboxList", {"results": ManagedMailboxSerializer(many=True)}
        )
    )
    def get(self, request: Request) -> Response:
        mailboxes = managed_mailboxes(request.user).order_by("kind", "address")
        return Response({"results": [_mailbox(m) for m in mailboxes]})


class MailboxVisibilityView(APIView):
    @extend_schema(request=VisibilitySerializer, responses=ManagedMailboxSerializer)
    def post(self, request: Request, address: str) -> Response:
        mailbox = access_managed_mailbox(request.user, address)
        form = VisibilitySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        mailbox = actions.set_mailbox_visibility(
            request.user, mailbox, hidden=form.validated_data["hidden"]
        )
        return Response(_mailbox(mailbox))
