"""INS check, and creating / finding patients in the user's organisations."""

from __future__ import annotations

import datetime
import uuid

from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.access import clinical_organization_ids
from backend.accounts.models import Organization
from backend.audit import log as audit
from backend.errors import DomainError, NotFound
from backend.patients import actions, identity_actions
from backend.patients.access import access_patient, patients_for, require_clinical_access
from backend.patients.ins import InsError, parse_ins
from backend.patients.models import Patient
from backend.patients.serializers import (
    IdentityVerificationInputSerializer,
    IdentityVerificationSerializer,
    InsCheckResultSerializer,
    InsCheckSerializer,
    PatientSerializer,
    SamePersonSerializer,
)

MAX_RESULTS = 50


def _birth_date(raw: str) -> datetime.date | None:
    raw = raw.strip()
    if not raw:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise DomainError(
        "invalid_birth_date",
        "La date de naissance s'écrit JJ/MM/AAAA.",
        fields={"birth_date": ["Date de naissance invalide (JJ/MM/AAAA)."]},
    )


def _by_name_and_birth_date(
    patients: QuerySet[Patient], query: str, birth_date: datetime.date | None
) -> QuerySet[Patient]:
    """« DUPONT » or « dupont mar » (birth or used name, then the start of a first name)."""
    if birth_date is not None:
        patients = patients.filter(birth_date=birth_date)
    words = query.split()
    if words:
        name = words[0]
        patients = patients.filter(Q(birth_name__istartswith=name) | Q(used_name__istartswith=name))
    if len(words) > 1:
        first = " ".join(words[1:]).casefold()
        keep = [
            p.pk
            for p in patients[: MAX_RESULTS * 10]
            if any(str(n).casefold().startswith(first) for n in p.first_names or [])
        ]
        patients = patients.filter(pk__in=keep)
    return patients


class InsCheckView(APIView):
    """Validates and decodes an INS; the summary is shown before writing to a patient."""

    @extend_schema(request=InsCheckSerializer, responses=InsCheckResultSerializer)
    def post(self, request: Request) -> Response:
        require_clinical_access(request.user)
        form = InsCheckSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            info = parse_ins(form.validated_data["ins"])
        except InsError as exc:
            raise DomainError(exc.code, exc.message, fields={"ins": [exc.message]}) from exc
        audit.record("patient.ins_checked", actor=request.user, object_type="ins")
        return Response(
            {
                "valid": True,
                "ins": info.ins,
                "sex": info.sex,
                "birth_year": info.birth_year,
                "birth_month": info.birth_month,
                "birth_month_source": info.birth_month_source,
                "birth_department": info.birth_department,
                "born_abroad": info.born_abroad,
                "summary": info.summary,
                "mssante_address": info.mssante_address,
            }
        )


def _organization_for_new_patient(request: Request, requested: uuid.UUID | None) -> Organization:
    allowed = clinical_organization_ids(request.user)
    if requested is not None:
        if requested not in allowed:
            raise DomainError(
                "organization_invalid",
                "Vous ne pouvez pas créer de patient dans cette structure.",
                fields={"organization": ["Structure inconnue ou non autorisée."]},
            )
        return Organization.objects.get(pk=requested)
    if len(allowed) != 1:
        raise DomainError(
            "organization_required",
            "Précisez la structure qui tient le dossier du patient.",
            fields={"organization": ["Ce champ est obligatoire."]},
        )
    return Organization.objects.get(pk=next(iter(allowed)))


