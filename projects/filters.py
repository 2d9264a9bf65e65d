"""The one definition of how projects are filtered, searched and ordered, used by the
public `/projects/` page and by `/api/v1/projects/` alike."""

import django_filters
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from projects.models import Project
from reference.models import Place, PlanPeriod, Programme


def plan_period_choices() -> list[tuple[str, str]]:
    # A code such as "14th" recurs in every programme: one choice per code matches them all.
    choices: dict[str, str] = {}
    for period in PlanPeriod.objects.order_by("start_year", "code"):
        choices.setdefault(period.code, str(period))
    return list(choices.items())


class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """`true` or `false`; anything else is an error, never silently ignored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("", _("Any")), ("true", _("Yes")), ("false", _("No"))])
        kwargs.setdefault("empty_value", None)
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class OrderingFilter(django_filters.OrderingFilter):
    """Choice labels in each request's language: the parent builds "X (descending)" once, at
    import, in whatever language is active then. `tiebreak` names a unique column that follows
    any order asked for, so pages never repeat or skip a row among equal values."""

    def __init__(self, *args, tiebreak: str | None = None, **kwargs):
        self.tiebreak = tiebreak
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value and self.tiebreak:
            ordering = list(qs.query.order_by)
            if self.tiebreak not in ordering and f"-{self.tiebreak}" not in ordering:
                qs = qs.order_by(*ordering, self.tiebreak)
        return qs

    def build_choices(self, fields, labels):
        ascending = [(param, labels.get(field, param)) for field, param in fields.items()]
        choices = []
        for param, label in ascending:
            choices += [(param, label), (f"-{param}", format_lazy(_("{} (descending)"), label))]
        return choices


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", help_text=_("Words in the title, in either language.")
    )
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"),
        queryset=Programme.objects.all(),
        to_field_name="code",
        help_text=_("Programme code, such as hangzhou-seni."),
    )
    period = django_filters.ChoiceFilter(
        label=_("Plan period"),
        field_name="plan_period__code",
        choices=plan_period_choices,
        help_text=_("Plan period code, such as 14th."),
    )
    field = django_filters.ChoiceFilter(label=_("Field"), choices=Project.Field.choices)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Project.Category.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Project.Status.choices)
    place = django_filters.ModelChoiceFilter(
        label=_("Place"),
        queryset=Place.objects.select_related("parent"),
        method="in_place",
        help_text=_("Place id; a district or township includes the villages inside it."),
    )
    flagship = StrictBooleanFilter(label=_("Flagship projects"))
    # Without `ordering`, the projects' own order: by code.
    ordering = OrderingFilter(
        tiebreak="code",
        label=_("Order by"),
        empty_label=_("By code"),
        fields=(
            ("code", "code"),
            ("title", "title"),
            ("planned_investment", "planned_investment"),
            ("planned_start", "planned_start"),
            ("status", "status"),
        ),
        field_labels={
            "code": _("Code"),
            "title": _("Title"),
            "planned_investment": _("Planned investment"),
            "planned_start": _("Planned start"),
            "status": _("Status"),
        },
    )

    class Meta:
        model = Project
        fields = ["q", "programme", "period", "field", "category", "status", "place", "flagship"]

    def search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(title_zh_hans__icontains=word)
                | Q(title_en__icontains=word)
                | Q(code__iexact=word)
            )
        return queryset

    def in_place(self, queryset, name, value):
        return queryset.filter(
            Q(place=value) | Q(place__parent=value) | Q(place__parent__parent=value)
        )
