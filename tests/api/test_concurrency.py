"""Optimistic concurrency: a change must name the version it was made against."""

import threading

import pytest
from django.db import connection
from django.test import Client

from projects.models import ProgressUpdate


def patch(client, url, body, etag=None):
    headers = {"HTTP_IF_MATCH": etag} if etag is not None else {}
    return client.patch(url, body, content_type="application/json", **headers)


@pytest.mark.django_db
def test_reads_carry_an_etag_that_changes_with_the_record(world, callers):
    url = f"/api/v1/updates/{world.a_draft.pk}/"
    first = callers["key_a"].get(url)["ETag"]

    changed = patch(callers["key_a"], url, {"title": {"en": "v2"}}, first)

    assert first.startswith('"') and first.endswith('"')
    assert changed.status_code == 200
    assert changed["ETag"] != first
    assert callers["key_a"].get(url)["ETag"] == changed["ETag"]


@pytest.mark.django_db
def test_a_change_without_if_match_is_a_428_and_changes_nothing(world, callers):
    url = f"/api/v1/updates/{world.a_draft.pk}/"

    response = patch(callers["key_a"], url, {"title": {"en": "v2"}})

    assert response.status_code == 428
    assert response["Content-Type"] == "application/problem+json"
    world.a_draft.refresh_from_db()
    assert world.a_draft.title_en != "v2"


@pytest.mark.django_db
def test_a_change_against_an_old_version_is_a_412(world, callers):
    url = f"/api/v1/updates/{world.a_draft.pk}/"
    stale = callers["key_a"].get(url)["ETag"]
    assert patch(callers["key_a"], url, {"title": {"en": "first"}}, stale).status_code == 200

    late = patch(callers["key_a"], url, {"title": {"en": "second"}}, stale)

    assert late.status_code == 412
    world.a_draft.refresh_from_db()
    assert world.a_draft.title_en == "first"


@pytest.mark.django_db
def test_weak_and_listed_etags_are_understood(world, callers):
    url = f"/api/v1/updates/{world.a_draft.pk}/"
    etag = callers["key_a"].get(url)["ETag"]

    response = patch(callers["key_a"], url, {"title": {"en": "ok"}}, f'"nope", W/{etag}')

    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_writers_with_the_same_version_cannot_both_win(world):
    url = f"/api/v1/updates/{world.a_draft.pk}/"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world.keys['key_a']}"}
    etag = Client(**headers).get(url)["ETag"]
    barrier = threading.Barrier(2)
    results = {}

    def write(title):
        try:
            barrier.wait(10)
            results[title] = patch(
                Client(**headers), url, {"title": {"en": title}}, etag
            ).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(t,)) for t in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert sorted(results.values()) == [200, 412]
    winner = next(title for title, status in results.items() if status == 200)
    assert ProgressUpdate.objects.get(pk=world.a_draft.pk).title_en == winner


@pytest.mark.django_db
def test_the_etag_of_a_compressed_read_is_accepted_in_if_match(world, callers):
    url = f"/api/v1/updates/{world.a_draft.pk}/"
    read = callers["key_a"].get(url, HTTP_ACCEPT_ENCODING="gzip")
    # The body is compressed, so the tag is weak (RFC 9110 8.8.1); it still names the version.
    assert read["Content-Encoding"] == "gzip"
    assert read["ETag"].startswith('W/"')

    changed = patch(callers["key_a"], url, {"title": {"en": "from a gzip client"}}, read["ETag"])

    assert changed.status_code == 200
