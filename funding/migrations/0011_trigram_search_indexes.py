from django.db import migrations

from core.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("funding", "0010_ledger_check"),
        ("projects", "0005_trigram_search_indexes"),
    ]

    operations = [
        trigram_indexes("funding_ledgerentry", "voucher", "note"),
        trigram_indexes("funding_budgetline", "note"),
    ]
