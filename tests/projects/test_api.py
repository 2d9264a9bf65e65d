import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from projects.models import Milestone, Participant, Photo, Project, TimelineEvent
from reference.models import Place
from tests.api_utils import assert_constant_queries, assert_each_row_is_its_own_page
from tests.factories import (
    IndicatorFactory,
    MilestoneFactory,
    OrganisationFactory,
    ParticipantFactory,
    PlaceFactory,
    PlanPeriodFactory,
    ProgrammeFactory,
    ProgressUpdateFactory,
    ProjectFactory,
    TimelineEventFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/projects/"


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def png(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "teal").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def places():
    district = PlaceFactory(name_en="Seni", level=Place.Level.DISTRICT)
    township = PlaceFactory(name_en="Gangqu", level=Place.Level.TOWNSHIP, parent=district)
    village = PlaceFactory(name_en="Village 1", level=Place.Level.VILLAGE, parent=township)
    other_township = PlaceFactory(name_en="Other", level=Place.Level.TOWNSHIP, parent=district)
    return district, township, village, other_township


def test_list_shows_only_published_projects(client):
    ProjectFactory(code="PUB-1")
    ProjectFactory(code="DRAFT-1", published=False)

    assert codes(client.get(LIST)) == ["PUB-1"]


def test_unpublished_project_is_a_404_at_its_detail_url(client):
    ProjectFactory(code="DRAFT-1", published=False)

    assert client.get(f"{LIST}DRAFT-1/").status_code == 404
    assert client.get(f"{LIST}NO-SUCH/").status_code == 404


def test_code_with_a_dot_is_found(client):
    ProjectFactory(code="HZ.2023-01")

    response = client.get(f"{LIST}HZ.2023-01/")

    assert response.status_code == 200
    assert response.json()["code"] == "HZ.2023-01"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"field": "development"}, ["DEV"]),
        ({"category": "health"}, ["HEALTH"]),
        ({"status": "closed"}, ["CLOSED"]),
        ({"flagship": "true"}, ["FLAG"]),
        ({"flagship": "false"}, ["CLOSED", "DEV", "HEALTH"]),
    ],
)
def test_choice_and_flag_filters(client, params, expected):
    ProjectFactory(code="DEV", field=Project.Field.DEVELOPMENT)
    ProjectFactory(code="HEALTH", category=Project.Category.HEALTH)
    ProjectFactory(code="CLOSED", status=Project.Status.CLOSED)
    ProjectFactory(code="FLAG", flagship=True)
    ProjectFactory(code="DRAFT", field=Project.Field.DEVELOPMENT, flagship=True, published=False)

    assert codes(client.get(LIST, params)) == expected


def test_place_filter_includes_the_villages_inside(client, places):
    district, township, village, other_township = places
    ProjectFactory(code="IN-DISTRICT", place=district)
    ProjectFactory(code="IN-TOWNSHIP", place=township)
    ProjectFactory(code="IN-VILLAGE", place=village)
    ProjectFactory(code="ELSEWHERE", place=other_township)
    ProjectFactory(code="NOWHERE")

    assert codes(client.get(LIST, {"place": township.pk})) == ["IN-TOWNSHIP", "IN-VILLAGE"]
    assert codes(client.get(LIST, {"place": district.pk})) == [
        "ELSEWHERE",
        "IN-DISTRICT",
        "IN-TOWNSHIP",
        "IN-VILLAGE",
    ]


def test_programme_and_period_filters(client):
    hangzhou = ProgrammeFactory(code="hangzhou-seni")
    other = ProgrammeFactory(code="other-pairing")
    # Both programmes have a period coded "14th"; the filter must match both, not fail.
    fourteenth = PlanPeriodFactory(programme=hangzhou, code="14th")
    other_fourteenth = PlanPeriodFactory(programme=other, code="14th")
    thirteenth = PlanPeriodFactory(
        programme=hangzhou, code="13th", name_en="13th", start_year=2016, end_year=2020
    )
    ProjectFactory(code="HZ-14", programme=hangzhou, plan_period=fourteenth)
    ProjectFactory(code="HZ-13", programme=hangzhou, plan_period=thirteenth)
    ProjectFactory(code="OT-14", programme=other, plan_period=other_fourteenth)

    assert codes(client.get(LIST, {"programme": "hangzhou-seni"})) == ["HZ-13", "HZ-14"]
    assert codes(client.get(LIST, {"period": "14th"})) == ["HZ-14", "OT-14"]
    assert codes(client.get(LIST, {"programme": "hangzhou-seni", "period": "14th"})) == ["HZ-14"]
    assert client.get(LIST, {"programme": "no-such"}).status_code == 400


