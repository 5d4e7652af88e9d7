"""Demo inbox (``manage.py seed_demo``): an SSIAD team mailbox and realistic generated mail.

Each demo mailbox gets an embedded (Maildir) connection; the mails are written into the
Maildirs under var/ and fetched like any mail, so the demo goes through the real path. Mails:
a discharge letter with its XDM/CDA for a demo patient (to the GP), a lab result PDF (to the
GP), an SSIAD intervention request from the DAC (to the SSIAD team box), and the EHPAD's
prescription to the pharmacy's team box (``demo_pharmacy.py``). Idempotent.
"""

from __future__ import annotations

from django.utils import timezone

from backend import demo
from backend.accounts.models import Mailbox
from backend.mssante.documents import patient_identity
from backend.mssante.inbox.demo_boxes import team_box
from backend.mssante.inbox.demo_pharmacy import seed_pharmacy
from backend.mssante.inbox.fetch import fetch_connection, open_maildir
from backend.mssante.inbox.models import InboundMessage, MailboxConnection
from backend.mssante.inbox.samples import health_mail, pdf_bytes, plain_mail
from backend.mssante.mime import MimeAttachment
from backend.mssante.models import TrustedDomain
from backend.patients.models import Patient

__all__ = ["SSIAD_MAILBOX", "seed_inbox", "team_box"]

SSIAD_MAILBOX = ("ssiad.sarthe-nord@" + demo.DOMAIN, "SSIAD Sarthe Nord — équipe")
HOSPITAL = "secretariat.medecine@ch-exemple.demo.mssante.fr"
LAB = "resultats@labo-exemple.demo.mssante.fr"
DAC = "marc.leroy@demo.mssante.fr"  # the DAC coordinator's PER box


def _ssiad_box() -> Mailbox:
    box = team_box("ide.durand", *SSIAD_MAILBOX)
    now = timezone.now()
    for domain in ("demo.mssante.fr", "ch-exemple.demo.mssante.fr", "labo-exemple.demo.mssante.fr"):
        TrustedDomain.objects.get_or_create(domain=domain, defaults={"imported_at": now})
    return box


def seed_inbox() -> int:
    """Write the demo mails (once) and fetch every demo mailbox; returns the mails stored."""
    team = _ssiad_box()
    seed_pharmacy()  # the EHPAD → pharmacy prescription story
    gp = Mailbox.objects.get(kind=Mailbox.Kind.PERSONAL, professional__user__username="dr.martin")
    for box in Mailbox.objects.filter(active=True):
        MailboxConnection.objects.get_or_create(mailbox=box)
    if not InboundMessage.objects.filter(mailbox=gp).exists():
        patient = Patient.objects.get(birth_name="LEFEBVRE")
        folder = open_maildir(gp.address)
        folder.add(
            health_mail(
                HOSPITAL,
                gp.address,
                patient_identity(patient),
                label="Lettre de liaison de sortie",
                type_code="11490-0",
                text="Bonjour Docteur, veuillez trouver la lettre de liaison de votre patiente.",
            )
        )
        lab_pdf = pdf_bytes("Laboratoire Exemple", "NFS, CRP : résultats dans les normes")
        folder.add(
            plain_mail(
                LAB,
                gp.address,
                "Résultats d'analyses",
                "Résultats disponibles en pièce jointe.",
                attachments=[MimeAttachment("resultats.pdf", "application/pdf", lab_pdf)],
            )
        )
    if not InboundMessage.objects.filter(mailbox=team).exists():
        open_maildir(team.address).add(
            plain_mail(
                DAC,
                team.address,
                "Demande d'intervention SSIAD",
                "Bonjour, pouvez-vous organiser des passages quotidiens (toilette, surveillance) "
                "à partir de lundi ? Le médecin traitant est informé.",
                read_receipt=True,
            )
        )
    stored = 0
    for connection in MailboxConnection.objects.filter(source=MailboxConnection.Source.MAILDIR):
        stored += fetch_connection(connection.pk).stored
    return stored
