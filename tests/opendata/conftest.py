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
