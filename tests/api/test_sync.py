"""Incremental sync of progress updates: cursor pages over (updated_at, id), `updated_since`, no
COUNT(*), and list queries that do not grow with the page, for partner keys too."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from projects.models import Photo, ProgressUpdate, Project, TimelineEvent
from reference.models import Organisation, Place, Programme
from tests.api_utils import assert_constant_queries, assert_each_row_is_its_own_page
from tests.factories import (
    OrganisationFactory,
    PlaceFactory,
    PlanPeriodFactory,
    ProgrammeFactory,
    ProgressUpdateFactory,
    ProjectFactory,
    TimelineEventFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/updates/"
MOMENT = timezone.make_aware(datetime.datetime(2025, 3, 1, 12, 0))


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def walk(client, url: str, params: dict) -> list[dict]:
    """Every row, following `next` links to the end."""
    rows, pages = [], 0
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert "count" not in body
        rows.extend(body["results"])
        pages += 1
        assert pages < 100
        if not body["next"]:
            return rows
        response = client.get(body["next"])


@pytest.fixture
def many_updates(world):
    """Updates of A (drafts), B (drafts) and published ones, several changed at the same moment."""
    for _ in range(4):
        ProgressUpdateFactory(project=world.project, organisation=world.org_a, published=False)
        ProgressUpdateFactory(project=world.project, organisation=world.org_b, published=False)
        ProgressUpdateFactory(project=world.project, published=True)
    updates = list(ProgressUpdate.objects.order_by("id"))
    for index, update in enumerate(updates):
        # Three updates per moment: ties the cursor must page through by id.
        moment = MOMENT + datetime.timedelta(hours=index // 3)
        ProgressUpdate.objects.filter(pk=update.pk).update(updated_at=moment)
    return world


def visible_to_a(world):
    return ProgressUpdate.objects.filter(organisation=world.org_a) | ProgressUpdate.objects.filter(
        published=True, project__published=True
    )


def test_walking_next_links_returns_every_visible_update_once_in_a_stable_order(
    many_updates, callers
):
    world = many_updates
    rows = walk(callers["key_a"], URL, {"page_size": 2})

    ids = [row["id"] for row in rows]
    expected = list(visible_to_a(world).order_by("updated_at", "id").values_list("id", flat=True))
    assert ids == expected
    assert len(set(ids)) == len(ids)
    assert not {world.b_draft.pk} & set(ids)


def test_anonymous_sync_sees_only_public_updates(many_updates, client):
    rows = walk(client, URL, {"page_size": 2})

    assert {row["id"] for row in rows} == set(
        ProgressUpdate.objects.filter(published=True, project__published=True).values_list(
            "id", flat=True
        )
    )


def test_a_change_between_pages_is_seen_once_by_resuming_from_the_last_updated_at(
    many_updates, callers
):
    client = callers["key_a"]
    first = client.get(URL, {"page_size": 2}).json()
    seen = first["results"][-1]["updated_at"]
    changed = ProgressUpdate.objects.get(pk=first["results"][0]["id"])
    changed.title_zh_hans = "改了"
    changed.save()

    rest = walk(client, URL, {"page_size": 2, "updated_since": seen})

    assert [row["id"] for row in rest].count(changed.pk) == 1
    assert rest[-1]["id"] == changed.pk


@pytest.mark.parametrize("spelling", ["iso_z", "iso_offset", "iso_beijing"])
def test_updated_since_returns_only_updates_changed_at_or_after_it(many_updates, callers, spelling):
    since = MOMENT + datetime.timedelta(hours=2)
    value = {
        "iso_z": since.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "iso_offset": since.astimezone(datetime.UTC).isoformat(),
        "iso_beijing": since.astimezone(datetime.timezone(datetime.timedelta(hours=8))).isoformat(),
    }[spelling]

    rows = walk(callers["key_a"], URL, {"updated_since": value, "page_size": 50})

    expected = visible_to_a(many_updates).filter(updated_at__gte=since)
    assert sorted(row["id"] for row in rows) == sorted(expected.values_list("id", flat=True))
    # The boundary is inclusive: the three updates changed exactly then are there.
    assert expected.filter(updated_at=since).exists()
    assert all(datetime.datetime.fromisoformat(row["updated_at"]) >= since for row in rows), rows


def test_the_update_list_runs_no_count_query(many_updates, callers):
    client = callers["key_a"]
    client.get(URL)  # the key's first use records it; not part of the list's cost

    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, {"page_size": 2})
        client.get(response.json()["next"])

    assert not [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()]


def test_each_caller_reads_an_update_in_the_list_as_its_own_page_writes_it(world, callers):
    image = png()
    # Photos of an update in their own order, an update with none, one staff wrote (no
    # organisation), drafts its reporter and staff see, a text in one language.
    for order, caption in ((2, "二"), (1, "一"), (3, "三")):
        Photo.objects.create(
            project=world.project,
            update=world.b_published,
            image=SimpleUploadedFile("p.png", image, content_type="image/png"),
            caption=caption,
            order=order,
        )
    ProgressUpdate.objects.filter(pk=world.staff_published.pk).update(text_en="")

    for caller, rows in (("anonymous", 2), ("key_a", 3), ("programme_staff", 4)):
        compared = assert_each_row_is_its_own_page(
            callers[caller], URL, lambda row: f"{URL}{row['id']}/"
        )
        assert compared == 2 * rows, caller
    listed = callers["anonymous"].get(URL).json()["results"]
    photos = next(row["photos"] for row in listed if row["id"] == world.b_published.pk)
    assert [photo["caption"]["zh-hans"] for photo in photos] == ["一", "二", "三"]


def test_update_list_queries_do_not_grow_with_updates_and_photos(
    world, callers, django_assert_max_num_queries
):
    client = callers["key_a"]
    client.get(URL)
    image = png()
    organisations = [world.org_a, world.org_b, None]

    def grow(n):
        for index in range(n - ProgressUpdate.objects.filter(published=True).count()):
            project = ProjectFactory()
            update = ProgressUpdateFactory(
                project=project, organisation=organisations[index % 3], published=True
            )
            Photo.objects.create(
                project=project,
                update=update,
                image=SimpleUploadedFile("p.png", image, content_type="image/png"),
                caption="照片",
            )

    # Only published updates, so that the page is full whatever the organisation.
    url = f"{URL}?published=true"
    assert_constant_queries(client, url, grow, django_assert_max_num_queries, most=3)


def _grow_projects(n):
    programme = ProgrammeFactory()
    period = PlanPeriodFactory(programme=programme)
    place = PlaceFactory()
    for _ in range(n - Project.objects.filter(published=True).count()):
        ProjectFactory(programme=programme, plan_period=period, place=place)


def _grow_organisations(n):
    parent = OrganisationFactory(code="PARENT")
    for _ in range(n - Organisation.objects.count()):
        OrganisationFactory(parent=parent)


def _grow_places(n):
    district = PlaceFactory()
    for _ in range(n - Place.objects.count()):
        PlaceFactory(level=Place.Level.TOWNSHIP, parent=district)


def _grow_programmes(n):
    for _ in range(n - Programme.objects.count()):
        PlanPeriodFactory(programme=ProgrammeFactory())


def _grow_timeline(n):
    programme = ProgrammeFactory()
    for _ in range(n - TimelineEvent.objects.filter(published=True).count()):
        TimelineEventFactory(programme=programme, project=ProjectFactory(programme=programme))


@pytest.mark.parametrize(
    ("url", "grow", "most"),
    [
        ("/api/v1/projects/", _grow_projects, 3),
        ("/api/v1/organisations/", _grow_organisations, 3),
        ("/api/v1/places/", _grow_places, 3),
        ("/api/v1/programmes/", _grow_programmes, 4),
        ("/api/v1/timeline/", _grow_timeline, 3),
    ],
)
def test_list_queries_with_a_partner_key_do_not_grow_with_the_page(
    world, callers, django_assert_max_num_queries, url, grow, most
):
    client = callers["key_a"]
    client.get(url)  # the key's first use records it; not part of the list's cost

    assert_constant_queries(client, url, grow, django_assert_max_num_queries, most=most)