def test_search_covers_titles_in_both_languages(client):
    ProjectFactory(code="A", title_zh_hans="色尼区易地搬迁安置房", title_en="Relocation housing")
    ProjectFactory(code="B", title_zh_hans="那曲市人民医院", title_en="Nagqu hospital wing")
    ProjectFactory(
        code="C", title_zh_hans="草原生态", title_en="Grassland ecology", published=False
    )

    assert codes(client.get(LIST, {"q": "安置房"})) == ["A"]
    assert codes(client.get(LIST, {"q": "HOSPITAL"})) == ["B"]
    assert codes(client.get(LIST, {"q": "nagqu 医院"})) == ["B"]
    assert codes(client.get(LIST, {"q": "b"})) == ["B"]
    assert codes(client.get(LIST, {"q": "grassland"})) == []


def test_ordering(client):
    ProjectFactory(code="A", planned_investment=Decimal("300"), title_en="Cc", title_zh_hans="丙")
    ProjectFactory(code="B", planned_investment=Decimal("100"), title_en="Aa", title_zh_hans="甲")
    ProjectFactory(code="C", planned_investment=Decimal("200"), title_en="Bb", title_zh_hans="乙")

    assert codes(client.get(LIST)) == ["A", "B", "C"]
    assert codes(client.get(LIST, {"ordering": "-planned_investment"})) == ["A", "C", "B"]
    assert codes(client.get(LIST, {"ordering": "planned_investment"})) == ["B", "C", "A"]
    assert codes(client.get(LIST, {"ordering": "title"}, HTTP_ACCEPT_LANGUAGE="en")) == [
        "B",
        "C",
        "A",
    ]


def test_equal_values_come_in_code_order_so_pages_never_repeat_a_project(client):
    # Written out of code order, all with the same investment and status.
    for code in ("C", "A", "D", "B"):
        ProjectFactory(code=code, planned_investment=Decimal("100"))

    for ordering in ("planned_investment", "-planned_investment", "status"):
        first = client.get(LIST, {"ordering": ordering, "page_size": 2})
        assert codes(first) == ["A", "B"], ordering
        assert codes(client.get(first.json()["next"])) == ["C", "D"], ordering
    assert codes(client.get(LIST)) == ["A", "B", "C", "D"]


def test_page_size_goes_up_to_100_and_beyond_is_refused(client):
    ProjectFactory.create_batch(101)

    body = client.get(LIST, {"page_size": 100}).json()

    assert body["count"] == 101
    assert len(body["results"]) == 100
    assert body["next"] is not None
    second = client.get(LIST, {"page_size": 100, "page": 2}).json()
    assert len(second["results"]) == 1
    refused = client.get(LIST, {"page_size": 1000})
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["page_size"]


def test_money_is_a_decimal_string_in_cny(client):
    ProjectFactory(code="BIG", planned_investment=Decimal("410050000"))

    row = client.get(LIST).json()["results"][0]

    assert row["planned_investment"] == "410050000.00"
    assert row["currency"] == "CNY"
    assert client.get(f"{LIST}BIG/").json()["planned_investment"] == "410050000.00"


def test_text_comes_in_both_languages_whatever_the_request_language(client):
    ProjectFactory(code="A", title_zh_hans="安置房", title_en="Relocation housing")

    for language in ("en", "zh-hans"):
        row = client.get(LIST, HTTP_ACCEPT_LANGUAGE=language).json()["results"][0]
        assert row["title"] == {"zh-hans": "安置房", "en": "Relocation housing"}
        assert row["summary"] == {"zh-hans": "", "en": ""}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_choice_labels_follow_accept_language(client, language):
    ProjectFactory(code="A", status=Project.Status.IMPLEMENTATION, field=Project.Field.LIVELIHOOD)

    response = client.get(LIST, HTTP_ACCEPT_LANGUAGE=language)

    row = response.json()["results"][0]
    with translation.override(language):
        assert row["status"] == "implementation"
        assert row["status_label"] == str(Project.Status.IMPLEMENTATION.label)
        assert row["field_label"] == str(Project.Field.LIVELIHOOD.label)
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]


