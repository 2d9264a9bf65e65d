"""Every list of the API refuses a page size, page or cursor it did not expect with a 400
problem naming the parameter, instead of quietly serving page 1 or a cut page."""

import base64

import pytest
from django.contrib.auth.models import User
from django.test import Client

from api.pagination import CursorPagination, PageNumberPagination
from api.urls import router
from tests.factories import OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"

LISTS = [
    (f"/api/v1/{prefix}/", viewset.pagination_class)
    for prefix, viewset, _basename in router.registry
    if hasattr(viewset, "list") and viewset.pagination_class is not None
]


def test_every_list_endpoint_is_covered():
    assert len(LISTS) >= 15
    assert all(
        issubclass(paginator, PageNumberPagination | CursorPagination) for _url, paginator in LISTS
    )


def encoded(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


def bad_queries(paginator) -> list[tuple[dict, str]]:
    too_big = str(paginator.max_page_size + 1)
    queries = [
        ({"page_size": value}, "page_size") for value in ("abc", "0", "-1", "1.5", "", too_big)
    ]
    if issubclass(paginator, PageNumberPagination):
        queries += [({"page": value}, "page") for value in ("abc", "0", "-1", "99")]
    else:
        queries += [
            ({"cursor": value}, "cursor")
            for value in ("garbage", encoded("o=-1"), encoded("r=x"), encoded("p=not-a-position"))
        ]
    return queries


@pytest.fixture
def root():
    # A superuser sees every list, the restricted education ones too.
    user = User.objects.create_superuser("root", password="x")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.mark.parametrize(("url", "paginator"), LISTS, ids=[url for url, _p in LISTS])
def test_bad_paging_parameters_are_a_400_naming_the_parameter(root, url, paginator):
    assert root.get(url).status_code == 200
    for query, parameter in bad_queries(paginator):
        response = root.get(url, query)
        assert response.status_code == 400, (query, response.content)
        assert response["Content-Type"] == PROBLEM
        body = response.json()
        assert body["type"] == "/api/v1/problems/validation-error"
        assert list(body["errors"]) == [parameter], (query, body)


@pytest.mark.parametrize(("url", "paginator"), LISTS, ids=[url for url, _p in LISTS])
def test_the_largest_page_size_is_served(root, url, paginator):
    response = root.get(url, {"page_size": paginator.max_page_size})
    assert response.status_code == 200, response.content


def test_a_page_beyond_the_end_names_the_last_page(root):
    ProjectFactory.create_batch(3)

    response = root.get("/api/v1/projects/", {"page_size": 2, "page": 3})

    assert response.status_code == 400
    assert response.json()["errors"] == {"page": ["There is no page 3: the last page is 2."]}
    assert root.get("/api/v1/projects/", {"page_size": 2, "page": 2}).status_code == 200


@pytest.mark.parametrize(
    ("url", "make"),
    [
        # Read as columns (projects) and as model instances (organisations).
        ("/api/v1/projects/", lambda: ProjectFactory.create_batch(5)),
        ("/api/v1/organisations/", lambda: OrganisationFactory.create_batch(5)),
    ],
)
def test_a_page_that_ends_the_list_is_counted_without_a_count(url, make, django_assert_num_queries):
    make()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    total = client.get(url, {"page_size": 100}).json()["count"]
    assert total >= 5
    seen = []
    pages = -(-total // 2)
    for page in range(1, pages + 1):
        # A full page is counted (two queries); the last, short one tells the count (one).
        short = page == pages and total % 2
        with django_assert_num_queries(1 if short else 2):
            body = client.get(url, {"page_size": 2, "page": page}).json()
        assert body["count"] == total
        assert (body["next"] is None) == (page == pages)
        seen += body["results"]
    # Every row once, in order: the pages cut the same list the count counted.
    with django_assert_num_queries(1):
        whole = client.get(url, {"page_size": 100}).json()
    assert seen == whole["results"] and whole["count"] == total


def test_an_empty_list_counts_none_and_a_page_past_it_is_refused(root):
    response = root.get("/api/v1/projects/", {"status": "cancelled"})
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
    refused = root.get("/api/v1/projects/", {"status": "cancelled", "page": 2})
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["page"]
