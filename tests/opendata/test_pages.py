"""The /data/ page lists every dataset with its description, row count, formats and date, in
both languages. Its row counts come from the worker's builds, each true as of its time, and the
page asks the database the same few queries however many rows the datasets hold."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opendata import exports
from opendata.datasets import DATASETS
from opendata.models import Export
from tests.factories import MilestoneFactory, ParticipantFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def rows_of(page: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-dataset="([^"]+)">(.*?)</tr>', page, re.S))


def test_the_page_lists_every_dataset_in_both_languages(client, demo):
    for prefix, heading, projects in (
        ("", "数据下载", "项目"),
        ("/en", "Data downloads", "Projects"),
    ):
        response = client.get(f"{prefix}/data/")
        page = response.content.decode()
        rows = rows_of(page)

        assert response.status_code == 200 and response["ETag"]
        assert f"<h1>{heading}</h1>" in page
        assert list(rows) == [dataset.name for dataset in DATASETS]
        assert f'<th scope="row">{projects}</th>' in rows["projects"]
        for dataset in DATASETS:
            row = rows[dataset.name]
            assert f'<td class="num" data-rows>{dataset.count()}</td>' in row
            for format in ("csv", "json"):
                assert f'href="/data/{dataset.name}.{format}" download>' in row
            # Not a download link: while the file is being prepared, the answer is a page.
            assert f'href="/data/{dataset.name}.xlsx">' in row
            assert "<time datetime=" in row, dataset.name
        assert 'href="/data/datapackage.json"' in page
        assert 'rel="license"' in page


def test_the_page_and_the_footer_link_to_each_other(client, db):
    home = client.get("/en/").content.decode()
    sitemap = client.get("/sitemap.xml").content.decode()

    assert 'href="/en/data/"' in home
    assert "http://testserver/en/data/" in sitemap


def build_all() -> None:
    for dataset in DATASETS:
        exports.build(dataset.name)


def test_each_count_is_true_with_the_time_it_is_as_of(client, db, queued_only):
    ProjectFactory()

    never_built = rows_of(client.get("/en/data/").content.decode())

    assert "being counted" in never_built["projects"]
    assert "data-rows>" not in never_built["projects"].replace("data-rows><small", "")
    assert sorted(queued_only()) == sorted(dataset.name for dataset in DATASETS)

    build_all()
    built = rows_of(client.get("/en/data/").content.decode())
    assert '<td class="num" data-rows>1</td>' in built["projects"]

    build = Export.objects.get(dataset="projects")
    ProjectFactory()
    changed = rows_of(client.get("/en/data/").content.decode())
    as_of = timezone.localtime(build.as_of).isoformat()
    assert f'data-rows>1 <small data-rows-as-of="{as_of}">as of ' in changed["projects"]
    assert "being counted again" in changed["projects"]
    # Datasets nothing changed in keep their count as it is.
    assert '<td class="num" data-rows>0</td>' in changed["education-results"]
    page = client.get("/data/").content.decode()
    assert "正在重新统计" in rows_of(page)["projects"]


def page_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/en/data/")
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def add_projects(count: int) -> None:
    for _ in range(count):
        project = ProjectFactory()
        ParticipantFactory(project=project)
        MilestoneFactory(project=project)


def test_the_page_asks_the_same_queries_for_3_and_30_projects_and_counts_no_rows(
    client, db, queued_only
):
    add_projects(3)
    stale_small = page_queries(client)
    build_all()
    small = page_queries(client)
    add_projects(27)
    stale_large = page_queries(client)
    build_all()
    large = page_queries(client)

    assert len(small) == len(large) and len(stale_small) == len(stale_large)
    assert Export.objects.get(dataset="participants").rows == 30
    for sql in small + large + stale_small + stale_large:
        assert "COUNT(" not in sql.upper(), sql
