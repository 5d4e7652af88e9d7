"""Patients, identified by their INS and the five strict identity traits."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


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
