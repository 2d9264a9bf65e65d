import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from reference.models import Organisation, Place, Programme
from tests.api_utils import assert_constant_queries, assert_each_row_is_its_own_page
from tests.factories import (
    OrganisationFactory,
    PlaceFactory,
    PlanPeriodFactory,
    ProgrammeFactory,
)

pytestmark = pytest.mark.django_db


def test_organisation_fields_and_lookup_by_code(client):
    city = OrganisationFactory(
        code="HZ",
        name_zh_hans="杭州市人民政府",
        name_en="Hangzhou",
        type=Organisation.Type.GOVERNMENT,
    )
    OrganisationFactory(
        code="HZ.HEALTH",
        name_zh_hans="杭州市卫健委",
        name_en="Hangzhou Health Commission",
        short_name_en="HHC",
        type=Organisation.Type.PUBLIC_BODY,
        parent=city,
    )

    body = client.get("/api/v1/organisations/HZ.HEALTH/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert body == {
        "code": "HZ.HEALTH",
        "name": {"zh-hans": "杭州市卫健委", "en": "Hangzhou Health Commission"},
        "short_name": {"zh-hans": "", "en": "HHC"},
        "type": "public_body",
        "type_label": "Other public body",
        "iati_type": "15",
        "parent": "HZ",
    }
    assert client.get("/api/v1/organisations/HZ/").json()["parent"] is None


def test_organisations_filter_by_type(client):
    OrganisationFactory(code="GOV", type=Organisation.Type.GOVERNMENT)
    OrganisationFactory(code="NGO", type=Organisation.Type.NGO)

    response = client.get("/api/v1/organisations/", {"type": "ngo"})

    assert [row["code"] for row in response.json()["results"]] == ["NGO"]
    assert client.get("/api/v1/organisations/", {"type": "nonsense"}).status_code == 400


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_organisation_type_label_follows_accept_language(client, language):
    OrganisationFactory(code="GOV", type=Organisation.Type.GOVERNMENT)

    row = client.get("/api/v1/organisations/", HTTP_ACCEPT_LANGUAGE=language).json()["results"][0]

    with translation.override(language):
        assert row["type_label"] == str(Organisation.Type.GOVERNMENT.label)


def test_places_fields_and_filters(client):
    district = PlaceFactory(
        name_zh_hans="色尼区",
        name_en="Seni",
        admin_code="540602",
        latitude=Decimal("31.476000"),
        longitude=Decimal("92.051000"),
    )
    township = PlaceFactory(level=Place.Level.TOWNSHIP, parent=district, admin_code="540602100")
    PlaceFactory(level=Place.Level.VILLAGE, parent=township)

    seni = client.get(f"/api/v1/places/{district.pk}/").json()
    assert seni["name"] == {"zh-hans": "色尼区", "en": "Seni"}
    assert (seni["level"], seni["parent"], seni["admin_code"]) == ("district", None, "540602")
    assert (seni["latitude"], seni["longitude"]) == ("31.476000", "92.051000")
    row = client.get(f"/api/v1/places/{township.pk}/").json()
    assert (row["parent"], row["latitude"], row["longitude"]) == (district.pk, None, None)

    def levels(params):
        return [row["level"] for row in client.get("/api/v1/places/", params).json()["results"]]

    assert levels({"level": "village"}) == ["village"]
    assert levels({"parent": district.pk}) == ["township"]
    assert levels({"parent": township.pk}) == ["village"]


def test_programmes_list_periods_and_party_codes(client):
    programme = ProgrammeFactory(
        code="hangzhou-seni",
        donor=OrganisationFactory(code="HZ"),
        partner=OrganisationFactory(code="SENI"),
    )
    PlanPeriodFactory(programme=programme)

    body = client.get("/api/v1/programmes/hangzhou-seni/").json()

    assert (body["donor"], body["partner"]) == ("HZ", "SENI")
    assert body["periods"] == [
        {
            "code": "14th",
            "name": {"zh-hans": "十四五", "en": "14th Five-Year Plan"},
            "start_year": 2021,
            "end_year": 2025,
        }
    ]


def test_each_programme_in_the_list_is_written_as_its_own_page_writes_it(client):
    # Periods in their own order (made out of it), a programme without any, one with a partner
    # district and a start, names in one language.
    first = ProgrammeFactory(partner_place=PlaceFactory(), started_on=datetime.date(1995, 7, 1))
    for code, start in (("p1", 2026), ("p3", 2016), ("p2", 2021)):
        PlanPeriodFactory(programme=first, code=code, start_year=start, end_year=start + 4)
    ProgrammeFactory(name_en="")

    compared = assert_each_row_is_its_own_page(
        client, "/api/v1/programmes/", lambda row: f"/api/v1/programmes/{row['code']}/"
    )

    assert compared == 4
    listed = client.get("/api/v1/programmes/").json()["results"]
    assert [period["start_year"] for period in listed[0]["periods"]] == [2016, 2021, 2026]


def test_each_organisation_in_the_list_is_written_as_its_own_page_writes_it(client):
    # Every type, with a parent and without, a short name in one language or none.
    parent = OrganisationFactory(type=Organisation.Type.GOVERNMENT, short_name_zh_hans="杭州")
    for kind in Organisation.Type.values:
        OrganisationFactory(type=kind, parent=parent, short_name_en="Short", name_en="")

    compared = assert_each_row_is_its_own_page(
        client, "/api/v1/organisations/", lambda row: f"/api/v1/organisations/{row['code']}/"
    )

    assert compared == 2 * (len(Organisation.Type.values) + 1)


def test_organisation_queries_do_not_grow_with_the_page(client, django_assert_max_num_queries):
    parent = OrganisationFactory(code="PARENT")

    def grow(n):
        for _ in range(n - Organisation.objects.count()):
            OrganisationFactory(parent=parent)

    assert_constant_queries(
        client, "/api/v1/organisations/", grow, django_assert_max_num_queries, most=2
    )


def test_place_queries_do_not_grow_with_the_page(client, django_assert_max_num_queries):
    district = PlaceFactory()

    def grow(n):
        for _ in range(n - Place.objects.count()):
            PlaceFactory(level=Place.Level.TOWNSHIP, parent=district)

    assert_constant_queries(client, "/api/v1/places/", grow, django_assert_max_num_queries, most=2)


def test_programme_queries_do_not_grow_with_the_page(client, django_assert_max_num_queries):
    def grow(n):
        for _ in range(n - Programme.objects.count()):
            PlanPeriodFactory(programme=ProgrammeFactory())

    assert_constant_queries(
        client, "/api/v1/programmes/", grow, django_assert_max_num_queries, most=3
    )
