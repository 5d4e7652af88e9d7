"""Who is who: organisations (FINESS), professionals (RPPS/ADELI), memberships, mailboxes."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from backend.accounts.identifiers import validate_adeli, validate_finess, validate_rpps


class User(AbstractUser):
    """A login. Humans have a Professional profile; software (APP mailboxes) are service users."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    is_service = models.BooleanField(
        default=False, help_text="Compte technique d'une BAL applicative (pas de connexion web)."
    )
    # Every session signed in before this instant is over (password change, deactivation,
    # removal from an organisation, end of the Pro Santé Connect session): see sessions.py.
    sessions_revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "accounts_user"

    @property
    def display_name(self) -> str:
        profile = getattr(self, "professional", None)
        if profile is not None:
            return profile.display_name
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.username


class Organization(models.Model):
    class Kind(models.TextChoices):
        HOSPITAL = "hospital", "Établissement de santé"
        EHPAD = "ehpad", "EHPAD"
        SSIAD = "ssiad", "SSIAD"
        DAC = "dac", "Dispositif d'appui à la coordination"
        PRACTICE = "practice", "Cabinet libéral"
        MSP = "msp", "Maison de santé pluriprofessionnelle"
        PHARMACY = "pharmacy", "Pharmacie"
        LAB = "lab", "Laboratoire"
        OTHER = "other", "Autre structure"

    class FinessLevel(models.TextChoices):
        LEGAL_ENTITY = "EJ", "Entité juridique"
        SITE = "ET", "Établissement"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    finess = models.CharField(max_length=9, unique=True, validators=[validate_finess])
    finess_level = models.CharField(
        max_length=2, choices=FinessLevel.choices, default=FinessLevel.SITE
    )
    legal_entity = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="sites"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    city = models.CharField(max_length=120, blank=True)
    postcode = models.CharField(max_length=5, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.finess})"


class Professional(models.Model):
    """The professional identity of a human user. Secretaries and billing staff have one too,
    without RPPS: it carries their name and their memberships."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="professional")
    title = models.CharField(max_length=20, blank=True, help_text="Civilité d'exercice, ex. Dr")
    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100)
    rpps = models.CharField(
        max_length=11, null=True, blank=True, unique=True, validators=[validate_rpps]
    )
    adeli = models.CharField(
        max_length=9, null=True, blank=True, unique=True, validators=[validate_adeli]
    )
    # Codes of the Annuaire Santé nomenclature (10 médecin, 50 sage-femme, 60 infirmier ...).
    profession_code = models.CharField(max_length=4, blank=True)
    profession_label = models.CharField(max_length=100, blank=True)
    specialty = models.CharField(max_length=100, blank=True)
    # Assurance Maladie number, needed to bill acts; distinct from the RPPS.
    am_number = models.CharField(max_length=9, blank=True)
    is_expert = models.BooleanField(default=False)
    # First sign-in with Pro Santé Connect (linked by RPPS); no token is ever stored.
    psc_linked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = f"{self.given_name} {self.family_name}".strip()
        return f"{self.title} {name}".strip() if self.title else name

    @property
    def national_id(self) -> str | None:
        if self.rpps:
            return "8" + self.rpps
        if self.adeli:
            return "0" + self.adeli
        return None


class Membership(models.Model):
    class Role(models.TextChoices):
        CLINICIAN = "clinician", "Soignant"
        COORDINATOR = "coordinator", "Coordination"
        SECRETARY = "secretary", "Secrétariat"
        BILLING = "billing", "Facturation"
        ADMIN = "admin", "Administration"
        # Délégué à la protection des données: reads the access journal, nothing clinical.
        DPO = "dpo", "Délégué à la protection des données"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "organization", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.professional} — {self.organization.name} ({self.role})"


class Mailbox(models.Model):
    """An MSSanté mailbox (BAL). Address and kind never change once created."""

    class Kind(models.TextChoices):
        PERSONAL = "PER", "Nominative"
        ORGANIZATIONAL = "ORG", "Organisationnelle"
        APPLICATION = "APP", "Applicative"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    address = models.EmailField(max_length=254, unique=True)
    kind = models.CharField(max_length=3, choices=Kind.choices)
    display_name = models.CharField(max_length=200, blank=True)
    professional = models.ForeignKey(
        Professional, null=True, blank=True, on_delete=models.PROTECT, related_name="mailboxes"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="mailboxes"
    )
    responsible = models.ForeignKey(
        Professional,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsible_for_mailboxes",
    )
    members = models.ManyToManyField(Professional, blank=True, related_name="team_mailboxes")
    service_user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="app_mailbox"
    )
    hidden = models.BooleanField(default=False, help_text="Liste rouge : absente de l'annuaire.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "BAL MSSanté"
        verbose_name_plural = "BAL MSSanté"
        constraints = [
            models.CheckConstraint(
                name="mailbox_owner_matches_kind",
                condition=(
                    Q(kind="PER", professional__isnull=False, organization__isnull=True)
                    | Q(kind="ORG", professional__isnull=True, organization__isnull=False)
                    | Q(kind="APP", professional__isnull=True, organization__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.kind})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.address = self.address.strip().lower()
        if not self._state.adding:
            stored = Mailbox.objects.filter(pk=self.pk).values("address", "kind").first()
            if stored and (stored["address"] != self.address or stored["kind"] != self.kind):
                raise ValidationError("L'adresse et le type d'une BAL ne changent jamais.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """`Authorization: Token <key>` for integrators. Only the SHA-256 of the key is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def new_key(cls) -> str:
        return secrets.token_urlsafe(32)
