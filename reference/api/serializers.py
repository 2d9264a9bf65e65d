from rest_framework import serializers

from core.rest import BilingualField, ModelSerializer, label_field
from reference.models import Organisation, Place, PlanPeriod, Programme


class OrganisationSerializer(ModelSerializer):
    name = BilingualField()
    short_name = BilingualField()
    type_label = label_field("type")
    iati_type = serializers.CharField(source="iati_code", read_only=True)
    parent = serializers.SlugRelatedField[Organisation](  # type: ignore[assignment]  # DRF takes declared fields off the class
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Organisation
        fields = ["code", "name", "short_name", "type", "type_label", "iati_type", "parent"]


class OrganisationBriefSerializer(ModelSerializer):
    name = BilingualField()
    short_name = BilingualField()

    class Meta:
        model = Organisation
        fields = ["code", "name", "short_name"]


class PlaceSerializer(ModelSerializer):
    name = BilingualField()
    level_label = label_field("level")

    class Meta:
        model = Place
        fields = [
            "id",
            "name",
            "level",
            "level_label",
            "parent",
            "admin_code",
            "latitude",
            "longitude",
        ]


class PlaceBriefSerializer(ModelSerializer):
    name = BilingualField()
    level_label = label_field("level")

    class Meta:
        model = Place
        fields = ["id", "name", "level", "level_label"]


class PlanPeriodSerializer(ModelSerializer):
    name = BilingualField()

    class Meta:
        model = PlanPeriod
        fields = ["code", "name", "start_year", "end_year"]


class ProgrammeSerializer(ModelSerializer):
    name = BilingualField()
    description = BilingualField()
    donor = serializers.SlugRelatedField[Organisation](slug_field="code", read_only=True)
    partner = serializers.SlugRelatedField[Organisation](slug_field="code", read_only=True)
    periods = PlanPeriodSerializer(many=True, read_only=True)

    class Meta:
        model = Programme
        fields = [
            "code",
            "name",
            "description",
            "donor",
            "partner",
            "partner_place",
            "started_on",
            "periods",
        ]
