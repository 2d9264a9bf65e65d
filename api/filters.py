"""Filter fields every app's API shares."""

from typing import Any

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend


class WholeNumberFilter(django_filters.NumberFilter):  # type: ignore[misc]  # django-filter is untyped
    """A whole number within the filter's `min_value`/`max_value`: `2.5` is an error, not a
    match on a rounded value; the schema says so (`api.schema.FilterExtension`)."""

    field_class = forms.IntegerField


class IdFilter(WholeNumberFilter):
    """The id of a record: a whole number from 1."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        super().__init__(*args, **kwargs)


# Query parameters that page or format an answer; none of them filters it.
PAGING = frozenset({"page", "page_size", "cursor", "format"})


class FilterBackend(DjangoFilterBackend):  # type: ignore[misc]  # django-filter is untyped
    """django-filter's backend, without building a FilterSet for a request that names no filter.

    Building one makes a form and deep-copies every filter (about half a millisecond for a
    list's dozen filters); with no filter named, each would leave the list as it is. A FilterSet
    that changes the list on its own (its own `qs` or `filter_queryset`) is always built."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        if PAGING.issuperset(request.query_params):
            filterset_class = self.get_filterset_class(view, queryset)
            if filterset_class is None or (
                filterset_class.qs is django_filters.FilterSet.qs
                and filterset_class.filter_queryset is django_filters.FilterSet.filter_queryset
            ):
                return queryset
        return super().filter_queryset(request, queryset, view)
