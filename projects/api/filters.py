import django_filters
from django.utils.translation import gettext_lazy as _

from api.filters import WholeNumberFilter
from projects.models import TimelineEvent
from reference.models import Programme


class YearFilter(WholeNumberFilter):
    """A whole year that dates can hold (1–9999): `2024.5` or `0` is an error, not a crash."""


class TimelineEventFilter(django_filters.FilterSet):
    programme = django_filters.ModelChoiceFilter(
        queryset=Programme.objects.all(),
        to_field_name="code",
        help_text=_("Programme code, such as hangzhou-seni."),
    )
    year = YearFilter(
        field_name="date",
        lookup_expr="year",
        min_value=1,
        max_value=9999,
        help_text=_("Events of this year only."),
    )

    class Meta:
        model = TimelineEvent
        fields = ["programme", "year"]
