import base64
import json

import pytest

from opendata.datasets import DATASETS


@pytest.fixture
def demo(demo_data):
    """The demo as `load_demo` writes it (loaded once per test process)."""


def body(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def files(client, tmp_path):
    """datapackage.json and every dataset in every format, as served, in a folder."""

    def fetch():
        descriptor = client.get("/data/datapackage.json")
        (tmp_path / "datapackage.json").write_bytes(body(descriptor))
        for dataset in DATASETS:
            for format in ("csv", "xlsx", "json"):
                response = client.get(f"/data/{dataset.name}.{format}")
                (tmp_path / f"{dataset.name}.{format}").write_bytes(body(response))
        return tmp_path, json.loads(descriptor.content)

    return fetch


@pytest.fixture
def queued_only():
    """Builds are sent to a broker no worker reads: the reader's side alone. Returns a function
    giving the datasets queued so far, in order."""
    import redis

    from aidportal.celery import app as celery_app
    from tests.changes.test_worker import BROKER, use_broker

    queue = redis.Redis.from_url(BROKER)
    queue.flushdb()
    before = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    use_broker(False, BROKER)

    def queued() -> list[str]:
        messages = [json.loads(message) for message in reversed(queue.lrange("celery", 0, -1))]
        return [json.loads(base64.b64decode(m["body"]))[0][0] for m in messages]

    yield queued
    use_broker(*before)
    queue.flushdb()
