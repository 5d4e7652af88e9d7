"""Generated demo data: fictitious people and structures with valid identifier keys.

Used by `manage.py seed_demo` and by the tests' personas, so the two never drift apart.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from backend.accounts.identifiers import make_finess, make_rpps
from backend.accounts.models import Mailbox, Membership, Organization, Professional, User
from backend.audit import log as audit
from backend.patients.ins import OID_TEST, make_ins
from backend.patients.models import IdentityVerification, Patient

DEMO_PASSWORD = "demo1234"  # noqa: S105 - documented demo password, refused in production
DOMAIN = "demo.mssante.fr"

ORGANIZATIONS = {
    "ch-mans": ("CH du Mans", "720000025", Organization.Kind.HOSPITAL, "Le Mans", "72000"),
    "ehpad": (
        "EHPAD Les Tilleuls",
        make_finess("72000101"),
        Organization.Kind.EHPAD,
        "Allonnes",
        "72700",
    ),
    "ssiad": (
        "SSIAD Sarthe Nord",
        make_finess("72000202"),
        Organization.Kind.SSIAD,
        "Mamers",
        "72600",
    ),
    "dac": ("DAC 72", make_finess("72000303"), Organization.Kind.DAC, "Le Mans", "72100"),
    "cabinet": (
        "Cabinet médical de la Gare",
        make_finess("72000404"),
        Organization.Kind.PRACTICE,
        "Le Mans",
        "72000",
    ),
    # The EHPAD's residents' pharmacy: the EHPAD sends it prescriptions over MSSanté.
    "pharmacie": (
        "Pharmacie du Centre",
        make_finess("72000505"),
        Organization.Kind.PHARMACY,
        "Allonnes",
        "72700",
    ),
}


@dataclass(frozen=True)
class DemoPerson:
    username: str
    title: str
    given_name: str
    family_name: str
    organization: str
    roles: tuple[str, ...]
    profession_code: str = ""
    profession_label: str = ""
    specialty: str = ""
    rpps_body: str | None = None
    am_number: str = ""
    is_expert: bool = False
    mailbox: bool = True
    extra_orgs: tuple[tuple[str, str], ...] = field(default_factory=tuple)


R = Membership.Role
PEOPLE = (
    DemoPerson(
        "dr.martin",
        "Dr",
        "Claire",
        "Martin",
        "cabinet",
        (R.CLINICIAN,),
        "10",
        "Médecin",
        "Médecine générale",
        "1000100001",
        "721000011",
    ),
    DemoPerson(
        "dr.bernard",
        "Dr",
        "Paul",
        "Bernard",
        "ch-mans",
        (R.CLINICIAN,),
        "10",
        "Médecin",
        "Cardiologie",
        "1000100002",
        "721000029",
        is_expert=True,
    ),
    DemoPerson(
        "dr.petit",
        "Dr",
        "Sophie",
        "Petit",
        "ch-mans",
        (R.CLINICIAN,),
        "10",
        "Médecin",
        "Dermatologie",
        "1000100003",
        "721000037",
        is_expert=True,
    ),
    DemoPerson(
        "ide.durand",
        "",
        "Julie",
        "Durand",
        "ssiad",
        (R.CLINICIAN,),
        "60",
        "Infirmier",
        "",
        "1000100004",
        "721000045",
    ),
    DemoPerson(
        "ph.lambert",
        "",
        "Thomas",
        "Lambert",
        "pharmacie",
        (R.CLINICIAN,),
        "21",
        "Pharmacien",
        "",
        "1000100005",
    ),
    DemoPerson("coord.leroy", "", "Marc", "Leroy", "dac", (R.COORDINATOR,)),
    DemoPerson("sec.cardio", "", "Nadia", "Roux", "ch-mans", (R.SECRETARY,), mailbox=False),
    DemoPerson("fact.moreau", "", "Luc", "Moreau", "ch-mans", (R.BILLING,), mailbox=False),
    # Billing clerk who also belongs to the cardiology team mailbox (to follow acts addressed to
    # it): membership of a team never carries clinical access to a non-clinician.
    DemoPerson("fact.girard", "", "Inès", "Girard", "ch-mans", (R.BILLING,), mailbox=False),
    DemoPerson("admin", "", "Anne", "Admin", "ch-mans", (R.ADMIN,), mailbox=False),
)


@dataclass(frozen=True)
class DemoPatient:
    organization: str
    birth_name: str
    first_names: tuple[str, ...]
    birth_date: datetime.date
    sex: str
    department: str
    commune: str
    order: int
    referring_doctor: str | None = "dr.martin"


PATIENTS = (
    # 285037728417346: the ANS example INS (a woman born March 1985, dept. 77).
    DemoPatient(
        "cabinet",
        "LEFEBVRE",
        ("Marie", "Louise"),
        datetime.date(1985, 3, 14),
        "F",
        "77",
        "284",
        173,
    ),
    DemoPatient("cabinet", "GARNIER", ("Henri",), datetime.date(1942, 11, 2), "M", "72", "181", 52),
    DemoPatient("cabinet", "FAURE", ("Léa",), datetime.date(2012, 6, 21), "F", "2A", "004", 7),
    DemoPatient(
        "ch-mans",
        "MOREL",
        ("Jacques", "André"),
        datetime.date(1950, 1, 9),
        "M",
        "72",
        "181",
        311,
        None,
    ),
    DemoPatient("ssiad", "BLANC", ("Yvette",), datetime.date(1936, 8, 30), "F", "72", "180", 44),
    # A resident of the EHPAD (her GP is Dr Martin): the EHPAD → pharmacy prescription story.
    DemoPatient(
        "ehpad", "ROUSSEAU", ("Germaine", "Alice"), datetime.date(1931, 5, 4), "F", "72", "181", 88
    ),
)

ORG_MAILBOX = ("secretariat.cardiologie@" + DOMAIN, "Secrétariat de cardiologie — CH du Mans")
APP_MAILBOX = ("dpi.ch-mans@" + DOMAIN, "Dossier patient informatisé — CH du Mans")


def _organizations() -> dict[str, Organization]:
    result = {}
    for key, (name, finess, kind, city, postcode) in ORGANIZATIONS.items():
        org, _ = Organization.objects.update_or_create(
            finess=finess,
            defaults={"name": name, "kind": kind, "city": city, "postcode": postcode},
        )
        result[key] = org
    return result


def _person(spec: DemoPerson, orgs: dict[str, Organization]) -> Professional:
    user, created = User.objects.get_or_create(
        username=spec.username,
        defaults={"first_name": spec.given_name, "last_name": spec.family_name},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        if spec.username == "admin":
            user.is_staff = user.is_superuser = True
        user.save()
    professional, _ = Professional.objects.update_or_create(
        user=user,
        defaults={
            "title": spec.title,
            "given_name": spec.given_name,
            "family_name": spec.family_name,
            "rpps": make_rpps(spec.rpps_body) if spec.rpps_body else None,
            "profession_code": spec.profession_code,
            "profession_label": spec.profession_label,
            "specialty": spec.specialty,
            "am_number": spec.am_number,
            "is_expert": spec.is_expert,
        },
    )
    for role in spec.roles:
        Membership.objects.get_or_create(
            professional=professional, organization=orgs[spec.organization], role=role
        )
    if spec.mailbox:
        Mailbox.objects.get_or_create(
            address=f"{spec.given_name}.{spec.family_name}@{DOMAIN}".lower(),
            defaults={
                "kind": Mailbox.Kind.PERSONAL,
                "professional": professional,
                "display_name": professional.display_name,
            },
        )
    return professional


def _patient(
    spec: DemoPatient, orgs: dict[str, Organization], pros: dict[str, Professional]
) -> None:
    ins = make_ins(
        spec.sex,
        spec.birth_date.year,
        spec.birth_date.month,
        spec.department,
        spec.commune,
        spec.order,
    )
    patient, _ = Patient.objects.update_or_create(
        organization=orgs[spec.organization],
        ins=ins,
        defaults={
            # Référentiel INS: demo data carries the INS *test* OID, never the production one.
            "ins_oid": OID_TEST,
            "birth_name": spec.birth_name,
            "first_names": list(spec.first_names),
            "birth_date": spec.birth_date,
            "sex": spec.sex,
            "birth_place": f"{spec.department}{spec.commune}"[:5],
            "identity_status": Patient.IdentityStatus.QUALIFIED,
            "referring_doctor": pros.get(spec.referring_doctor or ""),
        },
    )
    # « Qualifiée » only through a recorded verification, demo patients included.
    verifier = pros.get(spec.referring_doctor or "")
    if verifier is not None and not patient.identity_verifications.exists():
        IdentityVerification.objects.create(
            patient=patient,
            verified_by=verifier.user,
            verified_at=timezone.now(),
            document_type=IdentityVerification.DocumentType.ID_CARD,
            insi_ins=ins,
            insi_oid=OID_TEST,
            insi_answered_at=timezone.now(),
            outcome=IdentityVerification.Outcome.QUALIFIED,
        )


@transaction.atomic
def seed() -> dict[str, int]:
    orgs = _organizations()
    pros = {spec.username: _person(spec, orgs) for spec in PEOPLE}
    secretariat, _ = Mailbox.objects.get_or_create(
        address=ORG_MAILBOX[0],
        defaults={
            "kind": Mailbox.Kind.ORGANIZATIONAL,
            "organization": orgs["ch-mans"],
            "display_name": ORG_MAILBOX[1],
            "responsible": pros["dr.bernard"],
        },
    )
    secretariat.members.add(pros["sec.cardio"], pros["dr.bernard"], pros["fact.girard"])
    service_user, _ = User.objects.get_or_create(
        username="svc.dpi-ch-mans", defaults={"is_service": True}
    )
    if service_user.has_usable_password():
        service_user.set_unusable_password()
        service_user.save(update_fields=["password"])
    Mailbox.objects.get_or_create(
        address=APP_MAILBOX[0],
        defaults={
            "kind": Mailbox.Kind.APPLICATION,
            "organization": orgs["ch-mans"],
            "display_name": APP_MAILBOX[1],
            "service_user": service_user,
        },
    )
    for spec in PATIENTS:
        _patient(spec, orgs, pros)
    audit.record("demo.seeded", object_type="demo")
    return {
        "organizations": Organization.objects.count(),
        "professionals": Professional.objects.count(),
        "patients": Patient.objects.count(),
    }
