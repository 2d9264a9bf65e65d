"""Ledger entries and approvals cannot be emptied with TRUNCATE, by any role (the row
triggers of 0002 refuse UPDATE and DELETE; TRUNCATE fires no row trigger)."""

from django.db import migrations

from core.guards import truncate_guard


class Migration(migrations.Migration):
    dependencies = [("funding", "0004_donation_purpose_in_both_languages")]

    operations = [
        truncate_guard(
            "funding_ledgerentry",
            "funding_approval",
        )
    ]