class PatientListView(APIView):
    throttle_scopes = {"GET": "search"}

    @extend_schema(
        parameters=[
            OpenApiParameter("ins", str, description="INS exact (15 caractères)"),
            OpenApiParameter(
                "q",
                str,
                description="Début du nom de naissance ou d'usage, puis éventuellement du prénom",
            ),
            OpenApiParameter(
                "birth_date", str, description="Date de naissance (AAAA-MM-JJ ou JJ/MM/AAAA)"
            ),
        ],
        responses=inline_serializer(
            "PatientList",
            {"results": PatientSerializer(many=True), "count": serializers.IntegerField()},
        ),
    )
    def get(self, request: Request) -> Response:
        require_clinical_access(request.user)
        patients = patients_for(request.user).select_related("referring_doctor")
        ins = request.query_params.get("ins", "").strip()
        query = request.query_params.get("q", "").strip()
        birth_date = _birth_date(request.query_params.get("birth_date", ""))
        if ins:
            try:
                ins = parse_ins(ins).ins
            except InsError as exc:
                raise DomainError(exc.code, exc.message, fields={"ins": [exc.message]}) from exc
            patients = patients.filter(ins=ins)
        elif query or birth_date:
            patients = _by_name_and_birth_date(patients, query, birth_date)
        else:
            raise DomainError(
                "search_required",
                "Recherchez un patient par son INS, le début de son nom ou sa date de naissance.",
                fields={"ins": ["Saisissez un INS, un nom ou une date de naissance."]},
            )
        found = list(patients.order_by("birth_name", "birth_date")[:MAX_RESULTS])
        actions.record_patient_reads(request.user, found, context="search")
        return Response({"results": PatientSerializer(found, many=True).data, "count": len(found)})

    @extend_schema(request=PatientSerializer, responses={201: PatientSerializer})
    def post(self, request: Request) -> Response:
        require_clinical_access(request.user)
        form = PatientSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        organization = _organization_for_new_patient(request, data.pop("organization_id", None))
        confirm_new = data.pop("confirm_new", False)
        patient = actions.create_patient(
            request.user, organization, confirm_new=confirm_new, **data
        )
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailView(APIView):
    """One record the user's organisations keep (« Écrire à ce patient » starts from it)."""

    @extend_schema(operation_id="patient_detail", responses=PatientSerializer)
    def get(self, request: Request, patient_id: uuid.UUID) -> Response:
        require_clinical_access(request.user)
        patient = access_patient(request.user, patient_id)
        actions.record_patient_reads(request.user, [patient], context="detail")
        return Response(PatientSerializer(patient).data)


class IdentityVerificationView(APIView):
    """The recorded verifications of a patient's identity, and recording a new one."""

    @extend_schema(responses=IdentityVerificationSerializer(many=True))
    def get(self, request: Request, patient_id: uuid.UUID) -> Response:
        require_clinical_access(request.user)
        patient = access_patient(request.user, patient_id)
        actions.record_patient_reads(request.user, [patient], context="identity_verifications")
        verifications = patient.identity_verifications.select_related("verified_by")
        return Response({"results": IdentityVerificationSerializer(verifications, many=True).data})

    @extend_schema(
        request=IdentityVerificationInputSerializer,
        responses={
            201: inline_serializer(
                "IdentityVerificationResult",
                {"verification": IdentityVerificationSerializer(), "patient": PatientSerializer()},
            )
        },
    )
    def post(self, request: Request, patient_id: uuid.UUID) -> Response:
        require_clinical_access(request.user)
        patient = access_patient(request.user, patient_id)
        form = IdentityVerificationInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        verification = identity_actions.verify_identity(
            request.user, patient.pk, form.validated_data["document_type"]
        )
        patient.refresh_from_db()
        return Response(
            {
                "verification": IdentityVerificationSerializer(verification).data,
                "patient": PatientSerializer(patient).data,
            },
            status=status.HTTP_201_CREATED,
        )


class SamePersonView(APIView):
    """Links two records the user may see as the same person (a duplicate found afterwards)."""

    @extend_schema(request=SamePersonSerializer, responses=PatientSerializer)
    def post(self, request: Request, patient_id: uuid.UUID) -> Response:
        require_clinical_access(request.user)
        patient = access_patient(request.user, patient_id)
        form = SamePersonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            other = access_patient(request.user, form.validated_data["other"])
        except NotFound as exc:
            raise DomainError(
                "other_not_found",
                "Le dossier à rattacher est introuvable.",
                fields={"other": ["Dossier introuvable."]},
            ) from exc
        root = identity_actions.link_same_person(request.user, patient, other)
        return Response(PatientSerializer(root).data)
