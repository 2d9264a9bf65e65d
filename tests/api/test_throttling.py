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


def forwarded_statuses(addresses: list[str], remote: str = "198.51.100.9") -> list[int]:
    """One anonymous request per X-Forwarded-For value, all over connections from `remote`."""
    client = Client(REMOTE_ADDR=remote)
    return [client.get(URL, HTTP_X_FORWARDED_FOR=value).status_code for value in addresses]


def test_with_no_proxy_a_rotating_x_forwarded_for_does_not_escape_the_limit(db, settings):
    settings.NUM_PROXIES = 0
    rotating = [f"203.0.113.{n}" for n in range(1, 7)]

    assert forwarded_statuses(rotating) == [200, 200, 200, 429, 429, 429]


def test_behind_one_proxy_callers_are_counted_by_the_address_the_proxy_saw(db, settings):
    settings.NUM_PROXIES = 1
    # Every request comes from the proxy; the proxy appends the address it was connected from.
    first = ["203.0.113.1"] * 4
    second = ["203.0.113.2"] * 3

    assert forwarded_statuses(first) == [200, 200, 200, 429]
    assert forwarded_statuses(second) == [200, 200, 200]


def test_behind_one_proxy_entries_the_caller_adds_to_the_left_are_ignored(db, settings):
    settings.NUM_PROXIES = 1
    forged = [f"192.0.2.{n}, 203.0.113.1" for n in range(1, 6)]

    assert forwarded_statuses(forged) == [200, 200, 200, 429, 429]


def test_a_request_that_bypassed_the_proxies_is_counted_by_its_connection(db, settings):
    settings.NUM_PROXIES = 2
    # Two entries are needed behind two proxies; one means a proxy was skipped and it may be forged.
    rotating = [f"203.0.113.{n}" for n in range(1, 5)]

    assert forwarded_statuses(rotating) == [200, 200, 200, 429]


def test_a_forwarded_entry_that_is_no_address_counts_against_the_connection(db, settings):
    settings.NUM_PROXIES = 1
    garbage = [f"client-{n}" for n in range(1, 5)]

    assert forwarded_statuses(garbage) == [200, 200, 200, 429]
