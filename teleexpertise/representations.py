"""The JSON the API and the ``teleexpertise.updated`` frame carry."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from backend.accounts.models import Professional
from backend.accounts.people import Person, people_by_id
from backend.patients.models import Patient
from conversations.models import Attachment
from conversations.payloads import AttachmentPayload
from conversations.representations import attachment_json
from teleexpertise import acts as act_rules
from teleexpertise import filing
from teleexpertise.models import Act, ExpertProfile, TeleexpertiseRequest
from teleexpertise.payloads import TeleexpertiseRequestSummary

Json = dict[str, Any]
OPEN_STATUSES = (TeleexpertiseRequest.Status.SUBMITTED, TeleexpertiseRequest.Status.ACCEPTED)


def _iso(value: datetime.datetime | datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def answer_days() -> int:
    return int(settings.TELEEXPERTISE_ANSWER_DAYS)


def due_at(request: TeleexpertiseRequest) -> datetime.datetime:
    return request.created_at + datetime.timedelta(days=answer_days())


def is_overdue(request: TeleexpertiseRequest, now: datetime.datetime | None = None) -> bool:
    return request.status in OPEN_STATUSES and (now or timezone.now()) > due_at(request)


def patient_json(patient: Patient) -> Json:
    """Identity traits only (what the report and the bills show)."""
    return {
        "id": str(patient.pk),
        "display_name": patient.display_name,
        "birth_name": patient.birth_name,
        "first_names": list(patient.first_names),
        "used_name": patient.used_name,
        "birth_date": _iso(patient.birth_date),
        "sex": patient.sex,
        "identity_status": patient.identity_status,
        "ins": patient.ins if patient.is_qualified else None,
    }


def _professional_extra(professional: Professional | None) -> Json:
    if professional is None:
        return {"rpps": None, "specialty": ""}
    return {"rpps": professional.rpps, "specialty": professional.specialty}


def quota_json(request: TeleexpertiseRequest, year: int | None = None) -> Json:
    year = year or timezone.localdate().year
    result: Json = {}
    expert = getattr(request.expert, "professional", None)
    requester = getattr(request.requester, "professional", None)
    if expert is not None:
        result["TE2"] = act_rules.usage(expert.pk, request.patient, "TE2", year)
    if act_rules.may_bill_rqd(requester):
        assert requester is not None
        result["RQD"] = act_rules.usage(requester.pk, request.patient, "RQD", year)
    for code, figures in result.items():
        figures["label"] = (
            f"{code} : {figures['used']}/{figures['limit']} pour ce patient en {figures['year']}"
        )
    return result


def team_json(request: TeleexpertiseRequest) -> Json | None:
    mailbox = request.team_mailbox
    if mailbox is None:
        return None
    return {
        "id": str(mailbox.pk),
        "address": mailbox.address,
        "display_name": mailbox.display_name or mailbox.address,
    }


def question_attachments(request: TeleexpertiseRequest) -> list[AttachmentPayload]:
    """The files sent with the question (consent scan, ECG...), as the request page lists them."""
    files = Attachment.objects.filter(
        message__conversation_id=request.conversation_id,
        message__client_id=f"te-{request.pk}",
        message__deleted_at__isnull=True,
    ).order_by("created_at")
    return [attachment_json(a) for a in files]


def _person(user_id: Any) -> Person | None:
    return people_by_id([user_id]).get(str(user_id)) if user_id is not None else None


def act_json(act: Act) -> Json:
    return {
        "id": str(act.pk),
        "code": act.code,
        "act_date": _iso(act.act_date),
        "amount": str(act.amount),
        "status": act.status,
        "slot": act.slot,
        "year": act.year,
    }


def request_summary(request: TeleexpertiseRequest) -> TeleexpertiseRequestSummary:
    """Without the question, decline reason and report: what the WebSocket frames carry."""
    return request_json(request, clinical=False)  # type: ignore[return-value]


def request_json(request: TeleexpertiseRequest, *, clinical: bool = True) -> Json:
    """``clinical=False`` drops the question, decline reason and report (WebSocket frames)."""
    people = people_by_id([i for i in (request.requester_id, request.expert_id) if i])
    requester = {
        **people[str(request.requester_id)],
        **_professional_extra(getattr(request.requester, "professional", None)),
    }
    # A team request has no expert until one of the team takes it.
    expert = (
        {
            **people[str(request.expert_id)],
            **_professional_extra(getattr(request.expert, "professional", None)),
        }
        if request.expert_id is not None
        else None
    )
    consent = getattr(request, "consent", None)
    data: Json = {
        "id": str(request.pk),
        "reference": request.reference,
        "status": request.status,
        "urgency": request.urgency,
        "specialty": request.specialty,
        "requester": requester,
        "expert": expert,
        "team": team_json(request),
        "patient": patient_json(request.patient),
        "conversation": str(request.conversation_id),
        "created_at": _iso(request.created_at),
        "updated_at": _iso(request.updated_at),
        "accepted_at": _iso(request.accepted_at),
        "declined_at": _iso(request.declined_at),
        "answered_at": _iso(request.answered_at),
        "filed_at": _iso(request.filed_at),
        "closed_at": _iso(request.closed_at),
        "closed_reason": request.closed_reason or None,
        "due_at": _iso(due_at(request)),
        "overdue": is_overdue(request),
        "consent": None,
        "acts": [act_json(a) for a in request.acts.order_by("code")],
        "act_refusals": list(request.act_refusals or []),
        "report_pdf": (
            f"/api/teleexpertise/requests/{request.pk}/report.pdf"
            if hasattr(request, "report")
            else None
        ),
    }
    if consent is not None:
        data["consent"] = {
            "method": consent.method,
            "collected_at": _iso(consent.collected_at),
            "collected_by": _person(consent.collected_by_id),
            "patient_informed": consent.patient_informed,
            "consenter": consent.consenter,
            "representative_name": consent.representative_name or None,
            "representative_quality": consent.representative_quality or None,
            "document": str(consent.document_id) if consent.document_id else None,
            "withdrawn_at": _iso(consent.withdrawn_at),
            # Who recorded the withdrawal, named (not an id the reader cannot resolve).
            "withdrawn_by": _person(consent.withdrawn_by_id),
        }
    if clinical:
        data["question"] = request.question
        data["attachments"] = question_attachments(request)
        data["decline_reason"] = request.decline_reason or None
        data["quota"] = quota_json(request)
        data["deliveries"] = filing.deliveries(request) if request.filed_at else []
        report = getattr(request, "report", None)
        data["report"] = (
            {
                "context": report.context,
                "question": request.question,
                "answer": report.answer,
                "conclusion": report.conclusion,
                "recommendations": report.recommendations,
                "written_at": _iso(report.written_at),
            }
            if report is not None
            else None
        )
    return data


def expert_json(professional: Professional, profile: ExpertProfile | None) -> Json:
    person: Json = dict(people_by_id([professional.user_id]).get(str(professional.user_id)) or {})
    return {
        **person,
        "rpps": professional.rpps,
        "specialty": profile.specialty if profile else professional.specialty,
        "description": profile.description if profile else "",
        "prerequisites": profile.prerequisites if profile else "",
        "accepting": profile.accepting if profile else True,
        "published": profile is not None,
    }
