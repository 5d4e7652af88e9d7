"""Demo story (``manage.py seed_demo``): the EHPAD sends a prescription to its residents'
pharmacy over MSSanté, and the pharmacist finds it in the pharmacy's team mailbox.

EHPAD Les Tilleuls changes the treatment of a resident after the GP's visit: its infirmary's
team box sends the prescription (PDF + IHE_XDM.ZIP with its CDA R2 N1, the resident's qualified
INS with the INS *test* OID, the prescriber's RPPS and the EHPAD's FINESS, all generated with
valid keys) to the « Pharmacie du Centre » team box, which the pharmacist Thomas Lambert reads.
The mail is written into the pharmacy's Maildir and fetched like any mail. Idempotent.
"""

from __future__ import annotations

from backend import demo
from backend.accounts.models import Mailbox, Organization, Professional
from backend.mssante.documents import patient_identity
from backend.mssante.identities import AuthorIdentity, OrganizationIdentity
from backend.mssante.inbox.demo_boxes import team_box
from backend.mssante.inbox.fetch import open_maildir
from backend.mssante.inbox.models import InboundMessage
from backend.mssante.inbox.samples import health_mail, pdf_bytes
from backend.patients.models import Patient

__all__ = ["EHPAD_MAILBOX", "PHARMACY_MAILBOX", "ehpad_prescription", "seed_pharmacy"]

PHARMACY_MAILBOX = ("pharmacie.centre@" + demo.DOMAIN, "Pharmacie du Centre — officine")
EHPAD_MAILBOX = ("infirmerie.tilleuls@" + demo.DOMAIN, "EHPAD Les Tilleuls — infirmerie")
PRESCRIPTION_TYPE = "57833-6"  # LOINC: prescription for medication


def ehpad_prescription(to: str) -> bytes:
    """The EHPAD's treatment-change prescription for its resident Mme Rousseau, to ``to``."""
    resident = Patient.objects.get(birth_name="ROUSSEAU")
    prescriber = Professional.objects.get(user__username="dr.martin")
    ehpad = Organization.objects.get(finess=demo.ORGANIZATIONS["ehpad"][1])
    author = AuthorIdentity(
        rpps=str(prescriber.rpps),
        family_name=prescriber.family_name,
        given_name=prescriber.given_name,
        profession_code=prescriber.profession_code,
        profession_label=prescriber.profession_label,
        organization=OrganizationIdentity(finess=ehpad.finess, name=ehpad.name, kind="ehpad"),
    )
    born = f"{resident.birth_date:%d/%m/%Y}"
    pdf = pdf_bytes(
        "EHPAD Les Tilleuls — ordonnance (modification de traitement)",
        f"Mme {resident.birth_name} {resident.first_names[0]}, née le {born}",
        "Arrêter : furosémide 40 mg, 1 comprimé le matin.",
        "Remplacer par : furosémide 20 mg, 1 comprimé le matin, pendant 1 mois.",
        "Dr Claire Martin, médecin traitant",
    )
    return health_mail(
        EHPAD_MAILBOX[0],
        to,
        patient_identity(resident),
        label="Ordonnance — modification de traitement",
        type_code=PRESCRIPTION_TYPE,
        text=(
            "Bonjour, après la visite du Dr Martin ce matin, le traitement de Mme Rousseau "
            "change (ordonnance jointe). Pouvez-vous adapter la préparation de son pilulier "
            "à partir de demain ? Merci. L'infirmerie de l'EHPAD Les Tilleuls."
        ),
        pdf=pdf,
        author=author,
    )


def seed_pharmacy() -> Mailbox:
    """The pharmacy's team box, with the EHPAD's prescription waiting in its Maildir (once)."""
    box = team_box("ph.lambert", *PHARMACY_MAILBOX)
    if not InboundMessage.objects.filter(mailbox=box).exists():
        open_maildir(box.address).add(ehpad_prescription(box.address))
    return box
