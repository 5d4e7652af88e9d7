"""Sign-in, sign-out, the current user, and TOTP enrolment."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import actions
from backend.accounts.permissions import IsSignedIn
from backend.accounts.psc import client as psc_client
from backend.accounts.serializers import (
    LoginSerializer,
    MeSerializer,
    OtpSerializer,
    PasswordChangeSerializer,
    TotpSetupSerializer,
)
from backend.api.users import user_of


class CsrfView(APIView):
    """Sets the CSRF cookie; the web client sends it back as X-CSRFToken."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses=inline_serializer("Csrf", {"csrf_token": serializers.CharField()}))
    @method_decorator(ensure_csrf_cookie)
    def get(self, request: Request) -> Response:
        return Response({"csrf_token": get_token(request)})


@method_decorator(csrf_protect, name="dispatch")
class LoginView(APIView):
    throttle_scope = "signin"
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(request=LoginSerializer, responses=MeSerializer)
    def post(self, request: Request) -> Response:
        form = LoginSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = actions.sign_in(
            request._request,
            form.validated_data["username"],
            form.validated_data["password"],
            form.validated_data.get("otp") or None,
        )
        return Response(MeSerializer(user).data)


class LogoutView(APIView):
    permission_classes = [IsSignedIn]

    @extend_schema(
        request=None,
        responses={
            204: None,
            200: inline_serializer("PscLogout", {"psc_logout_url": serializers.URLField()}),
        },
        description="204 when done; 200 with the Pro Santé Connect logout URL the browser must "
        "visit when the session came from PSC (RP-initiated logout).",
    )
    def post(self, request: Request) -> Response:
        psc_logout = actions.sign_out(request._request)
        if psc_logout:
            return Response({"psc_logout_url": psc_logout})
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignInMethodsView(APIView):
    """What the sign-in page offers: Pro Santé Connect first when configured."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        responses=inline_serializer(
            "SignInMethods",
            {
                "psc": serializers.BooleanField(),
                "psc_start_url": serializers.CharField(),
                "psc_required_for_rpps": serializers.BooleanField(),
            },
        )
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "psc": psc_client.configured(),
                "psc_start_url": "/auth/psc/start",
                "psc_required_for_rpps": settings.PSC_REQUIRED_FOR_RPPS,
            }
        )


class PasswordChangeView(APIView):
    permission_classes = [IsSignedIn]

    @extend_schema(request=PasswordChangeSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        form = PasswordChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = user_of(request)
        actions.change_password(
            request._request,
            user,
            form.validated_data["old_password"],
            form.validated_data["new_password"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsSignedIn]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user, context={"request": request}).data)


class TotpSetupView(APIView):
    """Starts TOTP enrolment: the secret as an otpauth:// URL and a QR code to scan. Needs the
    current password and, to replace a device, a code from it."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        request=TotpSetupSerializer,
        responses=inline_serializer(
            "TotpSetup",
            {
                "otpauth_url": serializers.CharField(),
                "secret": serializers.CharField(),
                "qr_svg": serializers.CharField(),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        form = TotpSetupSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = user_of(request)
        device = actions.start_totp_enrolment(
            request._request,
            user,
            form.validated_data["password"],
            form.validated_data.get("otp") or None,
        )
        secret = base64.b32encode(device.bin_key).decode().rstrip("=")
        url = device.config_url
        image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage)
        buffer = io.BytesIO()
        image.save(buffer)
        return Response(
            {
                "otpauth_url": url,
                "secret": secret,
                "issuer": settings.OTP_TOTP_ISSUER,
                "qr_svg": buffer.getvalue().decode(),
            }
        )


class TotpConfirmView(APIView):
    permission_classes = [IsSignedIn]

    @extend_schema(request=OtpSerializer, responses=MeSerializer)
    def post(self, request: Request) -> Response:
        form = OtpSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = user_of(request)
        actions.confirm_totp_enrolment(request._request, user, form.validated_data["otp"])
        return Response(MeSerializer(user).data)
