"""Request limits: per address for anonymous callers, per key for partners; 429 with Retry-After."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

URL = "/api/v1/projects/"


@pytest.fixture(autouse=True)
def low_rates(settings):
    # DRF reloads its settings when REST_FRAMEWORK changes; the throttles read them per request.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anonymous": "3/minute", "caller": "5/minute"},
    }


def statuses(client, times: int, url: str = URL) -> list[int]:
    return [client.get(url).status_code for _ in range(times)]


def assert_throttled(response):
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 429
    assert body["type"] == "/api/v1/problems/throttled"
    retry_after = int(response["Retry-After"])
    # Whole seconds, rounded up: at most the minute's window and the second under way.
    assert 0 < retry_after <= 61


def test_the_fourth_anonymous_request_in_a_minute_is_a_429_with_retry_after(db):
    client = Client()

    assert statuses(client, 3) == [200, 200, 200]
    assert_throttled(client.get(URL))
    # The limit is per caller, not per endpoint.
    assert_throttled(client.get("/api/v1/organisations/"))


def test_anonymous_callers_are_counted_per_address(db):
    first = Client(REMOTE_ADDR="192.0.2.1")
    second = Client(REMOTE_ADDR="192.0.2.2")

    assert statuses(first, 4) == [200, 200, 200, 429]
    assert statuses(second, 3) == [200, 200, 200]


def test_a_key_has_its_own_limit_apart_from_anonymous_callers_and_other_keys(world, callers):
    anonymous, key_a, key_b = callers["anonymous"], callers["key_a"], callers["key_b"]

    assert statuses(anonymous, 4) == [200, 200, 200, 429]
    # Anonymous callers from the same address spent their limit; the key has its own.
    assert statuses(key_a, 5) == [200] * 5
    assert_throttled(key_a.get(URL))
    assert statuses(key_b, 5) == [200] * 5
    assert_throttled(key_b.get(URL))


def test_two_keys_of_one_organisation_are_counted_apart(world, callers):
    key_a, key_a_read = callers["key_a"], callers["key_a_read"]

    assert statuses(key_a, 6) == [200] * 5 + [429]
    assert statuses(key_a_read, 5) == [200] * 5


def test_a_staff_session_has_its_own_limit(world, callers):
    anonymous, staff = callers["anonymous"], callers["programme_staff"]

    assert statuses(anonymous, 4)[-1] == 429
    assert statuses(staff, 6) == [200] * 5 + [429]


def test_a_throttled_answer_is_in_the_callers_language(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    statuses(client, 3)

    response = client.get(URL)

    assert_throttled(response)
    assert response.json()["title"] == "Too many requests"
    assert "seconds" in response.json()["detail"]
