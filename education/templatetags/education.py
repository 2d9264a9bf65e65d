from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from education import selectors
from projects.templatetags.portal import cny_compact_parts, qualified

register = template.Library()


@register.filter
def shown(figure: selectors.Figure) -> str:
    """A figure as a page prints it: the value, "<5" when suppressed for a small group or by
    differencing, "—" when not reported or withheld as an individual's score."""
    if figure.shown:
        value = figure.value
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = value.quantize(Decimal("1"))
        return str(value)
    if figure.reason in (selectors.SMALL_GROUP, selectors.DIFFERENCING):
        return f"<{selectors.min_group()}"
    return "—"


@register.filter
def basis_label(basis: str) -> str:
    return _("reported") if basis == selectors.REPORTED else _("computed from results")


@register.filter
def invested(figure) -> str:
    """Money invested as the source gives it: "3000余万元" is over, not about, 30 million."""
    number, unit = cny_compact_parts(figure.value)
    return qualified(number, figure.qualifier, unit=unit)


@register.filter
def intake_sum(intakes) -> str:
    """How an intake total is made: '30 + 79 + 81 + 120 + 120'."""
    return " + ".join(shown(intake.count) for intake in intakes)
