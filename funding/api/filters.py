import datetime

import django_filters
from django.db.models import Q

from funding.models import Donation, LedgerEntry
from projects.api.filters import YearFilter


class LedgerEntryFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", help_text="Project code.")
    type = django_filters.ChoiceFilter(choices=LedgerEntry.Type.choices)
    year = YearFilter(
        field_name="date",
        lookup_expr="year",
        min_value=1,
        max_value=9999,
        help_text="Entries dated in this calendar year.",
    )
    date_from = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", help_text="Entries dated on or after this day."
    )
    date_to = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", help_text="Entries dated on or before this day."
    )
    organisation = django_filters.CharFilter(
        method="involving",
        help_text="Organisation code: entries it provided or received.",
    )
    recorded_since = django_filters.IsoDateTimeFilter(
        method="recorded_at_or_after",
        help_text=(
            "Entries recorded at or after this moment (ISO 8601), for incremental sync. Entries "
            "never change, so the newest `recorded_at` you have seen is all a sync client keeps; "
            "ask again from a minute before it and skip ids you already hold."
        ),
    )

    class Meta:
        model = LedgerEntry
        fields = [
            "project",
            "type",
            "year",
            "date_from",
            "date_to",
            "organisation",
            "recorded_since",
        ]

    def involving(self, queryset, name, value):
        return queryset.filter(Q(provider__code=value) | Q(receiver__code=value))

    def recorded_at_or_after(self, queryset, name, value):
        # Any ISO offset is valid, but PostgreSQL takes at most ±15:59: compare in UTC.
        return queryset.filter(recorded_at__gte=value.astimezone(datetime.UTC))


class DonationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Donation.Kind.choices)
    beneficiaries = django_filters.ChoiceFilter(choices=Donation.Beneficiaries.choices)
    year = YearFilter(
        field_name="date",
        lookup_expr="year",
        min_value=1,
        max_value=9999,
        help_text="Donations dated in this calendar year.",
    )
    programme = django_filters.CharFilter(field_name="programme__code", help_text="Programme code.")
    project = django_filters.CharFilter(field_name="project__code", help_text="Project code.")

    class Meta:
        model = Donation
        fields = ["kind", "beneficiaries", "year", "programme", "project"]
