"""Teleexpertise HTTP API: validation, access, then one action."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.access import professional_of
from backend.accounts.models import Professional
from backend.api.typed_schema import typed
from backend.api.users import user_of
from backend.audit import log as audit
from backend.patients.access import access_patient
from teleexpertise import actions, profiles, team
from teleexpertise import acts as act_rules
from teleexpertise.access import access_request, require_clinical_access
from teleexpertise.listing import filtered_requests, record_list_read
from teleexpertise.models import ExpertProfile, TeleexpertiseRequest
from teleexpertise.payloads import ExpertList, MyExpertProfile, RequestEnvelope, RequestList
from teleexpertise.representations import expert_json, request_json
from teleexpertise.serializers import (
    DeclineSerializer,
    ExpertProfileSerializer,
    FileSerializer,
    ReportSerializer,
    RequestCreateSerializer,
    RequestFilterSerializer,
)

MAX_REQUESTS = 200
REQUEST_ENVELOPE = OpenApiResponse(
    response=typed(RequestEnvelope),
    description="{request: Request} — id, reference, status (submitted|accepted|declined|"
    "answered|filed|closed), urgency, requester, expert, patient, conversation, consent, "
    "question, decline_reason, report, report_pdf, acts, quota, overdue, due_at, dates.",
)
ERRORS = {
    400: OpenApiResponse(description="Données invalides (consentement manquant...)."),
    403: OpenApiResponse(description="Rôle non clinique, ou pas l'expert sollicité."),
    404: OpenApiResponse(description="Demande introuvable ou non accessible."),
    409: OpenApiResponse(description="État incompatible, quota d'actes atteint, déjà classé."),
}


def _envelope(request: TeleexpertiseRequest, code: int = status.HTTP_200_OK) -> Response:
    return Response({"request": request_json(request)}, status=code)


class RequestListView(APIView):
    @extend_schema(
        operation_id="teleexpertise_requests_list",
        summary="Mes demandes de téléexpertise (envoyées et reçues)",
        parameters=[
            OpenApiParameter("status", str, description="Filtrer par statut"),
            OpenApiParameter("role", str, enum=["sent", "received"]),
            OpenApiParameter("urgency", str, enum=["normal", "urgent"]),
            OpenApiParameter("due", str, enum=["overdue", "soon"]),
        ],
        responses={200: typed(RequestList), 403: ERRORS[403]},
    )
    def get(self, request: Request) -> Response:
        require_clinical_access(request.user)
        filters = RequestFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = list(filtered_requests(request.user, filters.validated_data)[:MAX_REQUESTS])
        record_list_read(request.user, rows)
        return Response({"requests": [request_json(r) for r in rows]})

    @extend_schema(
        summary="Créer une demande (consentement obligatoire)",
        request=RequestCreateSerializer,
        responses={201: REQUEST_ENVELOPE, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        require_clinical_access(request.user)
        serializer = RequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        consent = data["consent"]
        created = actions.create_request(
            user_of(request),
            expert_id=data.get("expert"),
            team_id=data.get("team"),
            patient_id=data["patient"],
            question=data["question"],
            urgency=data["urgency"],
            consent=actions.ConsentInput(
                method=consent["method"],
                collected_at=consent["collected_at"],
                document=consent.get("document"),
                patient_informed=consent["patient_informed"],
                patient=consent.get("patient"),
                consenter=consent["consenter"],
                representative_name=consent["representative_name"],
                representative_quality=consent["representative_quality"],
            ),
            attachment_ids=data["attachments"],
        )
        return _envelope(created, status.HTTP_201_CREATED)


class RequestDetailView(APIView):
    @extend_schema(
        operation_id="teleexpertise_request_detail",
        summary="Une demande",
        responses={200: REQUEST_ENVELOPE, 404: ERRORS[404]},
    )
    def get(self, request: Request, request_id: str) -> Response:
        found = access_request(request.user, request_id)
        with transaction.atomic():
            audit.record(
                "teleexpertise.read",
                actor=request.user,
                obj=found,
                patient_id=found.patient_id,
            )
        return _envelope(found)


class AcceptView(APIView):
    @extend_schema(
        summary="L'expert accepte", request=None, responses={200: REQUEST_ENVELOPE, **ERRORS}
    )
    def post(self, request: Request, request_id: str) -> Response:
        return _envelope(actions.accept_request(user_of(request), request_id))


class DeclineView(APIView):
    @extend_schema(
        summary="L'expert décline (motif)",
        request=DeclineSerializer,
        responses={200: REQUEST_ENVELOPE, **ERRORS},
    )
    def post(self, request: Request, request_id: str) -> Response:
        access_request(request.user, request_id)  # 404 before 400 for non-parties
        serializer = DeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        return _envelope(actions.decline_request(user_of(request), request_id, reason))


class ReportView(APIView):
    @extend_schema(
        summary="L'expert rédige (ou corrige) le compte rendu",
        request=ReportSerializer,
        responses={200: REQUEST_ENVELOPE, **ERRORS},
    )
    def post(self, request: Request, request_id: str) -> Response:
        access_request(request.user, request_id)
        serializer = ReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        done = actions.write_report(user_of(request), request_id, **serializer.validated_data)
        return _envelope(done)


class FileView(APIView):
    @extend_schema(
        summary="Classer : PDF, envois MSSanté, déclaration TE2/RQD",
        description="Chaque acte (TE2 de l'expert, RQD du demandeur) est déclaré ou refusé selon "
        "sa propre règle ; les refus figurent dans `act_refusals`. `declare_acts: false` classe "
        "sans déclarer ; `visibility` choisit la visibilité du document dans le DMP.",
        request=FileSerializer,
        responses={200: REQUEST_ENVELOPE, **ERRORS},
    )
    def post(self, request: Request, request_id: str) -> Response:
        access_request(request.user, request_id)
        serializer = FileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        filed = actions.file_request(
            user_of(request),
            request_id,
            declare_acts=serializer.validated_data["declare_acts"],
            visibility=serializer.validated_data["visibility"],
        )
        return _envelope(filed)


class CloseView(APIView):
    @extend_schema(summary="Clôturer", request=None, responses={200: REQUEST_ENVELOPE, **ERRORS})
    def post(self, request: Request, request_id: str) -> Response:
        return _envelope(actions.close_request(user_of(request), request_id))


class ConsentWithdrawView(APIView):
    @extend_schema(
        summary="Enregistrer le retrait du consentement (clôt la demande)",
        request=None,
        responses={200: REQUEST_ENVELOPE, **ERRORS},
    )
    def post(self, request: Request, request_id: str) -> Response:
        return _envelope(actions.withdraw_consent(user_of(request), request_id))


class ReportPdfView(APIView):
    @extend_schema(
        summary="Le compte rendu en PDF (aperçu avant classement)",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    def get(self, request: Request, request_id: str) -> HttpResponse:
        found, pdf = actions.pdf_of(user_of(request), request_id)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{found.reference}.pdf"'
        response["Cache-Control"] = "no-store"
        return response


class ExpertListView(APIView):
    @extend_schema(
        summary="Annuaire des experts",
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("specialty", str),
            OpenApiParameter(
                "patient", str, description="Ajoute `quota` {TE2: {used, limit, year}}"
            ),
        ],
        responses={200: typed(ExpertList), 403: ERRORS[403], 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        require_clinical_access(request.user)
        params = request.query_params
        patient = access_patient(request.user, params["patient"]) if params.get("patient") else None
        experts = Professional.objects.filter(
            is_expert=True,
            profession_code__in=act_rules.EXPERT_PROFESSIONS,
            user__is_active=True,
        ).select_related("user")
        if q := params.get("q", "").strip():
            experts = experts.filter(
                Q(family_name__icontains=q)
                | Q(given_name__icontains=q)
                | Q(specialty__icontains=q)
                | Q(expert_profile__specialty__icontains=q)
            )
        if specialty := params.get("specialty", "").strip():
            experts = experts.filter(
                Q(expert_profile__specialty__iexact=specialty)
                | Q(expert_profile__isnull=True, specialty__iexact=specialty)
            )
        profiles = {p.professional_id: p for p in ExpertProfile.objects.all()}
        year = timezone.localdate().year
        rows = []
        for professional in experts.distinct()[:200]:
            row = expert_json(professional, profiles.get(professional.pk))
            if patient is not None:
                row["quota"] = {"TE2": act_rules.usage(professional.pk, patient, "TE2", year)}
            rows.append(row)
        # Specialty teams (ORG mailboxes): one of their experts will take the request.
        body: dict[str, Any] = {"experts": rows, "teams": team.teams_json(q)}
        me = professional_of(request.user)
        if patient is not None and act_rules.may_bill_rqd(me):
            assert me is not None
            body["quota"] = {"RQD": act_rules.usage(me.pk, patient, "RQD", year)}
        return Response(body)


class MyExpertProfileView(APIView):
    @extend_schema(summary="Mon profil d'expert", responses={200: typed(MyExpertProfile)})
    def get(self, request: Request) -> Response:
        require_clinical_access(request.user)
        me = professional_of(request.user)
        if not act_rules.is_expert(me):
            return Response({"expert": None})
        assert me is not None
        profile = ExpertProfile.objects.filter(professional=me).first()
        return Response({"expert": expert_json(me, profile)})

    @extend_schema(
        summary="Publier mon profil d'expert",
        request=ExpertProfileSerializer,
        responses={200: typed(MyExpertProfile), 403: ERRORS[403]},
    )
    def put(self, request: Request) -> Response:
        require_clinical_access(request.user)
        serializer = ExpertProfileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = profiles.publish_profile(user_of(request), **serializer.validated_data)
        return Response({"expert": expert_json(profile.professional, profile)})
