"""The experts' daily work: the pending badge, taking a team's request, the filing preview."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.typed_schema import typed
from backend.api.users import user_of
from backend.audit import log as audit
from teleexpertise import actions, filing
from teleexpertise.access import access_request, require_clinical_access
from teleexpertise.listing import pending_count
from teleexpertise.payloads import FilingPreview, PendingCount
from teleexpertise.representations import quota_json, request_json
from teleexpertise.views import ERRORS, REQUEST_ENVELOPE


class PendingCountView(APIView):
    @extend_schema(
        operation_id="teleexpertise_pending_count",
        summary="Nombre de demandes reçues à traiter (pastille de navigation)",
        responses={200: typed(PendingCount), 403: ERRORS[403]},
    )
    def get(self, request: Request) -> Response:
        require_clinical_access(request.user)
        return Response({"pending": pending_count(request.user)})


class TakeView(APIView):
    @extend_schema(
        summary="Un expert de l'équipe prend en charge la demande (elle devient acceptée)",
        request=None,
        responses={200: REQUEST_ENVELOPE, **ERRORS},
    )
    def post(self, request: Request, request_id: str) -> Response:
        taken = actions.take_request(user_of(request), request_id)
        return Response({"request": request_json(taken)})


class FilingPreviewView(APIView):
    @extend_schema(
        operation_id="teleexpertise_filing_preview",
        summary="Avant de classer : destinataires, visibilité DMP, actes et compteurs",
        description="{recipients: [{role, label, name, address}], visibilities: [{value, "
        "label}], default_visibility, patient_is_minor, acts: {TE2|RQD: {used, limit, year, "
        "label}}}",
        responses={200: typed(FilingPreview), 404: ERRORS[404]},
    )
    def get(self, request: Request, request_id: str) -> Response:
        found = access_request(request.user, request_id)
        with transaction.atomic():
            audit.record(
                "teleexpertise.filing_previewed",
                actor=request.user,
                obj=found,
                patient_id=found.patient_id,
                organization=found.patient.organization,
            )
        return Response(
            {
                "recipients": filing.planned_recipients(found),
                "visibilities": [
                    {"value": value, "label": label}
                    for value, label in filing.visibilities_for(found.patient).items()
                ],
                "default_visibility": filing.default_visibility(found.patient),
                "patient_is_minor": filing.is_minor(found.patient),
                "acts": quota_json(found),
            }
        )
