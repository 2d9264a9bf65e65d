"""Helpers the API tests share."""

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_per_page_size(client, url: str, grow: Callable[[int], None], sizes=(10, 100)):
    """Queries one list request makes at each page size, after `grow(n)` ensures n rows."""
    counts = {}
    for size in sizes:
        grow(size)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"page_size": size})
        assert response.status_code == 200, response.content
        assert len(response.json()["results"]) == size
        counts[size] = len(captured)
    return counts


def assert_constant_queries(client, url, grow, django_assert_max_num_queries, most: int):
    counts = queries_per_page_size(client, url, grow)
    assert counts[10] == counts[100], counts
    with django_assert_max_num_queries(most):
        client.get(url, {"page_size": 100})


def assert_each_row_is_its_own_page(client, url: str, detail_of: Callable[[dict], str]) -> int:
    """Every row of a list, in both languages, equals the record's own page: a list that
    writes its rows from columns must write them as the detail's serializer writes the record.
    Returns how many rows were compared."""
    compared = 0
    for language in ("en", "zh-hans"):
        response = client.get(url, {"page_size": 100}, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, response.content
        rows = response.json()["results"]
        assert rows, url
        for row in rows:
            page = client.get(detail_of(row), HTTP_ACCEPT_LANGUAGE=language)
            assert page.status_code == 200, page.content
            assert row == page.json(), (language, detail_of(row))
            compared += 1
    return compared
