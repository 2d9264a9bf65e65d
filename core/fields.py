"""Model fields every app shares."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

    DecimalField = models.DecimalField[Any, Any]
else:
    # The stubs' generic fields cannot be subscripted at run time.
    DecimalField = models.DecimalField

MONEY_DIGITS = 14  # up to 999,999,999,999.99 CNY: any one project's or entry's amount
MONEY_DECIMALS = 2  # fen
# Sums over a whole programme outgrow a project's columns; these hold a million times more.
SUM_DIGITS = 20


class MoneyField(DecimalField):
    """An amount of money in CNY, to the fen: `DecimalField(max_digits=14, decimal_places=2)`,
    or `max_digits=SUM_DIGITS` for running sums over a programme.

    Migrations record it as the plain DecimalField it is, so adopting it changes no schema and
    old migrations never import this module."""

    def __init__(
        self,
        verbose_name: "_StrOrPromise | None" = None,
        *,
        max_digits: int = MONEY_DIGITS,
        decimal_places: int = MONEY_DECIMALS,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            verbose_name, max_digits=max_digits, decimal_places=decimal_places, **kwargs
        )

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs
