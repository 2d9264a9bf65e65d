"""Model fields every app shares."""

from django.db import models

MONEY_DIGITS = 14  # up to 999,999,999,999.99 CNY: any one project's or entry's amount
MONEY_DECIMALS = 2  # fen
# Sums over a whole programme outgrow a project's columns; these hold a million times more.
SUM_DIGITS = 20


class MoneyField(models.DecimalField):
    """An amount of money in CNY, to the fen: `DecimalField(max_digits=14, decimal_places=2)`,
    or `max_digits=SUM_DIGITS` for running sums over a programme.

    Migrations record it as the plain DecimalField it is, so adopting it changes no schema and
    old migrations never import this module."""

    def __init__(self, *args, max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, **kwargs):
        super().__init__(*args, max_digits=max_digits, decimal_places=decimal_places, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs
