"""A retried POST never writes twice."""

import datetime
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from api.models import AuditEntry, IdempotencyRecord
from projects import services
from projects.models import ProgressUpdate

BODY = {"date": "2024-06-01", "title": {"zh-hans": "竣工验收", "en": "Acceptance"}}


def post(client, world, key, body=None):
    return client.post(
        "/api/v1/updates/",
        {"project": world.project.code, **(body or BODY)},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


@pytest.mark.django_db
def test_a_retry_returns_the_first_answer_and_writes_nothing(world, callers):
    first = post(callers["key_a"], world, "retry-1")
    count = ProgressUpdate.objects.count()

    again = post(callers["key_a"], world, "retry-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true"
    assert ProgressUpdate.objects.count() == count
    assert AuditEntry.objects.filter(action="create").count() == 1


@pytest.mark.django_db
def test_json_spacing_and_key_order_do_not_make_another_request(world, callers):
    post(callers["key_a"], world, "order-1")
    count = ProgressUpdate.objects.count()
    reordered = (
        '{"title": {"en": "Acceptance", "zh-hans": "竣工验收"},   "date": "2024-06-01", '
        f'"project": "{world.project.code}"}}'
    )

    again = callers["key_a"].post(
        "/api/v1/updates/",
        reordered,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="order-1",
    )

    assert again.status_code == 201
    assert ProgressUpdate.objects.count() == count


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_422(world, callers):
    post(callers["key_a"], world, "reuse-1")
    count = ProgressUpdate.objects.count()

    other = post(callers["key_a"], world, "reuse-1", {**BODY, "date": "2024-06-02"})

    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert ProgressUpdate.objects.count() == count


@pytest.mark.django_db
def test_keys_belong_to_their_caller(world, callers):
    first = post(callers["key_a"], world, "shared-name")
    second = post(callers["key_b"], world, "shared-name", {**BODY, "date": "2024-06-03"})

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


@pytest.mark.django_db
def test_a_refused_request_releases_its_key_for_the_corrected_retry(world, callers):
    refused = post(callers["key_a"], world, "fix-1", {**BODY, "date": "2024-02-30"})
    assert refused.status_code == 400
    assert "date" in refused.json()["errors"]

    corrected = post(callers["key_a"], world, "fix-1")

    assert corrected.status_code == 201


@pytest.mark.django_db
def test_answers_are_kept_a_day_and_then_the_key_is_free(world, callers, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    first = post(callers["key_a"], world, "day-1")
    record = IdempotencyRecord.objects.get(key="day-1")
    record.created_at = timezone.now() - datetime.timedelta(hours=23, minutes=50)
    record.save()

    assert post(callers["key_a"], world, "day-1").json() == first.json()

    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    later = post(callers["key_a"], world, "day-1", {**BODY, "date": "2024-06-04"})
    assert later.status_code == 201
    assert later.json()["id"] != first.json()["id"]


@pytest.mark.django_db
def test_an_unsuitable_key_is_refused(world, callers):
    response = post(callers["key_a"], world, "x" * 256)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]


@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_is_running_is_a_409(world, monkeypatch):
    started, release = threading.Event(), threading.Event()
    submit = services.progress_update_submit

    def slow_submit(**kwargs):
        started.set()
        release.wait(10)
        return submit(**kwargs)

    monkeypatch.setattr(services, "progress_update_submit", slow_submit)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world.keys['key_a']}"}
    answers = {}

    def first_request():
        try:
            answers["first"] = post(Client(**headers), world, "slow-1")
        finally:
            connection.close()

    worker = threading.Thread(target=first_request)
    worker.start()
    assert started.wait(10)

    answers["retry"] = post(Client(**headers), world, "slow-1")
    release.set()
    worker.join(10)

    assert answers["retry"].status_code == 409
    assert answers["retry"].json()["type"].endswith("/idempotency-in-progress")
    assert answers["first"].status_code == 201
    assert ProgressUpdate.objects.filter(title_en="Acceptance").count() == 1
    # Once the first has finished, the retry gets its answer.
    assert post(Client(**headers), world, "slow-1").json() == answers["first"].json()


@pytest.mark.django_db(transaction=True)
def test_parallel_identical_posts_write_once(world):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world.keys['key_a']}"}
    barrier = threading.Barrier(4)
    statuses = []

    def send():
        try:
            barrier.wait(10)
            statuses.append(post(Client(**headers), world, "burst-1").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert ProgressUpdate.objects.filter(title_en="Acceptance").count() == 1
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
