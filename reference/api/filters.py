import django_filters

from reference.models import Organisation, Place


class OrganisationFilter(django_filters.FilterSet):
    class Meta:
        model = Organisation
        fields = ["type"]


class PlaceFilter(django_filters.FilterSet):
    class Meta:
        model = Place
        fields = ["level", "parent"]
