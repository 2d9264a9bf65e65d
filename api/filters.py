"""Filter fields every app's API shares."""

from typing import Any

import django_filters
from django import forms


class WholeNumberFilter(django_filters.NumberFilter):  # type: ignore[misc]  # django-filter is untyped
    """A whole number within the filter's `min_value`/`max_value`: `2.5` is an error, not a
    match on a rounded value; the schema says so (`api.schema.FilterExtension`)."""

    field_class = forms.IntegerField


class IdFilter(WholeNumberFilter):
    """The id of a record: a whole number from 1."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        super().__init__(*args, **kwargs)
