"""REST for calls: ICE servers, the call log, and the camera and network check."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.errors import error_body
from backend.api.typed_schema import typed
from conversations import actions
from conversations.calls import actions as calls
from conversations.calls import turn
from conversations.payloads import CallLog, EchoAnswer, IceServers


class IceServersView(APIView):
    @extend_schema(responses={200: typed(IceServers)})
    def get(self, request: Request) -> Response:
        return Response(turn.ice_servers(request.user))


class CallLogView(APIView):
    @extend_schema(responses={200: typed(CallLog)})
    def get(self, request: Request, conversation_id: str) -> Response:
        return Response({"results": calls.call_log(request.user, conversation_id)})


class EchoOfferSerializer(serializers.Serializer):
    sdp = serializers.CharField(max_length=64 * 1024, trim_whitespace=False)
    type = serializers.ChoiceField(choices=["offer"])


class EchoCheckView(APIView):
    """Authentication, second factor, role and input checked the way every API view is; the
    WebRTC part runs in `echo_view`, on the event loop."""

    @extend_schema(
        request=EchoOfferSerializer,
        responses={200: typed(EchoAnswer)},
        description="The camera and network check: the server's WebRTC answer to the offer.",
    )
    def post(self, request: Request) -> Response:
        form = EchoOfferSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        actions.require_clinician(request.user)
        return Response({"user": str(request.user.pk), **form.validated_data})


_check_echo = EchoCheckView.as_view()


@csrf_exempt  # DRF's session authentication enforces CSRF in EchoCheckView
async def echo_view(request: HttpRequest) -> HttpResponse:
    checked: Any = await sync_to_async(_check_echo)(request)
    if checked.status_code != status.HTTP_200_OK:
        return checked
    data = checked.data
    try:
        # aiortc is imported on first use: the rest of the API does not depend on it.
        from conversations.calls import echo
    except ImportError:
        body = error_body("echo_unavailable", "Le test réseau n'est pas disponible ici.")
        return JsonResponse(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    try:
        answer = await echo.answer(data["user"], data["sdp"], data["type"])
    except echo.EchoBusy:
        body = error_body("echo_busy", "Trop de tests en cours : réessayez dans une minute.")
        return JsonResponse(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    except ValueError:
        body = error_body("invalid", "Offre SDP invalide.", {"sdp": ["Offre WebRTC illisible."]})
        return JsonResponse(body, status=status.HTTP_400_BAD_REQUEST)
    return JsonResponse(answer)
