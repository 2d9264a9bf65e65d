from rest_framework import viewsets

from core.rest import RequestLanguageMixin
from reference import selectors
from reference.api.filters import OrganisationFilter, PlaceFilter
from reference.api.serializers import (
    OrganisationSerializer,
    PlaceSerializer,
    ProgrammeSerializer,
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


class PlaceViewSet(RequestLanguageMixin, viewsets.ReadOnlyModelViewSet):
    """Districts, townships and villages where projects are."""

    serializer_class = PlaceSerializer
    filterset_class = PlaceFilter

    def get_queryset(self):
        return selectors.places()


class ProgrammeViewSet(RequestLanguageMixin, viewsets.ReadOnlyModelViewSet):
    """Donor–partner pairings and their plan periods."""

    serializer_class = ProgrammeSerializer
    lookup_field = "code"

    def get_queryset(self):
        return selectors.programmes()
