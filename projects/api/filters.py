import django_filters
from django.utils.translation import gettext_lazy as _

from projects.models import TimelineEvent
from reference.models import Programme


class TimelineEventFilter(django_filters.FilterSet):
    programme = django_filters.ModelChoiceFilter(
        queryset=Programme.objects.all(),
        to_field_name="code",
        help_text=_("Programme code, such as hangzhou-seni."),
    )
    year = django_filters.NumberFilter(field_name="date", lookup_expr="year")

    class Meta:
        model = TimelineEvent
        fields = ["programme", "year"]
