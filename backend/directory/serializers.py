"""Input validation and the documented response shapes of the directory endpoints."""

from __future__ import annotations

from rest_framework import serializers

DEFAULT_LIMIT = 20
MAX_LIMIT = 50
MAX_OFFSET = 10_000  # deeper pages are a sign the query should be refined, and cost a scan


class DirectoryQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    profession = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    city = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    postcode = serializers.RegexField(
        r"^\d{5}$",
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": "Le code postal doit comporter 5 chiffres."},
    )
    mssante_only = serializers.BooleanField(required=False, default=False)
    limit = serializers.IntegerField(
        required=False, default=DEFAULT_LIMIT, min_value=1, max_value=MAX_LIMIT
    )
    offset = serializers.IntegerField(required=False, default=0, min_value=0, max_value=MAX_OFFSET)


class AddressSerializer(serializers.Serializer):
    address = serializers.EmailField()
    kind = serializers.ChoiceField(choices=["PER", "ORG", "APP"])


class EntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    profession = serializers.CharField()
    specialty = serializers.CharField()
    rpps = serializers.CharField(allow_null=True)
    organization = serializers.CharField()
    city = serializers.CharField()
    postcode = serializers.CharField()
    mssante = AddressSerializer(many=True)
    user = serializers.UUIDField(allow_null=True, help_text="Compte de la plateforme, s'il existe.")
    kind = serializers.ChoiceField(choices=["person", "mailbox"])
    source = serializers.ChoiceField(choices=["mssante", "ps", "platform"])  # type: ignore[assignment]


class DirectoryPageSerializer(serializers.Serializer):
    results = EntrySerializer(many=True)
    count = serializers.IntegerField(help_text="Au plus 1000 : voir count_exact.")
    count_exact = serializers.BooleanField(
        help_text="false : plus de résultats que count (le décompte s'arrête à 1000)."
    )
    next_offset = serializers.IntegerField(allow_null=True)


class VisibilitySerializer(serializers.Serializer):
    hidden = serializers.BooleanField(help_text="true : liste rouge (absente de l'annuaire).")


class ManagedMailboxSerializer(serializers.Serializer):
    address = serializers.EmailField()
    kind = serializers.CharField()
    display_name = serializers.CharField()
    hidden = serializers.BooleanField()
