"""Teleexpertise state changes: one transaction each, with its audit event (ids and codes, never
the question nor the report), a system message in the request's conversation and a
``teleexpertise.updated`` frame to both parties after commit (teleexpertise/workflow.py).
The report's writing, filing and reading are in report_actions.py, re-exported here."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Professional, User
from backend.errors import Conflict, DomainError, Kind
from backend.patients.access import access_patient, require_clinical_access
from conversations import actions as conversation_actions
from teleexpertise import acts as act_rules
from teleexpertise import consent as consent_rules
from teleexpertise import team
from teleexpertise.access import access_request
from teleexpertise.consent import ConsentInput
from teleexpertise.models import Consent, ExpertProfile, TeleexpertiseRequest
from teleexpertise.report_actions import file_request, pdf_of, write_report
from teleexpertise.representations import is_overdue
from teleexpertise.workflow import audit_request, notify, require_expert_of, require_status

S = TeleexpertiseRequest.Status
__all__ = ["ConsentInput", "file_request", "pdf_of", "write_report"]


def _new_reference(now: datetime.datetime) -> str:
    return f"TE-{now:%Y}-{uuid.uuid4().hex[:8].upper()}"


def _expert_user(expert_id: Any) -> tuple[User, Professional]:
    try:
        key = uuid.UUID(str(expert_id))
    except ValueError:
        key = None
    user = (
        User.objects.filter(pk=key, is_active=True).select_related("professional").first()
        if key
        else None
    )
    professional = getattr(user, "professional", None) if user else None
    if user is None or not act_rules.is_expert(professional):
        message = "Ce professionnel n'est pas un expert (médecin ou sage-femme déclaré expert)."
        raise DomainError("expert_invalid", message, fields={"expert": [message]})
    assert professional is not None
    return user, professional


def _addressee(requester: User, expert_id: Any, team_id: Any) -> tuple[list[User], Any, str]:
    """(conversation members, the request's expert or team, specialty) for one addressee."""
    if team_id:
        mailbox = team.team_mailbox(team_id)
        members = [u for u in team.clinical_members(mailbox) if u.pk != requester.pk]
        return members, mailbox, mailbox.display_name or mailbox.address
    expert, expert_pro = _expert_user(expert_id)
    if expert.pk == requester.pk:
        message = "Vous ne pouvez pas vous adresser une demande à vous-même."
        raise DomainError("expert_invalid", message, fields={"expert": [message]})
    profile = ExpertProfile.objects.filter(professional=expert_pro).first()
    if profile is not None and not profile.accepting:
        raise Conflict("expert_not_accepting", "Cet expert n'accepte pas de demande actuellement.")
    return [expert], expert, (profile.specialty if profile else expert_pro.specialty)


@transaction.atomic
def create_request(
    requester: User,
    *,
    expert_id: Any = None,
    patient_id: Any,
    question: str,
    urgency: str,
    consent: ConsentInput | None,
    attachment_ids: Sequence[uuid.UUID] = (),
    team_id: Any = None,
) -> TeleexpertiseRequest:
    """To one expert (``expert_id``) or to a specialty team's ORG mailbox (``team_id``)."""
    require_clinical_access(requester)
    consent = consent_rules.require(consent)
    members, addressee, specialty = _addressee(requester, expert_id, team_id)
    patient = access_patient(requester, patient_id)
    consent_rules.check(consent, patient)
    conversation, _ = conversation_actions.create_conversation(
        requester, users=members, title=f"Téléexpertise — {specialty or 'avis'}", patient=patient
    )
    now = timezone.now()
    is_team = not isinstance(addressee, User)
    request = TeleexpertiseRequest.objects.create(
        reference=_new_reference(now),
        requester=requester,
        expert=None if is_team else addressee,
        team_mailbox=addressee if is_team else None,
        patient=patient,
        conversation=conversation,
        specialty=specialty,
        question=question.strip(),
        urgency=urgency,
    )
    Consent.objects.create(
        request=request,
        method=consent.method,
        collected_at=consent.collected_at,
        collected_by=requester,
        patient_informed=consent.patient_informed,
        document_id=consent.document,
        consenter=consent.consenter,
        representative_name=consent.representative_name.strip(),
        representative_quality=consent.representative_quality,
    )
    files = [*([consent.document] if consent.document else []), *attachment_ids]
    # The question opens the exchange, with the consent scan and the prerequisites attached.
    conversation_actions.send_message(
        requester,
        conversation.pk,
        client_id=f"te-{request.pk}",
        body=request.question,
        attachment_ids=list(dict.fromkeys(files)),
    )
    audit_request(
        "teleexpertise.requested",
        requester,
        request,
        expert=None if is_team else str(addressee.pk),
        team=str(addressee.pk) if is_team else None,
        consent_method=consent.method,
        consenter=consent.consenter,
        attachments=len(files),
    )
    name = specialty if is_team else addressee.display_name
    notify(
        request,
        f"Demande de téléexpertise {request.reference} adressée à {name} "
        "(consentement du patient recueilli).",
    )
    return request


@transaction.atomic
def take_request(actor: User, request_id: Any) -> TeleexpertiseRequest:
    """One expert of the team takes the request: it becomes theirs, accepted."""
    request = access_request(actor, request_id, for_update=True)
    if request.expert_id is not None:
        raise Conflict("already_taken", "Cette demande est déjà prise en charge.")
    if not team.is_team_expert(actor, request.team_mailbox):
        raise DomainError(
            "forbidden",
            "Seul un expert de l'équipe peut prendre en charge cette demande.",
            Kind.FORBIDDEN,
        )
    require_status(request, S.SUBMITTED)
    request.expert, request.status, request.accepted_at = actor, S.ACCEPTED, timezone.now()
    request.save(update_fields=["expert", "status", "accepted_at", "updated_at"])
    audit_request("teleexpertise.taken", actor, request, team=str(request.team_mailbox_id))
    notify(request, f"Demande prise en charge par {actor.display_name}.")
    return request


@transaction.atomic
def accept_request(actor: User, request_id: Any) -> TeleexpertiseRequest:
    request = access_request(actor, request_id, for_update=True)
    require_expert_of(actor, request)
    require_status(request, S.SUBMITTED)
    request.status, request.accepted_at = S.ACCEPTED, timezone.now()
    request.save(update_fields=["status", "accepted_at", "updated_at"])
    audit_request("teleexpertise.accepted", actor, request)
    notify(request, f"Demande acceptée par {actor.display_name}.")
    return request


@transaction.atomic
def decline_request(actor: User, request_id: Any, reason: str) -> TeleexpertiseRequest:
    request = access_request(actor, request_id, for_update=True)
    require_expert_of(actor, request)
    require_status(request, S.SUBMITTED, S.ACCEPTED)
    request.status, request.declined_at = S.DECLINED, timezone.now()
    request.decline_reason = reason.strip()
    request.save(update_fields=["status", "declined_at", "decline_reason", "updated_at"])
    audit_request("teleexpertise.declined", actor, request)
    notify(request, f"Demande déclinée par {actor.display_name}.")
    return request


@transaction.atomic
def close_request(actor: User, request_id: Any) -> TeleexpertiseRequest:
    request = access_request(actor, request_id, for_update=True)
    require_status(request, S.FILED, S.DECLINED)
    request.status, request.closed_at, request.closed_reason = S.CLOSED, timezone.now(), "closed"
    request.save(update_fields=["status", "closed_at", "closed_reason", "updated_at"])
    audit_request("teleexpertise.closed", actor, request)
    notify(request, f"Demande clôturée par {actor.display_name}.")
    return request


@transaction.atomic
def withdraw_consent(actor: User, request_id: Any) -> TeleexpertiseRequest:
    """The patient withdrew: record who and when, close the request; no act is declared after."""
    request = access_request(actor, request_id, for_update=True)
    if request.status == S.CLOSED:
        raise Conflict("invalid_state", "La demande est déjà clôturée.")
    consent = Consent.objects.select_for_update().get(request=request)
    now = timezone.now()
    consent.withdrawn_at, consent.withdrawn_by = now, actor
    consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
    request.status, request.closed_at = S.CLOSED, now
    request.closed_reason = "consent_withdrawn"
    request.save(update_fields=["status", "closed_at", "closed_reason", "updated_at"])
    audit_request("teleexpertise.consent_withdrawn", actor, request, recorded_by=str(actor.pk))
    notify(
        request,
        f"Retrait du consentement du patient enregistré par {actor.display_name} : "
        "demande clôturée.",
    )
    return request


@transaction.atomic
def flag_overdue(request_id: Any, now: datetime.datetime | None = None) -> bool:
    """Tell both sides once that the answer is late; True when this call flagged it."""
    request = (
        TeleexpertiseRequest.objects.select_for_update()
        .filter(pk=request_id, overdue_flagged_at__isnull=True)
        .first()
    )
    if request is None or not is_overdue(request, now):
        return False
    request.overdue_flagged_at = now or timezone.now()
    request.save(update_fields=["overdue_flagged_at"])
    audit_request("teleexpertise.overdue", None, request)
    notify(request, f"Demande {request.reference} sans réponse dans le délai de 7 jours.")
    return True
