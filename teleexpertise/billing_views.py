"""Billing review API: acts of the organisation's professionals, nothing clinical."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.typed_schema import typed
from backend.errors import DomainError
from teleexpertise import billing, billing_exports
from teleexpertise.payloads import ActBulkResult, ActEnvelope, ActPage
from teleexpertise.serializers import ActBulkTransitionSerializer, ActTransitionSerializer

PAGE_DEFAULT, PAGE_MAX = 50, 500
FILTERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="Date d'acte minimale (AAAA-MM-JJ)"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Date d'acte maximale (AAAA-MM-JJ)"),
    OpenApiParameter("code", str, enum=["TE2", "RQD"]),
    OpenApiParameter("status", str, enum=["declared", "transmitted", "paid", "rejected"]),
    OpenApiParameter(
        "professional", str, description="Nom, RPPS (ou son début) ou identifiant utilisateur"
    ),
]
DENIED = {403: OpenApiResponse(description="Réservé à la facturation (ou administration).")}


def _int(value: str | None, default: int, name: str, maximum: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise DomainError("invalid", "Entier positif attendu.", fields={name: ["Entier attendu."]})
    return min(number, maximum)


def _page(request: Request, own: bool) -> Response:
    queryset = billing.filtered(request.user, request.query_params, own=own)
    limit = _int(request.query_params.get("limit"), PAGE_DEFAULT, "limit", PAGE_MAX)
    offset = _int(request.query_params.get("offset"), 0, "offset", 10**9)
    page = list(queryset[offset : offset + limit])
    return Response(
        {
            "acts": [billing.act_row(a) for a in page],
            "count": queryset.count(),
            "limit": limit,
            "offset": offset,
            "totals": billing.totals(queryset),
        }
    )


def _download(data: bytes, content_type: str, extension: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    name = f"actes-teleexpertise-{timezone.localdate():%Y%m%d}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(request: Request, kind: str, own: bool) -> HttpResponse:
    queryset = billing.filtered(request.user, request.query_params, own=own)
    if kind == "csv":
        data, content_type = billing_exports.to_csv(queryset), "text/csv; charset=utf-8"
    else:
        data, content_type = billing_exports.to_xlsx(queryset), XLSX
    billing.record_export(request.user, kind, queryset.count(), own=own)
    return _download(data, content_type, kind)


LIST_DOC = (
    "{acts: [...], count, limit, offset, totals: {count, amount, amount_display, by_code, "
    "by_status}}. Aucun contenu clinique."
)


class ActListView(APIView):
    @extend_schema(
        summary="Actes déclarés (facturation)",
        description=LIST_DOC,
        parameters=[*FILTERS, OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        responses={200: typed(ActPage), **DENIED},
    )
    def get(self, request: Request) -> Response:
        return _page(request, own=False)


class ActCsvView(APIView):
    @extend_schema(
        summary="Export CSV (Excel français : ';', montants « 23,00 € », UTF-8 BOM)",
        parameters=FILTERS,
        responses={(200, "text/csv"): OpenApiTypes.BINARY, **DENIED},
    )
    def get(self, request: Request) -> HttpResponse:
        return _export(request, "csv", own=False)


class ActXlsxView(APIView):
    @extend_schema(
        summary="Export XLSX",
        parameters=FILTERS,
        responses={(200, XLSX): OpenApiTypes.BINARY, **DENIED},
    )
    def get(self, request: Request) -> HttpResponse:
        return _export(request, "xlsx", own=False)


OWN_DENIED = {403: OpenApiResponse(description="Réservé aux professionnels de santé.")}


class MyActListView(APIView):
    @extend_schema(
        operation_id="billing_my_acts",
        summary="Mes actes déclarés (RQD comme demandeur, TE2 comme expert) et leurs statuts",
        description=LIST_DOC,
        parameters=[*FILTERS, OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        responses={200: typed(ActPage), **OWN_DENIED},
    )
    def get(self, request: Request) -> Response:
        return _page(request, own=True)


class MyActExportView(APIView):
    @extend_schema(
        summary="Export de mes actes (csv ou xlsx)",
        parameters=FILTERS,
        responses={(200, XLSX): OpenApiTypes.BINARY, **OWN_DENIED},
    )
    def get(self, request: Request, kind: str) -> HttpResponse:
        return _export(request, kind, own=True)


class ActBulkTransitionView(APIView):
    @extend_schema(
        operation_id="billing_acts_bulk_transition",
        summary="Changer le statut d'une sélection d'actes",
        description="{acts: [id...], status, note} -> {acts: [...changed], refused: [{id, code, "
        "message}]}. Chaque acte suit sa propre règle de transition.",
        request=ActBulkTransitionSerializer,
        responses={200: typed(ActBulkResult), **DENIED},
    )
    def post(self, request: Request) -> Response:
        billing.require_billing_access(request.user)
        serializer = ActBulkTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        done, refused = billing.transition_many(
            request.user, data["acts"], data["status"], data["note"]
        )
        return Response({"acts": [billing.act_row(a) for a in done], "refused": refused})


class ActTransitionView(APIView):
    @extend_schema(
        summary="Changer le statut d'un acte",
        description="declared -> transmitted | rejected ; transmitted -> paid | rejected. "
        "Un rejet exige une note. 409 `invalid_transition` sinon.",
        request=ActTransitionSerializer,
        responses={
            200: typed(ActEnvelope),
            **DENIED,
            404: OpenApiResponse(description="Acte introuvable."),
            409: OpenApiResponse(description="Transition impossible."),
        },
    )
    def post(self, request: Request, act_id: str) -> Response:
        billing.require_billing_access(request.user)
        serializer = ActTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        act = billing.transition_act(
            request.user,
            act_id,
            serializer.validated_data["status"],
            serializer.validated_data["note"],
        )
        return Response({"act": billing.act_row(act)})
