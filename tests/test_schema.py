import re

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/projects/",
    "/api/v1/projects/{code}/",
    "/api/v1/timeline/",
    "/api/v1/timeline/{id}/",
    "/api/v1/organisations/",
    "/api/v1/organisations/{code}/",
    "/api/v1/places/",
    "/api/v1/places/{id}/",
    "/api/v1/programmes/",
    "/api/v1/programmes/{code}/",
}


@pytest.fixture
def schema(tmp_path):
    path = tmp_path / "schema.yaml"
    # --fail-on-warn: an untyped field or filter fails the build rather than reaching partners.
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(path),
    )
    return yaml.safe_load(path.read_text())


def test_schema_is_valid_openapi_3_and_lists_every_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == ENDPOINTS


def test_schema_types_bilingual_text_and_money(schema):
    components = schema["components"]["schemas"]
    assert components["BilingualText"]["properties"] == {
        "zh-hans": {"type": "string"},
        "en": {"type": "string"},
    }
    project = components["ProjectDetail"]["properties"]
    assert project["title"]["allOf"] == [{"$ref": "#/components/schemas/BilingualText"}]
    assert project["planned_investment"]["type"] == "string"
    assert project["planned_investment"]["format"] == "decimal"
    place = components["Place"]["properties"]
    assert place["latitude"]["type"] == "string"
    assert place["latitude"]["nullable"] is True


def test_schema_is_served(client):
    response = client.get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "AidPortal API"


def test_docs_page_loads_its_assets_from_this_site_only(client):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert assets
    assert all(asset.startswith("/static/") for asset in assets), assets
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.IGNORECASE)
