"""The tariffs in force (Assurance Maladie, since 1 April 2022): TE2 20 EUR, 23 EUR
from 2026-01-01; RQD 10 EUR. A new tariff is a new row (a later migration or the admin)."""

from decimal import Decimal

from django.db import migrations

TARIFFS = [
    ("TE2", Decimal("20.00"), "2022-04-01"),
    ("TE2", Decimal("23.00"), "2026-01-01"),
    ("RQD", Decimal("10.00"), "2022-04-01"),
]


def seed(apps, schema_editor):
    Tariff = apps.get_model("teleexpertise", "Tariff")
    for code, amount, valid_from in TARIFFS:
        Tariff.objects.get_or_create(code=code, valid_from=valid_from, defaults={"amount": amount})


class Migration(migrations.Migration):
    dependencies = [("teleexpertise", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
