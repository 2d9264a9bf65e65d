"""MoneyField: the project's money columns, recorded by migrations as plain DecimalFields."""

from decimal import Decimal

from django.db import models

from core.fields import SUM_DIGITS, MoneyField
from funding.models import FundingRollup, LedgerEntry
from projects.models import Project


def test_money_is_fourteen_digits_to_the_fen_and_migrates_as_a_decimal_field():
    name, path, args, kwargs = MoneyField("amount").deconstruct()

    assert path == "django.db.models.DecimalField"
    assert (kwargs["max_digits"], kwargs["decimal_places"]) == (14, 2)
    assert isinstance(models.DecimalField(*args, **kwargs), models.DecimalField)


def test_programme_sums_keep_more_digits():
    _name, _path, _args, kwargs = MoneyField(max_digits=SUM_DIGITS).deconstruct()

    assert (kwargs["max_digits"], kwargs["decimal_places"]) == (20, 2)


def test_the_apps_money_columns_are_money_fields():
    for field in (
        LedgerEntry._meta.get_field("amount"),
        Project._meta.get_field("planned_investment"),
        FundingRollup._meta.get_field("planned"),
    ):
        assert isinstance(field, MoneyField)
    assert LedgerEntry._meta.get_field("amount").to_python("12.5") == Decimal("12.50")