def test_language_is_negotiated_although_i18n_patterns_pin_unprefixed_urls(client):
    # The refusal of a page beyond the end shows whose language the API answered in.
    ProjectFactory()

    english = client.get(LIST, {"page": 9}, HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get(LIST, {"page": 9}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english.status_code == chinese.status_code == 400
    assert english.json()["errors"]["page"] == ["There is no page 9: the last page is 1."]
    assert chinese.json()["errors"]["page"] == ["没有第 9 页：最后一页是第 1 页。"]


def test_detail_has_everything_a_partner_needs(client, places):
    district, township, village, _ = places
    programme = ProgrammeFactory(code="hangzhou-seni")
    period = PlanPeriodFactory(programme=programme)
    project = ProjectFactory(
        code="HZ-001",
        programme=programme,
        plan_period=period,
        place=village,
        title_zh_hans="安置房",
        title_en="Relocation housing",
        field=Project.Field.LIVELIHOOD,
        category=Project.Category.HOUSING,
        planned_investment=Decimal("12500000.50"),
        beneficiaries=85,
        beneficiary_unit=Project.BeneficiaryUnit.HOUSEHOLDS,
        illustrative_fields=["planned_start"],
    )
    bureau = OrganisationFactory(
        code="SENI-HB", name_zh_hans="色尼区住建局", name_en="Housing bureau"
    )
    ParticipantFactory(project=project, organisation=bureau, role=Participant.Role.IMPLEMENTING)
    MilestoneFactory(project=project, kind=Milestone.Kind.APPROVAL, date_precision="month")
    MilestoneFactory(
        project=project,
        kind=Milestone.Kind.CUSTOM,
        title_zh_hans="验收",
        title_en="Acceptance",
        actual_date=None,
        planned_date=datetime.date(2025, 3, 1),
        illustrative=True,
    )
    IndicatorFactory(project=project, baseline=0, target=Decimal("85"), actual=Decimal("17"))
    update = ProgressUpdateFactory(project=project, title_en="Roofs on")
    hidden = ProgressUpdateFactory(project=project, title_en="Draft note", published=False)
    Photo.objects.create(project=project, update=update, image=png(), caption_en="Roofs")
    Photo.objects.create(project=project, update=hidden, image=png("h.png"), caption_en="Hidden")

    body = client.get(f"{LIST}HZ-001/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert body["programme"] == "hangzhou-seni"
    assert body["plan_period"] == {
        "code": "14th",
        "name": {"zh-hans": "十四五", "en": "14th Five-Year Plan"},
        "start_year": 2021,
        "end_year": 2025,
    }
    assert body["place"] == {
        "id": village.pk,
        "name": {"zh-hans": village.name_zh_hans, "en": "Village 1"},
        "level": "village",
        "level_label": "village",
    }
    assert (body["field"], body["field_label"]) == ("livelihood", "Livelihood")
    assert (body["category"], body["category_label"]) == ("housing", "Housing")
    assert body["planned_investment"] == "12500000.50"
    assert (body["beneficiaries"], body["beneficiary_unit"]) == (85, "households")
    assert body["illustrative_fields"] == ["planned_start"]
    assert body["participants"] == [
        {
            "organisation": {
                "code": "SENI-HB",
                "name": {"zh-hans": "色尼区住建局", "en": "Housing bureau"},
                "short_name": {"zh-hans": "", "en": ""},
            },
            "role": "implementing",
            "role_label": "Implementing",
        }
    ]
    approval, acceptance = body["milestones"]
    assert approval["kind"] == "approval"
    assert approval["actual_date"] == "2023-01-10"
    assert approval["date_precision"] == "month"
    assert acceptance["label"] == "Acceptance"
    assert acceptance["title"] == {"zh-hans": "验收", "en": "Acceptance"}
    assert acceptance["illustrative"] is True
    (indicator,) = body["indicators"]
    assert indicator["target"] == "85.00"
    assert indicator["actual"] == "17.00"
    assert indicator["progress"] == "0.2000"
    assert [u["title"]["en"] for u in body["updates"]] == ["Roofs on"]
    (photo,) = body["updates"][0]["photos"]
    assert photo["caption"]["en"] == "Roofs"
    assert photo["image"].startswith("http://testserver/media/projects/HZ-001/")
    assert photo["thumbnail"].startswith("http://testserver/media/")
    assert photo["thumbnail"] != photo["image"]
    assert [p["caption"]["en"] for p in body["photos"]] == ["Roofs"]


def test_list_queries_do_not_grow_with_the_page(client, django_assert_max_num_queries, places):
    _, _, village, _ = places
    programme = ProgrammeFactory()
    period = PlanPeriodFactory(programme=programme)

    def grow(n):
        for _ in range(n - Project.objects.count()):
            ProjectFactory(programme=programme, plan_period=period, place=village)

    assert_constant_queries(client, LIST, grow, django_assert_max_num_queries, most=2)


def test_timeline_never_links_an_unpublished_project(client):
    programme = ProgrammeFactory(code="hangzhou-seni")
    published = ProjectFactory(code="PUB", programme=programme)
    draft = ProjectFactory(code="DRAFT", programme=programme, published=False)
    TimelineEventFactory(programme=programme, project=published, date=datetime.date(2024, 1, 1))
    TimelineEventFactory(programme=programme, project=draft, date=datetime.date(2023, 1, 1))
    TimelineEventFactory(programme=programme, date=datetime.date(2022, 1, 1), published=False)

    response = client.get("/api/v1/timeline/")

    rows = response.json()["results"]
    assert [(row["date"], row["project"]) for row in rows] == [
        ("2024-01-01", "PUB"),
        ("2023-01-01", None),
    ]
    assert b"DRAFT" not in response.content
    assert rows[0]["programme"] == "hangzhou-seni"
    assert set(rows[0]["title"]) == {"zh-hans", "en"}


def test_each_event_in_the_timeline_is_written_as_its_own_page_writes_it(client):
    programme = ProgrammeFactory()
    published = ProjectFactory(programme=programme)
    draft = ProjectFactory(programme=programme, published=False)
    TimelineEventFactory(programme=programme, project=published, date_precision="day")
    TimelineEventFactory(programme=programme, project=draft, date_precision="month")
    TimelineEventFactory(programme=programme, date_precision="year", title_en="", illustrative=True)

    compared = assert_each_row_is_its_own_page(
        client, "/api/v1/timeline/", lambda row: f"/api/v1/timeline/{row['id']}/"
    )

    assert compared == 6


def test_timeline_filters_by_programme_and_year(client):
    first = ProgrammeFactory(code="first")
    second = ProgrammeFactory(code="second")
    TimelineEventFactory(programme=first, date=datetime.date(2023, 5, 1), title_en="A")
    TimelineEventFactory(programme=first, date=datetime.date(2024, 5, 1), title_en="B")
    TimelineEventFactory(programme=second, date=datetime.date(2024, 6, 1), title_en="C")

    def titles(params):
        response = client.get("/api/v1/timeline/", params)
        assert response.status_code == 200
        return [row["title"]["en"] for row in response.json()["results"]]

    assert titles({"programme": "first"}) == ["B", "A"]
    assert titles({"year": 2024}) == ["C", "B"]
    assert titles({"programme": "first", "year": 2023}) == ["A"]


def test_timeline_queries_do_not_grow_with_the_page(client, django_assert_max_num_queries):
    programme = ProgrammeFactory()

    def grow(n):
        for _ in range(n - TimelineEvent.objects.count()):
            project = ProjectFactory(programme=programme)
            TimelineEventFactory(programme=programme, project=project)

    assert_constant_queries(
        client, "/api/v1/timeline/", grow, django_assert_max_num_queries, most=2
    )
