"""Template tags of the projects app's own pages (`{% load projects %}`)."""

from django import template
from django.utils import translation
from django.utils.translation import ngettext

register = template.Library()


@register.simple_tag
def team_roles(batch) -> str:
    """'3 cadres, 8 medical staff, 1 lawyer': the roles a batch has, none it lacks."""
    parts = [
        (batch.cadres, ngettext("%(n)s cadre", "%(n)s cadres", batch.cadres)),
        (batch.medical, ngettext("%(n)s medical staff", "%(n)s medical staff", batch.medical)),
        (batch.teachers, ngettext("%(n)s teacher", "%(n)s teachers", batch.teachers)),
        (batch.lawyers, ngettext("%(n)s lawyer", "%(n)s lawyers", batch.lawyers)),
        (batch.others, ngettext("%(n)s other", "%(n)s others", batch.others)),
    ]
    separator = ", " if translation.get_language() == "en" else "、"
    return separator.join(text % {"n": count} for count, text in parts if count)
