from typing import Any

from django.db.models import QuerySet
from rest_framework import viewsets

from core.querysets import built_once
from core.rest import RequestLanguageMixin
from reference import selectors
from reference.api.filters import OrganisationFilter, PlaceFilter
from reference.api.serializers import (
    ORGANISATION_COLUMNS,
    PERIOD_COLUMNS,
    PROGRAMME_COLUMNS,
    OrganisationSerializer,
    PlaceSerializer,
    ProgrammeSerializer,
    organisation_list_rows,
    programme_list_rows,
)
from reference.models import CODE_PATTERN

CODE_REGEX = CODE_PATTERN.strip("^$")


class OrganisationViewSet(RequestLanguageMixin, viewsets.ReadOnlyModelViewSet):
    """Organisations that fund, run or carry out the programme's work."""

    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    lookup_field = "code"
    lookup_value_regex = CODE_REGEX

    def get_queryset(self):
        return selectors.organisations()

    def list(self, request, *args, **kwargs):
        # Columns, not model instances: the same answer as the serializer's.
        organisations = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(organisations.values(*ORGANISATION_COLUMNS))
        assert page is not None
        return self.get_paginated_response(organisation_list_rows(page))


class PlaceViewSet(RequestLanguageMixin, viewsets.ReadOnlyModelViewSet):
    """Districts, townships and villages where projects are."""

    serializer_class = PlaceSerializer
    filterset_class = PlaceFilter

    def get_queryset(self):
        return selectors.places()


@built_once
def programme_rows() -> QuerySet[Any]:
    """The programmes as the list's columns: the same for every caller, so built once per
    process (core.querysets)."""
    return selectors.programmes().prefetch_related(None).values(*PROGRAMME_COLUMNS)


class ProgrammeViewSet(RequestLanguageMixin, viewsets.ReadOnlyModelViewSet):
    """Donor–partner pairings and their plan periods."""

    serializer_class = ProgrammeSerializer
    lookup_field = "code"

    def get_queryset(self):
        return selectors.programmes()

    def list(self, request, *args, **kwargs):
        # Columns, not model instances: the same answer as the serializer's.
        page = self.paginate_queryset(self.filter_queryset(programme_rows()))
        assert page is not None
        periods = selectors.periods_of([row["id"] for row in page]).values(*PERIOD_COLUMNS)
        serializer = self.get_serializer()
        assert isinstance(serializer, ProgrammeSerializer)
        return self.get_paginated_response(programme_list_rows(page, periods, serializer))
