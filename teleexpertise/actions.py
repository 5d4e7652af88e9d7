"""Teleexpertise state changes: one transaction each, with its audit event (ids and codes, never
the question nor the report), a system message in the request's conversation and a
``teleexpertise.updated`` frame to both parties after commit."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend import locks
from backend.accounts.models import Professional, User
from backend.audit import log as audit
from backend.errors import Conflict, DomainError, Kind, NotFound
from backend.patients.access import access_patient, require_clinical_access
from conversations import actions as conversation_actions
from conversations import events, frames
from conversations.frames import TeleexpertiseUpdatedFrame
from teleexpertise import acts as act_rules
from teleexpertise import consent as consent_rules
from teleexpertise import filing, report_pdf, team
from teleexpertise.access import access_request, party_user_ids
from teleexpertise.consent import ConsentInput
from teleexpertise.models import Consent, ExpertProfile, Report, TeleexpertiseRequest
from teleexpertise.representations import is_overdue, request_summary

S = TeleexpertiseRequest.Status
__all__ = ["ConsentInput"]


def updated_frame(request: TeleexpertiseRequest) -> TeleexpertiseUpdatedFrame:
    return frames.teleexpertise_updated(request_summary(request))


def _audit(verb: str, actor: Any, request: TeleexpertiseRequest, **data: Any) -> None:
    audit.record(
        verb,
        actor=actor,
        obj=request,
        patient_id=request.patient_id,
        organization=request.patient.organization,
        data={"reference": request.reference, "status": request.status, **data},
    )


def _notify(request: TeleexpertiseRequest, text: str | None) -> None:
    if text:
        conversation_actions.post_system_message(request.conversation_id, text)
    events.send_event_on_commit(party_user_ids(request), updated_frame(request))


def _require_expert_of(actor: Any, request: TeleexpertiseRequest) -> None:
    if request.expert_id != actor.pk:
        raise DomainError(
            "forbidden",
            "Seul l'expert sollicité peut effectuer cette action.",
            Kind.FORBIDDEN,
        )


def _require_status(request: TeleexpertiseRequest, *allowed: str) -> None:
    if request.status not in allowed:
        raise Conflict(
            "invalid_state",
            f"Action impossible : la demande est « {request.get_status_display().lower()} ».",
        )


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
    _audit(
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
    _notify(
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
    _require_status(request, S.SUBMITTED)
    request.expert, request.status, request.accepted_at = actor, S.ACCEPTED, timezone.now()
    request.save(update_fields=["expert", "status", "accepted_at", "updated_at"])
    _audit("teleexpertise.taken", actor, request, team=str(request.team_mailbox_id))
    _notify(request, f"Demande prise en charge par {actor.display_name}.")
    return request


@transaction.atomic
def accept_request(actor: User, request_id: Any) -> TeleexpertiseRequest:
    request = access_request(actor, request_id, for_update=True)
    _require_expert_of(actor, request)
    _require_status(request, S.SUBMITTED)
    request.status, request.accepted_at = S.ACCEPTED, timezone.now()
    request.save(update_fields=["status", "accepted_at", "updated_at"])
    _audit("teleexpertise.accepted", actor, request)
    _notify(request, f"Demande acceptée par {actor.display_name}.")
    return request


@transaction.atomic
def decline_request(actor: User, request_id: Any, reason: str) -> TeleexpertiseRequest:
    request = access_request(actor, request_id, for_update=True)
    _require_expert_of(actor, request)
    _require_status(request, S.SUBMITTED, S.ACCEPTED)
    request.status, request.declined_at = S.DECLINED, timezone.now()
    request.decline_reason = reason.strip()
    request.save(update_fields=["status", "declined_at", "decline_reason", "updated_at"])
    _audit("teleexpertise.declined", actor, request)
    _notify(request, f"Demande déclinée par {actor.display_name}.")
    return request


@transaction.atomic
def write_report(
    actor: User,
    request_id: Any,
    *,
    context: str,
    answer: str,
    conclusion: str,
    recommendations: str = "",
) -> TeleexpertiseRequest:
    """The expert may rewrite the report until it is filed."""
    request = access_request(actor, request_id, for_update=True)
    _require_expert_of(actor, request)
    _require_status(request, S.ACCEPTED, S.ANSWERED)
    first = request.status == S.ACCEPTED
    now = timezone.now()
    Report.objects.update_or_create(
        request=request,
        defaults={
            "context": context.strip(),
            "answer": answer.strip(),
            "conclusion": conclusion.strip(),
            "recommendations": recommendations.strip(),
            "written_at": now,
        },
    )
    request.status, request.answered_at = S.ANSWERED, now
    request.save(update_fields=["status", "answered_at", "updated_at"])
    _audit("teleexpertise.answered", actor, request, rewritten=not first)
    _notify(
        request,
        f"Compte rendu {'rédigé' if first else 'modifié'} par {actor.display_name}.",
    )
    return request


def file_request(
    actor: User,
    request_id: Any,
    *,
    declare_acts: bool = True,
    visibility: str | None = None,
    now: datetime.datetime | None = None,
) -> TeleexpertiseRequest:
    """Freeze the PDF, queue the MSSanté mails, declare TE2 and RQD each on its own rule, once.

    An act its rule refuses (yearly limit, same MSP, no tariff) is recorded in
    ``act_refusals`` with its reason; the filing and the other act go through. The PDF is
    rendered before the transaction that locks the request (slow work holds no lock); if the
    report changed in between, it is rendered again."""
    now = now or timezone.now()
    for _attempt in range(3):
        request = access_request(actor, request_id)
        _require_expert_of(actor, request)
        report = Report.objects.filter(request=request).first()
        if request.filed_at is not None or report is None:
            break  # refused below, under the lock, with the right error
        pdf = report_pdf.render(request, report, dated=timezone.localtime(now))
        filed = _file(actor, request_id, pdf, report.written_at, declare_acts, visibility, now)
        if filed is not None:
            return filed
    _file(actor, request_id, None, None, declare_acts, visibility, now)  # raises what applies
    raise Conflict(
        "report_changed", "Le compte rendu vient d'être modifié : classez-le de nouveau."
    )


@transaction.atomic
def _file(
    actor: User,
    request_id: Any,
    pdf: bytes | None,
    rendered_for: datetime.datetime | None,
    declare_acts: bool,
    visibility: str | None,
    now: datetime.datetime,
) -> TeleexpertiseRequest | None:
    """The filing itself, under the request's lock; None when the report changed since `pdf`
    was rendered (the caller renders again)."""
    request = access_request(actor, request_id, for_update=True)
    _require_expert_of(actor, request)
    if request.filed_at is not None:
        raise Conflict("already_filed", "Ce compte rendu est déjà classé et envoyé.")
    _require_status(request, S.ANSWERED)
    report = locks.lock(Report.objects.all(), request=request)
    if pdf is None or report.written_at != rendered_for:
        return None
    report.pdf, report.pdf_sha256 = pdf, hashlib.sha256(pdf).hexdigest()
    # Not given: the default for this patient (a minor's differs, see filing.default_visibility).
    report.dmp_visibility = filing.check_visibility(
        visibility or filing.default_visibility(request.patient)
    )
    report.save(update_fields=["pdf", "pdf_sha256", "dmp_visibility"])
    messages = filing.send_report(request, pdf, visibility=report.dmp_visibility)
    acts, refusals = (
        act_rules.declare_for_request(request, timezone.localdate(now))
        if declare_acts
        else ([], [{"code": "*", "reason": "not_declared", "message": "Classée sans déclarer."}])
    )
    request.status, request.filed_at, request.act_refusals = S.FILED, now, refusals
    request.save(update_fields=["status", "filed_at", "act_refusals", "updated_at"])
    _audit(
        "teleexpertise.filed",
        actor,
        request,
        mails=[str(m.pk) for m in messages],
        acts=[a.code for a in acts],
        refused=[r["code"] for r in refusals],
        visibility=report.dmp_visibility,
        pdf_sha256=report.pdf_sha256,
    )
    _notify(request, f"Compte rendu classé et envoyé par MSSanté par {actor.display_name}.")
    return request


@transaction.atomic
def close_request(actor: User, request_id: Any) -> TeleexpertiseRequest:
    request = access_request(actor, request_id, for_update=True)
    _require_status(request, S.FILED, S.DECLINED)
    request.status, request.closed_at, request.closed_reason = S.CLOSED, timezone.now(), "closed"
    request.save(update_fields=["status", "closed_at", "closed_reason", "updated_at"])
    _audit("teleexpertise.closed", actor, request)
    _notify(request, f"Demande clôturée par {actor.display_name}.")
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
    _audit("teleexpertise.consent_withdrawn", actor, request, recorded_by=str(actor.pk))
    _notify(
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
    _audit("teleexpertise.overdue", None, request)
    _notify(request, f"Demande {request.reference} sans réponse dans le délai de 7 jours.")
    return True


def pdf_of(actor: User, request_id: Any) -> tuple[TeleexpertiseRequest, bytes]:
    """The filed PDF, or a preview of the current report before filing; the read is audited."""
    request = access_request(actor, request_id)
    report = Report.objects.filter(request=request).first()
    if report is None:
        raise NotFound("Aucun compte rendu pour cette demande.")
    pdf = (
        bytes(report.pdf)
        if report.pdf
        else report_pdf.render(request, report, dated=timezone.localtime())
    )
    with transaction.atomic():
        _audit("teleexpertise.report_read", actor, request, filed=bool(report.pdf))
    return request, pdf
