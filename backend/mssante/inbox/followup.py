"""What happens after a mail is stored: reports applied, acknowledgement, absence reply, notice.

Run once per mail (the ``processed`` flag is set under a row lock in the same transaction as the
work it guards), by the ``process_inbound`` task.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.accounts.access import clinical_member_user_ids
from backend.accounts.models import Mailbox
from backend.audit import log as audit
from backend.mssante.actions import record_read_receipt
from backend.mssante.allowlist import PATIENT_DOMAIN
from backend.mssante.delivery import refresh_status
from backend.mssante.inbox.models import AutoReply, InboundMessage, MailSettings
from backend.mssante.inbox.parse import ParsedMail, Report, parse_mail
from backend.mssante.inbox.replies import compose_absence, compose_mdn, queue_raw
from backend.mssante.models import OutboundRecipient
from backend.mssante.trust import check_address_now

__all__ = ["apply_report", "process"]

R = OutboundRecipient.Status
_XDM_KO = {
    "xdm_hash_mismatch": ("HASH", "empreinte du document incohérente"),
    "xdm_size_mismatch": ("TAILLE", "taille du document incohérente"),
    "xdm_missing_document": ("DOC", "document manquant dans le paquet XDM"),
    "xdm_no_metadata": ("METADATA", "métadonnées XDM absentes"),
    "xdm_not_zip": ("ZIP", "archive IHE_XDM.ZIP illisible"),
    "xdm_corrupt": ("ZIP", "archive IHE_XDM.ZIP endommagée"),
    "xml_malformed": ("XML", "document XML mal formé"),
    "xdm_empty": ("METADATA", "aucun document décrit"),
}


def apply_report(report: Report) -> None:
    """A DSN or MDN about one of our sent mails updates that recipient's status."""
    if not report.original_message_id or not report.recipient:
        return
    action = report.action
    if action.startswith(("displayed", "processed")) and "error" not in action:
        record_read_receipt(report.original_message_id, report.recipient)
        return
    with transaction.atomic():
        recipient = (
            OutboundRecipient.objects.select_for_update()
            .select_related("message")
            .filter(
                message__message_id=report.original_message_id,
                address__iexact=report.recipient,
            )
            .first()
        )
        if recipient is None:
            return
        if action == "delivered" and recipient.status == R.SENT:
            recipient.status = R.DELIVERED
            recipient.save(update_fields=["status"])
            verb = "mssante.delivered"
        elif action == "failed" or "error" in action:
            recipient.status = R.FAILED
            recipient.reason = (report.reason or "Non remis (avis de non-remise).")[:500]
            recipient.save(update_fields=["status", "reason"])
            verb = "mssante.failed"
        else:
            return
        refresh_status(recipient.message)
        audit.record(
            verb,
            obj=recipient.message,
            patient_id=recipient.message.patient_id,
            data={"recipient": str(recipient.pk), "source": "report"},
        )


def _reports(message: InboundMessage) -> list[Report]:
    return parse_mail(bytes(message.raw)).reports


def _acknowledge(message: InboundMessage, parsed: ParsedMail) -> None:
    disposition_to, headers = parsed.disposition_to, parsed.headers
    if not disposition_to or not check_address_now(disposition_to).accepted:
        return
    error = None
    if parsed.xdm_error:
        error = _XDM_KO.get(parsed.xdm_error, ("INTEGRATION", "document non intégrable"))
    data, message_id, subject = compose_mdn(
        mailbox_address=message.mailbox.address,
        to=disposition_to,
        original_subject=message.subject,
        original_message_id=message.message_id,
        original_headers=headers,
        error=error,
    )
    queue_raw(message.mailbox, disposition_to, data, message_id, subject, "mdn")


def _absence(message: InboundMessage) -> None:
    mailbox: Mailbox = message.mailbox
    if mailbox.kind != Mailbox.Kind.PERSONAL or mailbox.professional is None:
        return
    sender = message.from_address
    if sender.endswith("@" + PATIENT_DOMAIN) or sender.startswith(
        ("mailer-daemon@", "postmaster@")
    ):
        return
    settings_ = MailSettings.objects.filter(user_id=mailbox.professional.user_id).first()
    now = timezone.now()
    if (
        settings_ is None
        or not settings_.absence_text.strip()
        or settings_.absence_start is None
        or not settings_.absence_start <= now <= (settings_.absence_end or now)
        or not check_address_now(sender).accepted
    ):
        return
    try:
        with transaction.atomic():
            AutoReply.objects.create(
                user_id=settings_.user_id, sender=sender, period_start=settings_.absence_start
            )
    except IntegrityError:
        return  # already answered in this period
    data, message_id = compose_absence(
        mailbox_address=mailbox.address,
        to=sender,
        subject=message.subject,
        text=settings_.absence_text,
        in_reply_to=message.message_id,
    )
    queue_raw(mailbox, sender, data, message_id, "Réponse d'absence", "absence")


def _notify(message: InboundMessage) -> None:
    from conversations import frames
    from conversations.events import send_event_on_commit

    mailbox = message.mailbox
    users = []
    if mailbox.kind == Mailbox.Kind.ORGANIZATIONAL:
        # Members with a clinical role in the box's organisation only (the team-mailbox rule).
        users = list(clinical_member_user_ids([mailbox.pk]))
    elif mailbox.professional is not None:
        users = [mailbox.professional.user_id]
    # Ids only: no subject, sender or patient in a notification.
    frame = frames.mssante_inbox(mailbox.pk, message.pk)
    send_event_on_commit([u for u in users if u], frame)


def process(message_id: uuid.UUID | str) -> bool:
    """Returns False when the mail was already processed."""
    with transaction.atomic():
        message = (
            InboundMessage.objects.select_for_update(of=("self",))
            .select_related("mailbox")
            .filter(pk=message_id, processed=False)
            .first()
        )
        if message is None:
            return False
        message.processed = True
        message.save(update_fields=["processed"])
        if message.kind in (InboundMessage.Kind.DSN, InboundMessage.Kind.MDN):
            for report in _reports(message):
                apply_report(report)
            return True
        if message.status == InboundMessage.Status.QUARANTINED:
            return True
        parsed = parse_mail(bytes(message.raw))
        if message.kind == InboundMessage.Kind.MAIL:
            _acknowledge(message, parsed)
            if not parsed.auto_submitted and not parsed.list_mail:
                _absence(message)
        _notify(message)
    return True
