"""The /data/ page lists every dataset with its description, row count, formats and date, in
both languages."""

import re

import pytest

from opendata.datasets import DATASETS

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
            for format in ("csv", "xlsx", "json"):
                assert f'href="/data/{dataset.name}.{format}"' in row
            assert "<time datetime=" in row, dataset.name
        assert 'href="/data/datapackage.json"' in page
        assert 'rel="license"' in page


def test_the_page_and_the_footer_link_to_each_other(client, db):
    home = client.get("/en/").content.decode()
    sitemap = client.get("/sitemap.xml").content.decode()

    assert 'href="/en/data/"' in home
    assert "http://testserver/en/data/" in sitemap
