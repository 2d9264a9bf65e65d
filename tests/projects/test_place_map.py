"""The location map: places drawn as SVG from their coordinates on the home page and each
project page, the project's own place highlighted; the projection puts a known coordinate where
it belongs."""

import math
import re
from decimal import Decimal

import pytest

from projects import selectors
from reference.models import Place
from tests.factories import PlaceFactory, ProgrammeFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_the_projection_puts_known_coordinates_at_the_expected_points():
    project = selectors.project_box(
        [(Decimal("31"), Decimal("92")), (Decimal("32"), Decimal("93"))],
        width=640,
        heights=(160, 400),
        margin=48,
    )
    shrink = math.cos(math.radians(31.5))  # 0.8526: a degree east is shorter than a degree north
    # One degree of latitude fills the 400-unit drawing less its margins (304 units); a degree of
    # longitude is 304 × cos(31.5°) = 259.2 units wide, centred in the 640 units.
    assert project.height == 400
    left = (640 - 304 * shrink) / 2
    assert project(Decimal("31"), Decimal("92")) == (round(left, 1), 352.0)  # south-west corner
    assert project(Decimal("32"), Decimal("93")) == (round(left + 304 * shrink, 1), 48.0)
    assert project(Decimal("31.5"), Decimal("92.5")) == (320.0, 200.0)  # the middle


def test_an_east_west_spread_fills_the_width_of_a_low_strip():
    project = selectors.project_box(
        [(Decimal("31"), Decimal("92")), (Decimal("31"), Decimal("94"))]
    )

    assert project.height == 160
    assert project(Decimal("31"), Decimal("92")) == (48.0, 80.0)
    assert project(Decimal("31"), Decimal("94")) == (592.0, 80.0)


def test_a_single_place_lands_in_the_middle():
    project = selectors.project_box([(Decimal("31.476"), Decimal("92.051"))])

    assert (project.width, project.height) == (640, 160)
    assert project(Decimal("31.476"), Decimal("92.051")) == (320.0, 80.0)


@pytest.fixture
def places():
    district = PlaceFactory(
        name_zh_hans="色尼区",
        name_en="Seni District",
        latitude=Decimal("31.476"),
        longitude=Decimal("92.051"),
    )

    def township(zh, en, lat, lon):
        return PlaceFactory(
            name_zh_hans=zh,
            name_en=en,
            level=Place.Level.TOWNSHIP,
            parent=district,
            latitude=lat and Decimal(lat),
            longitude=lon and Decimal(lon),
        )

    return {
        "district": district,
        "nagqu": township("那曲镇", "Nagqu Town", "31.47", "92.06"),
        "luoma": township("罗玛镇", "Luoma Town", "31.62", "91.87"),
        "gulu": township("古露镇", "Gulu Town", "30.86", "91.67"),
        "unmapped": township("达前乡", "Daqian Township", None, None),
    }


@pytest.fixture
def programme(places):
    return ProgrammeFactory(partner_place=places["district"])


def map_of(html: str) -> str:
    return re.search(r"<section[^>]*data-place-map.*?</section>", html, re.S).group()


def test_the_home_map_has_a_dot_and_a_label_per_place(client, programme, places):
    ProjectFactory(programme=programme, place=places["nagqu"])
    ProjectFactory(programme=programme, place=places["nagqu"])
    ProjectFactory(programme=programme, place=places["unmapped"])
    ProjectFactory(programme=programme, place=places["gulu"], published=False)
    elsewhere = PlaceFactory(name_zh_hans="别处", latitude=Decimal("30"), longitude=Decimal("120"))
    ProjectFactory(place=elsewhere)  # another programme's

    section = map_of(client.get("/").content.decode())

    svg = re.search(r"<svg.*?</svg>", section, re.S).group()
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    groups = re.findall(
        r'<g class="([^"]*)" data-place="(\d+)"[^>]*>\s*<circle[^>]*/>\s*<text[^>]*>([^<]*)</text>',
        svg,
    )
    drawn = {int(pk): (classes, label) for classes, pk, label in groups}
    mapped = ("district", "nagqu", "luoma", "gulu")
    assert set(drawn) == {places[key].pk for key in mapped}
    assert drawn[places["nagqu"].pk] == ("map-place level-township has-projects", "那曲镇")
    # Gulu's only project is unpublished: drawn as a township of the district, without projects.
    assert drawn[places["gulu"].pk] == ("map-place level-township", "古露镇")
    assert "别处" not in section
    assert "is-current" not in svg
    # The list beside the map says the same, and names the place that cannot be drawn.
    assert re.search(rf'<li data-place="{places["nagqu"].pk}">那曲镇: 2 个项目</li>', section)
    assert re.search(
        rf'<li data-place="{places["unmapped"].pk}" data-unplaced>达前乡: 1 个项目', section
    )


def test_north_is_up_and_west_is_left_on_the_map(client, programme, places):
    ProjectFactory(programme=programme, place=places["luoma"])

    svg = map_of(client.get("/en/").content.decode())

    def centre(place):
        match = re.search(rf'data-place="{place.pk}">\s*<circle cx="([\d.]+)" cy="([\d.]+)"', svg)
        return float(match.group(1)), float(match.group(2))

    luoma, gulu, nagqu = centre(places["luoma"]), centre(places["gulu"]), centre(places["nagqu"])
    assert luoma[1] < nagqu[1] < gulu[1]  # Luoma is furthest north, Gulu furthest south
    assert gulu[0] < luoma[0] < nagqu[0]  # Gulu furthest west, Nagqu furthest east
    assert ">Luoma Town</text>" in svg


def test_the_project_page_highlights_its_place_among_the_others(client, programme, places):
    project = ProjectFactory(programme=programme, place=places["nagqu"])
    ProjectFactory(programme=programme, place=places["luoma"])

    section = map_of(client.get(f"/projects/{project.code}/").content.decode())

    current = re.findall(
        r'<g class="[^"]*is-current[^"]*" data-place="(\d+)" data-current>', section
    )
    assert current == [str(places["nagqu"].pk)]
    assert re.search(
        rf'data-place="{places["luoma"].pk}">\s*<circle[^>]*/>\s*<text[^>]*>罗玛镇<', section
    )
    assert re.search(
        rf'<li data-place="{places["nagqu"].pk}" class="is-current">'
        r"那曲镇: 1 个项目 \(本项目\)</li>",
        section,
    )


def test_a_project_whose_place_has_no_coordinates_is_listed_beside_the_map(
    client, programme, places
):
    project = ProjectFactory(programme=programme, place=places["unmapped"])

    section = map_of(client.get(f"/en/projects/{project.code}/").content.decode())

    assert "is-current" not in section
    assert re.search(
        r"data-unplaced>Daqian Township: 1 project \(this project\); not on the map", section
    )


def test_no_map_where_no_place_is_known(client):
    programme = ProgrammeFactory()
    project = ProjectFactory(programme=programme, place=None)

    assert "data-place-map" not in client.get("/").content.decode()
    assert "data-place-map" not in client.get(f"/projects/{project.code}/").content.decode()


def test_the_map_takes_one_query_however_many_places(programme, places, django_assert_num_queries):
    for key in ("nagqu", "luoma", "gulu", "unmapped"):
        ProjectFactory(programme=programme, place=places[key])

    with django_assert_num_queries(1):
        place_map = selectors.place_map(programme)

    assert len(place_map.points) == 4 and len(place_map.unplaced) == 1
