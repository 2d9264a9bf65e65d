from collections.abc import Iterable, Mapping
from typing import Any

from rest_framework import serializers

from core.rest import (
    BilingualField,
    ModelSerializer,
    bilingual,
    bilingual_columns,
    choice_labels,
    label_field,
    written,
)
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


# The columns of an organisation that the organisations list reads.
ORGANISATION_COLUMNS = ("code", *bilingual_columns("name", "short_name"), "type", "parent__code")


def organisation_list_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows of ORGANISATION_COLUMNS written as OrganisationSerializer writes organisations: the
    same keys in the same order, the type's label in the request's language, without a model
    instance per organisation and parent. tests/api/test_golden.py holds the list to the bytes
    it had; tests/reference/test_api.py holds each row to the organisation's own page."""
    types = choice_labels(Organisation._meta.get_field("type"))
    return [
        {
            "code": row["code"],
            "name": bilingual(row, "name"),
            "short_name": bilingual(row, "short_name"),
            "type": row["type"],
            "type_label": types.get(row["type"], row["type"]),
            "iati_type": Organisation.IATI_CODES[row["type"]],
            "parent": row["parent__code"],
        }
        for row in rows
    ]


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


# The columns of a programme, and of its plan periods, that the programmes list reads.
PROGRAMME_COLUMNS = (
    "id",
    "code",
    *bilingual_columns("name", "description"),
    "donor__code",
    "partner__code",
    "partner_place_id",
    "started_on",
)
PERIOD_COLUMNS = ("programme_id", "code", *bilingual_columns("name"), "start_year", "end_year")


def programme_list_rows(
    rows: Iterable[Mapping[str, Any]],
    periods: Iterable[Mapping[str, Any]],
    serializer: ProgrammeSerializer,
) -> list[dict[str, Any]]:
    """Rows of PROGRAMME_COLUMNS, and the plan periods of those programmes (PERIOD_COLUMNS, in
    the order each programme lists them), written as the serializer writes programmes: the same
    keys in the same order, without a model instance per programme, organisation and period.
    tests/api/test_golden.py holds the list to the bytes it had; tests/reference/test_api.py
    holds each row to the programme's own page."""
    started_on = serializer.fields["started_on"]
    of_programme: dict[int, list[dict[str, Any]]] = {}
    for period in periods:
        of_programme.setdefault(period["programme_id"], []).append(
            {
                "code": period["code"],
                "name": bilingual(period, "name"),
                "start_year": period["start_year"],
                "end_year": period["end_year"],
            }
        )
    return [
        {
            "code": row["code"],
            "name": bilingual(row, "name"),
            "description": bilingual(row, "description"),
            "donor": row["donor__code"],
            "partner": row["partner__code"],
            "partner_place": row["partner_place_id"],
            "started_on": written(started_on, row["started_on"]),
            "periods": of_programme.get(row["id"], []),
        }
        for row in rows
    ]
