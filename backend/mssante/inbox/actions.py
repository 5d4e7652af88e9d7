"""Inbox state changes: store a fetched mail once, and the team-mailbox workflow.

``store_fetched`` is the one door for a mail coming from a mailbox store (IMAP or Maildir): it
parses the mail, stores it with its place on the server in one transaction (the fetch cursor
advances in the same transaction, so a killed fetch resumes exactly where the database says),
and schedules the follow-up (reports, acknowledgement, absence reply, notification) after
commit. A mail already stored (same place, or same Message-ID) is skipped.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from backend.accounts.models import Mailbox
from backend.audit import log as audit
from backend.errors import DomainError, Kind
from backend.mssante.addresses import check_address
from backend.mssante.inbox.models import (
    InboundEvent,
    InboundMessage,
    InboundRead,
    MailboxConnection,
    MailSettings,
)
from backend.mssante.inbox.parse import ParsedMail, parse_mail
from backend.mssante.inbox.process_tasks import process_inbound, process_inbound_many
from backend.mssante.trust import current_allowlist
from backend.patients.models import Patient

__all__ = ["mark_read", "schedule_processing", "set_team_state", "store_fetched"]

logger = logging.getLogger(__name__)
T = InboundMessage.TeamState


def _organization_ids(mailbox: Mailbox) -> list[uuid.UUID]:
    if mailbox.organization_id is not None:
        return [mailbox.organization_id]
    if mailbox.professional is not None:
        return list(mailbox.professional.memberships.values_list("organization_id", flat=True))
    return []


def _match_patient(mailbox: Mailbox, parsed: ParsedMail) -> tuple[Patient | None, str]:
    M = InboundMessage.PatientMatch
    if parsed.xdm is None or parsed.xdm.ins_status == "absent":
        return None, M.NONE
    if parsed.xdm.ins_status != "valid":
        return None, M.INVALID
    patient = Patient.objects.filter(
        organization_id__in=_organization_ids(mailbox), ins=parsed.xdm.ins
    ).first()
    # Never a silent creation: an unknown patient is an offer the reader accepts or not.
    return (patient, M.MATCHED) if patient else (None, M.OFFER)


def _quarantine_reason(parsed: ParsedMail, allowlist: frozenset[str] | None) -> str:
    if parsed.quarantine:
        return parsed.quarantine
    if parsed.kind == "mail" and parsed.from_address:
        verdict = check_address(parsed.from_address, allowlist or current_allowlist())
        if not verdict.accepted:
            return f"Expéditeur hors de l'espace de confiance MSSanté : {verdict.reason}"
    return ""


def _duplicate(
    mailbox: Mailbox, uidvalidity: int | None, uid: int | None, source_key: str, message_id: str
) -> bool:
    rule = Q(pk__in=[])
    if uid is not None:
        rule |= Q(uidvalidity=uidvalidity, uid=uid)
    if source_key:
        rule |= Q(source_key=source_key)
    if message_id:
        rule |= Q(message_id=message_id)
    return InboundMessage.objects.filter(rule, mailbox=mailbox).exists()


def _advance(
    connection: MailboxConnection | None, uidvalidity: int | None, uid: int | None
) -> None:
    if connection is None or uid is None:
        return
    MailboxConnection.objects.filter(pk=connection.pk, last_uid__lt=uid).update(
        last_uid=uid, uidvalidity=uidvalidity
    )


def store_fetched(
    mailbox: Mailbox,
    raw: bytes,
    *,
    connection: MailboxConnection | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
    source_key: str = "",
    size: int | None = None,
    allowlist: frozenset[str] | None = None,
    processing: list[uuid.UUID] | None = None,
) -> InboundMessage | None:
    """Store one fetched mail; None when it was already stored (then only the cursor moves).

    ``size``: the mail's size on the server when only its headers were fetched (too large);
    ``allowlist``: the trust space's domains, when the caller read them once for many mails;
    ``processing``: collects the stored mail's id for ``schedule_processing`` (a fetch pass
    schedules one task per group of mails) instead of one task per mail.
    """
    parsed = parse_mail(raw, size=size)
    with transaction.atomic():
        if _duplicate(mailbox, uidvalidity, uid, source_key, parsed.message_id):
            _advance(connection, uidvalidity, uid)
            return None
        reason = _quarantine_reason(parsed, allowlist)
        patient, match = _match_patient(mailbox, parsed)
        message = InboundMessage(
            mailbox=mailbox,
            uidvalidity=uidvalidity,
            uid=uid,
            source_key=source_key[:255],
            message_id=parsed.message_id,
            raw=raw,
            size=size or len(raw),
            sent_at=parsed.sent_at,
            from_address=parsed.from_address,
            from_name=parsed.from_name,
            to=parsed.to,
            cc=parsed.cc,
            subject=parsed.subject,
            text=parsed.text,
            in_reply_to=parsed.in_reply_to,
            references=parsed.references,
            parts=parsed.parts,
            xdm=parsed.xdm.summary() if parsed.xdm else {},
            warnings=parsed.warnings,
            kind=parsed.kind,
            status=InboundMessage.Status.QUARANTINED if reason else InboundMessage.Status.OK,
            quarantine_reason=reason[:500],
            patient=patient,
            patient_match=match,
            # Reports and automatic replies need no one's work.
            team_state=T.TODO if parsed.kind == "mail" else T.DONE,
        )
        try:
            with transaction.atomic():
                message.save(force_insert=True)
        except IntegrityError:
            # A concurrent fetch of the same mailbox stored it first.
            _advance(connection, uidvalidity, uid)
            return None
        InboundEvent.objects.create(message=message, verb=InboundEvent.Verb.RECEIVED)
        audit.record(
            "mssante.inbox.received",
            obj=message,
            patient_id=patient.pk if patient else None,
            organization=mailbox.organization,
            data={"mailbox": str(mailbox.pk), "kind": message.kind, "status": message.status},
        )
        _advance(connection, uidvalidity, uid)
        message_pk = message.pk
        if processing is not None:
            transaction.on_commit(lambda: processing.append(message_pk))
        else:
            transaction.on_commit(lambda: schedule_processing([message_pk]))
    return message


def schedule_processing(message_ids: list[uuid.UUID]) -> None:
    """The follow-up work (acknowledgement, absence reply, notification) of stored mails."""
    if not message_ids:
        return
    try:
        if len(message_ids) == 1:
            process_inbound.delay(str(message_ids[0]))
        else:
            process_inbound_many.delay([str(m) for m in message_ids])
    except Exception:
        # The rows stay unprocessed; tasks.process_pending picks them up.
        logger.exception(
            "mssante inbox: could not schedule processing of %d mails", len(message_ids)
        )


@transaction.atomic
def mark_read(user: Any, message: InboundMessage) -> None:
    _, created = InboundRead.objects.get_or_create(message=message, user=user)
    if created:
        audit.record(
            "mssante.inbox.read",
            actor=user,
            obj=message,
            patient_id=message.patient_id,
            data={"mailbox": str(message.mailbox_id)},
        )


_TRANSITIONS = {
    "take": ({T.TODO, T.TAKEN}, T.TAKEN, InboundEvent.Verb.TAKEN),
    "release": ({T.TAKEN}, T.TODO, InboundEvent.Verb.RELEASED),
    "done": ({T.TODO, T.TAKEN}, T.DONE, InboundEvent.Verb.DONE),
    "reopen": ({T.DONE}, T.TODO, InboundEvent.Verb.RELEASED),
}


@transaction.atomic
def set_team_state(user: Any, message_id: uuid.UUID, action: str) -> InboundMessage:
    """À traiter -> pris en charge par X -> traité, with the history of who did what."""
    if action not in _TRANSITIONS:
        raise DomainError(
            "invalid_action", "Action inconnue.", fields={"action": ["Action inconnue."]}
        )
    message = InboundMessage.objects.select_for_update().get(pk=message_id)
    allowed, target, verb = _TRANSITIONS[action]
    if message.team_state not in allowed:
        raise DomainError(
            "invalid_state",
            f"Ce courrier est « {message.get_team_state_display()} » : action impossible.",
            Kind.CONFLICT,
        )
    if action == "take" and message.team_state == T.TAKEN and message.taken_by_id == user.pk:
        return message
    message.team_state = target
    message.taken_by = user if target == T.TAKEN else None
    if target == T.DONE and message.taken_by_id is None:
        message.taken_by = user
    message.save(update_fields=["team_state", "taken_by"])
    InboundEvent.objects.create(message=message, actor=user, verb=verb)
    audit.record(
        f"mssante.inbox.{action}",
        actor=user,
        obj=message,
        patient_id=message.patient_id,
        data={"mailbox": str(message.mailbox_id), "state": target},
    )
    return message


def record_event(message: InboundMessage, user: Any, verb: str, detail: str = "") -> None:
    InboundEvent.objects.create(message=message, actor=user, verb=verb, detail=detail[:200])
    if verb == InboundEvent.Verb.REPLIED and message.team_state == T.TODO:
        message.team_state, message.taken_by = T.TAKEN, user
        message.save(update_fields=["team_state", "taken_by"])


def record_part_download(user: Any, message: InboundMessage, index: int) -> None:
    audit.record(
        "mssante.inbox.part_downloaded",
        actor=user,
        obj=message,
        patient_id=message.patient_id,
        data={"part": index},
    )


def audit_filed(user: Any, message: InboundMessage, patient_id: Any) -> None:
    audit.record(
        "mssante.inbox.filed",
        actor=user,
        obj=message,
        patient_id=patient_id,
        data={"mailbox": str(message.mailbox_id)},
    )


@transaction.atomic
def save_settings(user: Any, values: dict[str, Any]) -> None:
    MailSettings.objects.update_or_create(user=user, defaults=values)
    audit.record("mssante.settings.updated", actor=user, object_type="mail_settings")
