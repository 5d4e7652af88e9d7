"""Patients, identified by their INS and the five strict identity traits."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from backend.patients.traits import Traits


class Patient(models.Model):
    class IdentityStatus(models.TextChoices):
        # Référentiel national d'identitovigilance: only QUAL may address health data.
        PROVISIONAL = "PROV", "Identité provisoire"
        RETRIEVED = "RECUP", "Identité récupérée"
        VALIDATED = "VALI", "Identité validée"
        QUALIFIED = "QUAL", "Identité qualifiée"

    class Sex(models.TextChoices):
        MALE = "M", "Masculin"
        FEMALE = "F", "Féminin"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # A patient record belongs to the organisation that keeps it; another organisation holding
    # the same INS has its own record, and sees nothing of this one.
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="patients"
    )
    ins = models.CharField(max_length=15, blank=True)
    ins_oid = models.CharField(max_length=32, blank=True)
    birth_name = models.CharField(max_length=100)
    first_names = models.JSONField(default=list)
    used_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    birth_place = models.CharField(max_length=5, blank=True, help_text="Code INSEE du lieu")
    identity_status = models.CharField(
        max_length=5, choices=IdentityStatus.choices, default=IdentityStatus.PROVISIONAL
    )
    referring_doctor = models.ForeignKey(
        "accounts.Professional",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_patients",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Digest of the normalised five strict traits (patients/traits.py), kept by save(): finds
    # records of the same person, in any organisation, without reading names.
    traits_key = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    # Identity vigilance: this record and the referenced one are the same person (a duplicate
    # found after the fact). Always points at the first record of the group, never a chain.
    same_person_as = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="linked_records",
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["birth_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "ins"],
                condition=~models.Q(ins=""),
                name="patient_unique_ins_per_organization",
            )
        ]
        indexes = [models.Index(fields=["ins"], name="patient_ins")]

    def __str__(self) -> str:
        # Ids only: __str__ ends up in logs and admin messages.
        return f"Patient {self.id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.traits_key = self.traits.key()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "traits_key"}
        super().save(*args, **kwargs)

    @property
    def traits(self) -> Traits:
        return Traits(
            birth_name=self.birth_name,
            first_names=list(self.first_names or []),
            birth_date=self.birth_date,
            sex=self.sex,
            birth_place=self.birth_place,
        )

    @property
    def first_name(self) -> str:
        return self.first_names[0] if self.first_names else ""

    @property
    def display_name(self) -> str:
        return f"{self.birth_name.upper()} {self.first_name}".strip()

    @property
    def is_qualified(self) -> bool:
        return self.identity_status == self.IdentityStatus.QUALIFIED and bool(self.ins)

    @property
    def mssante_address(self) -> str | None:
        """Only a qualified INS may be used to address health data to the patient."""
        return f"{self.ins}@patient.mssante.fr" if self.is_qualified else None


class IdentityVerification(models.Model):
    """A recorded identity check (RNIV): who looked at which identity document, when, and what the
    INSi service answered. An identity is « qualifiée » only through one of these."""

    class DocumentType(models.TextChoices):
        # RNIV: only high-trust documents can validate an identity. The low-trust ones are
        # recorded (the check happened) but never lead to VALI or QUAL.
        PASSPORT = "PASSEPORT", "Passeport"
        ID_CARD = "CNI", "Carte nationale d'identité"
        RESIDENCE_PERMIT = "TITRE_SEJOUR", "Titre de séjour"
        FAMILY_BOOK = "LIVRET_FAMILLE", "Livret de famille"
        BIRTH_CERTIFICATE = "ACTE_NAISSANCE", "Extrait d'acte de naissance"

    HIGH_TRUST = frozenset({"PASSEPORT", "CNI", "TITRE_SEJOUR"})

    class Outcome(models.TextChoices):
        QUALIFIED = "QUAL", "Identité qualifiée"
        VALIDATED = "VALI", "Identité validée (sans INS)"
        RETRIEVED = "RECUP", "INS récupéré (pièce d'identité insuffisante)"
        REFUSED = "REFUSED", "Qualification refusée"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="identity_verifications"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField()
    document_type = models.CharField(max_length=20, choices=DocumentType.choices)
    # What the INSi service answered (empty when it found nobody).
    insi_ins = models.CharField(max_length=15, blank=True)
    insi_oid = models.CharField(max_length=32, blank=True)
    insi_answered_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    # Why qualification was refused, in French (traits that contradict the INS...).
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-verified_at"]

    def __str__(self) -> str:
        return f"Vérification d'identité {self.id}"
