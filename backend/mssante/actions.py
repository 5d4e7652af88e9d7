"""MSSanté state changes: queue a mail, record a read receipt, import the allow-list.

``queue_message`` is the one door for every feature that sends MSSanté mail (the "write to the
patient" screen, the teleexpertise report, the conversation synthesis): it checks the trust-space
rules, composes the MIME message, stores the outbox row and one row per recipient with the audit
event in one transaction, and schedules the sending task after commit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Mailbox
from backend.audit import log as audit
from backend.errors import DomainError, Kind, invalid_field
from backend.mssante.access import sendable_mailboxes
from backend.mssante.addresses import AddressVerdict
from backend.mssante.documents import HealthDocument, compose_health_document
from backend.mssante.mime import MimeAttachment, compose
from backend.mssante.models import OutboundMessage, OutboundRecipient, TrustedDomain
from backend.mssante.tasks import send_outbound
from backend.mssante.trust import check_recipients_now, require_sending_configured
from backend.patients.access import patients_for
from backend.patients.models import Patient

__all__ = [
    "HealthDocument",
    "MimeAttachment",
    "import_allowlist",
    "queue_message",
    "record_message_reads",
    "record_read_receipt",
    "schedule_send",
]

logger = logging.getLogger(__name__)


def _refuse(code: str, message: str, field: str = "to", kind: Kind = Kind.INVALID) -> DomainError:
    return invalid_field(code, message, field, kind)


def _recipient_fields(verdicts: Sequence[AddressVerdict]) -> dict[str, list[str]]:
    reasons = [f"{v.address} : {v.reason}" for v in verdicts if not v.accepted and v.reason]
    return {"to": reasons} if reasons else {}


def _patient_for_addresses(
    actor: Any, patient_addresses: list[str], patient: Patient | None
) -> Patient | None:
    """The QUAL patient record behind the patient address, or ``DomainError``.

    Rule (référentiel INS: "built only from a qualified INS"): a valid INS key is not enough; the
    INS must belong to a patient record with a qualified identity — the given ``patient``, or
    one kept by a clinical organisation of the sender.
    """
    if not patient_addresses:
        return patient
    address = patient_addresses[0]
    ins = address.split("@", 1)[0]
    if patient is None:
        patient = (
            patients_for(actor)
            .filter(ins=ins, identity_status=Patient.IdentityStatus.QUALIFIED)
            .order_by("created_at")
            .first()
        )
        if patient is None:
            raise _refuse(
                "patient_not_qualified",
                "Aucun dossier patient à l'identité qualifiée (INS qualifié) ne porte cet INS dans "
                "vos structures : l'adresse MSSanté du patient ne peut être utilisée qu'à partir "
                "d'une identité qualifiée.",
            )
    if not patient.is_qualified:
        raise _refuse(
            "patient_not_qualified",
            "L'identité de ce patient n'est pas qualifiée : son adresse MSSanté ne peut pas être "
            "utilisée.",
        )
    if patient.mssante_address != address:
        raise _refuse(
            "patient_mismatch",
            "L'adresse MSSanté du destinataire ne correspond pas à l'INS du patient concerné.",
        )
    return patient


@transaction.atomic
def queue_message(
    *,
    actor: Any,
    sender_mailbox: Mailbox,
    recipients: Sequence[str],
    subject: str,
    text: str,
    attachments: Sequence[MimeAttachment] = (),
    health_document: HealthDocument | None = None,
    close_exchange: bool = False,
    read_receipt: bool = False,
    delivery_receipt: bool = False,
    related_object: tuple[str, str | uuid.UUID] | None = None,
    patient: Patient | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] | None = None,
) -> OutboundMessage:
    """Store a send request and schedule its sending; raises ``DomainError`` when refused.

    The caller has authorised access to ``patient`` / ``health_document.patient``; the actor
    must be allowed to send from ``sender_mailbox`` (own PER, ORG member, APP service user).
    With a health document the subject becomes ``XDM/1.0/DDM+<subject or title> NOM prénom
    JJ/MM/AAAA`` and the PDF + ``IHE_XDM.ZIP`` are attached after ``attachments``.
    """
    require_sending_configured(health_document=health_document is not None)
    if not sendable_mailboxes(actor).filter(pk=sender_mailbox.pk).exists():
        raise _refuse(
            "not_found",
            "Vous ne pouvez pas envoyer depuis cette BAL MSSanté.",
            "from",
            Kind.NOT_FOUND,
        )
    if health_document is not None:
        if patient is not None and patient.pk != health_document.patient.pk:
            raise _refuse(
                "several_patients",
                "Un envoi de document de santé ne concerne qu'un seul patient.",
                "patient",
            )
        patient = health_document.patient

    # One patient per mail, document or not: a mail to two patients would disclose each one's
    # INS to the other.
    verdict = check_recipients_now(list(recipients), health_document=True)
    if not verdict.accepted:
        refused = [v for v in verdict.verdicts if not v.accepted]
        code: str | None = verdict.code
        if code == "recipient_refused" and refused:
            code = refused[0].code  # the precise reason: outside_trust_space, malformed...
        raise DomainError(
            code or "recipient_refused",
            verdict.reason or "Destinataire refusé.",
            fields=_recipient_fields(verdict.verdicts) or {"to": [verdict.reason or ""]},
        )
    addresses = list(verdict.addresses)
    patient_addresses = [v.address for v in verdict.verdicts if v.kind == "patient"]
    patient = _patient_for_addresses(actor, patient_addresses, patient)
    if close_exchange and not patient_addresses:
        raise _refuse(
            "close_exchange_without_patient",
            "Seul un échange avec un patient peut être clos (X-MSS-MES: FIN).",
            "close_exchange",
        )

    parts = list(attachments)
    cda_code = None
    if health_document is not None:
        author = getattr(actor, "professional", None)
        document = compose_health_document(health_document, author=author, subject_label=subject)
        parts += document.attachments
        subject, cda_code = document.subject, document.cda_code
    if not subject.strip():
        raise _refuse("subject_required", "Indiquez un objet.", "subject")
    try:
        mail = compose(
            sender=sender_mailbox.address,
            recipients=addresses,
            subject=" ".join(subject.split()),
            text=text,
            attachments=parts,
            software_ref=str(settings.MSSANTE_SOFTWARE_REF or ""),
            # X-MSS-INS: O when the XDM carries a qualified INS, N for another identity,
            # absent when the mail carries no CDA.
            ins_present=(None if health_document is None else health_document.patient.is_qualified),
            cda_code=cda_code,
            close_exchange=close_exchange,
            read_receipt_to=sender_mailbox.address if read_receipt else None,
            in_reply_to=in_reply_to,
            references=references,
        )
    except ValueError as exc:
        raise _refuse("message_invalid", f"Message invalide : {exc}.", "body") from exc
    data = mail.as_bytes(policy=mail.policy.clone(linesep="\r\n"))
    limit = settings.MSSANTE_MAX_MESSAGE_BYTES
    if len(data) > limit:
        raise _refuse(
            "too_large",
            f"Le message dépasse la taille maximale MSSanté ({limit // (1024 * 1024)} Mo).",
            "attachments",
            Kind.TOO_LARGE,
        )

    message = OutboundMessage.objects.create(
        sender_mailbox=sender_mailbox,
        sender_address=sender_mailbox.address,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        subject=str(mail["Subject"]),
        message_id=str(mail["Message-ID"]),
        mime=data,
        patient_id=patient.pk if patient is not None else None,
        health_document=health_document is not None,
        close_exchange=close_exchange,
        read_receipt=read_receipt,
        delivery_receipt=delivery_receipt,
        related_type=related_object[0] if related_object else "",
        related_id=str(related_object[1]) if related_object else "",
    )
    kinds = {v.address: v.kind for v in verdict.verdicts}
    OutboundRecipient.objects.bulk_create(
        OutboundRecipient(
            message=message, position=n, address=address, kind=kinds[address] or "professional"
        )
        for n, address in enumerate(addresses, start=1)
    )
    audit.record(
        "mssante.queued",
        actor=actor,
        obj=message,
        patient_id=message.patient_id,
        organization=sender_mailbox.organization,
        data={
            "mailbox": str(sender_mailbox.pk),
            "recipients": len(addresses),
            "patient_recipients": len(patient_addresses),
            "health_document": message.health_document,
            "close_exchange": close_exchange,
            "related_type": message.related_type,
            "related_id": message.related_id,
        },
    )
    transaction.on_commit(lambda: schedule_send(message.pk))
    return message


def schedule_send(message_id: uuid.UUID | str) -> None:
    """Hand the message to the sending task. A broker failure loses nothing: the row stays
    queued and ``manage.py mssante_send_pending`` (run periodically) sends it."""
    try:
        send_outbound.delay(str(message_id))
    except Exception:
        logger.exception("mssante: could not schedule sending of %s", message_id)


def _normalise_message_id(value: str) -> str:
    value = value.strip()
    return value if value.startswith("<") else f"<{value}>"


@transaction.atomic
def record_read_receipt(
    message_id: str, recipient_address: str, *, at: datetime | None = None
) -> OutboundRecipient | None:
    """Record an MDN (RFC 8098) from ``recipient_address`` for the mail ``message_id``.

    Returns the recipient, or None when no sent mail matches (unknown id or address). A second
    receipt keeps the first reading time.
    """
    recipient = (
        OutboundRecipient.objects.select_for_update()
        .select_related("message")
        .filter(
            message__message_id=_normalise_message_id(message_id),
            address__iexact=recipient_address.strip(),
            status__in=[
                OutboundRecipient.Status.SENT,
                OutboundRecipient.Status.DELIVERED,
                OutboundRecipient.Status.READ,
            ],
        )
        .first()
    )
    if recipient is None:
        return None
    if recipient.status != OutboundRecipient.Status.READ:
        recipient.status = OutboundRecipient.Status.READ
        recipient.read_at = at or timezone.now()
        recipient.save(update_fields=["status", "read_at"])
        audit.record(
            "mssante.read",
            obj=recipient.message,
            patient_id=recipient.message.patient_id,
            data={"recipient": str(recipient.pk)},
        )
    return recipient


@transaction.atomic
def import_allowlist(domains: frozenset[str], *, actor: Any = None, source: str = "") -> int:
    """Replace the operator allow-list in force with ``domains`` (see ``allowlist.parse``)."""
    if not domains:
        raise ValueError("liste blanche vide")
    now = timezone.now()
    TrustedDomain.objects.all().delete()
    TrustedDomain.objects.bulk_create(
        TrustedDomain(domain=domain, imported_at=now) for domain in sorted(domains)
    )
    audit.record(
        "mssante.allowlist_imported",
        actor=actor,
        object_type="mssante.allowlist",
        data={"domains": len(domains), "source": source[:200]},
    )
    return len(domains)


@transaction.atomic
def record_message_reads(actor: Any, messages: Sequence[OutboundMessage]) -> None:
    """Reading an outbound mail about a patient is a read of patient data: audit it."""
    for message in messages:
        if message.patient_id is not None:
            audit.record(
                "mssante.message_read",
                actor=actor,
                obj=message,
                patient_id=message.patient_id,
            )
