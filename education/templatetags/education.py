from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from core.templatetags.portal import cny_compact_parts, qualified
from education import selectors, suppression

register = template.Library()


@register.filter
def shown(figure: suppression.Figure | None) -> str:
    """A figure as a page prints it: the value; "<5" only when the group really is under the
    minimum; "withheld" when a group of at least the minimum is withheld because, with another
    published figure, it would reveal a small one; "—" when not reported or withheld as an
    individual's score. The reason is `figure.reason_text`."""
    if figure is None:
        return "—"
    if figure.shown:
        value = figure.value
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = value.quantize(Decimal("1"))
        return str(value)
    if figure.reason == suppression.SMALL_GROUP:
        return f"<{suppression.min_group()}"
    if figure.reason == suppression.DIFFERENCING:
        return _("withheld")
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
