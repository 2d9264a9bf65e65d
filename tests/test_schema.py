import re

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/projects/",
    "/api/v1/projects/{code}/",
    "/api/v1/projects/{code}/workflow/",
    "/api/v1/timeline/",
    "/api/v1/timeline/{id}/",
    "/api/v1/organisations/",
    "/api/v1/organisations/{code}/",
    "/api/v1/places/",
    "/api/v1/places/{id}/",
    "/api/v1/programmes/",
    "/api/v1/programmes/{code}/",
    "/api/v1/updates/",
    "/api/v1/updates/{id}/",
    "/api/v1/projects/{code}/inspections/",
    "/api/v1/inspections/",
    "/api/v1/inspections/{id}/",
    "/api/v1/funding/entries/",
    "/api/v1/funding/entries/{id}/",
    "/api/v1/funding/entries/{id}/reverse/",
    "/api/v1/funding/summary/",
    "/api/v1/funding/donations/",
    "/api/v1/funding/donations/{id}/",
    "/api/v1/funding/donations/summary/",
    "/api/v1/medical/lists/",
    "/api/v1/medical/lists/{id}/",
    "/api/v1/medical/items/",
    "/api/v1/medical/items/{id}/",
    "/api/v1/medical/items/{id}/claim/",
    "/api/v1/medical/claims/",
    "/api/v1/medical/claims/{id}/",
    "/api/v1/medical/claims/{id}/reports/",
    "/api/v1/medical/claims/{id}/deliver/",
    "/api/v1/medical/leaderboard/",
    "/api/v1/medical/outreach/",
    "/api/v1/education/programmes/",
    "/api/v1/education/programmes/{id}/",
    "/api/v1/education/cohorts/",
    "/api/v1/education/cohorts/{id}/",
    "/api/v1/education/cohorts/{id}/stats/",
    "/api/v1/education/students/",
    "/api/v1/education/students/{public_id}/",
    "/api/v1/education/results/",
    "/api/v1/education/results/{id}/",
    "/api/v1/changes/",
    "/api/v1/webhooks/",
    "/api/v1/webhooks/{id}/",
    "/api/v1/problems/",
    "/api/v1/problems/{slug}",
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
    # What the page loads (scripts, stylesheets, the icon), not where its links lead.
    assets = re.findall(r'(?:src|<link [^>]*href)="([^"]*)"', html)
    assert assets
    # The start-up script is served by the docs view itself (?script=), not inline.
    assert all(asset.startswith(("/static/", "/api/v1/docs/?script")) for asset in assets), assets
    assert "<script>" not in html
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.IGNORECASE)


def test_schema_documents_the_bearer_scheme_and_problem_answers(schema):
    assert schema["components"]["securitySchemes"]["partnerKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["partnerKey"]["description"],
    }
    create = schema["paths"]["/api/v1/updates/"]["post"]
    assert {"201", "400", "401", "403", "409", "422", "429"} <= set(create["responses"])
    problem = create["responses"]["400"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}
    change = schema["paths"]["/api/v1/updates/{id}/"]["patch"]
    assert {"412", "428"} <= set(change["responses"])
    assert any(p["name"] == "If-Match" and p["required"] for p in change["parameters"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])


def test_schema_follows_accept_language_and_lang_wins(client):
    cjk = re.compile(r"[\u4e00-\u9fff]")
    english = client.get("/api/v1/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get("/api/v1/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    asked = client.get(
        "/api/v1/schema/", {"format": "json", "lang": "en"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    plain = client.get("/api/v1/schema/", {"format": "json"})

    assert english["Content-Language"] == "en"
    assert chinese["Content-Language"] == "zh-hans"
    assert "Accept-Language" in english["Vary"]
    # The introduction and what DRF and the models translate (page parameters, titles) follow it.
    for response, chinese_expected in ((english, False), (chinese, True)):
        document = response.json()
        page = document["paths"]["/api/v1/projects/"]["get"]["parameters"]
        texts = [document["info"]["description"], *(p.get("description", "") for p in page)]
        assert bool(cjk.search(" ".join(texts))) is chinese_expected
    assert asked.json() == english.json()
    assert plain.json() == english.json()


def _operation(schema, path, method):
    return schema["paths"][path][method]


def _parameter(operation, name):
    return next(p for p in operation["parameters"] if p["name"] == name)


def test_schema_says_what_the_api_enforces(schema):
    claim = _operation(schema, "/api/v1/medical/items/{id}/claim/", "post")
    assert _parameter(claim, "id")["schema"] == {"type": "integer", "minimum": 1}
    key = _parameter(claim, "Idempotency-Key")["schema"]
    assert (key["minLength"], key["maxLength"]) == (1, 255)
    for path in (
        "/api/v1/medical/items/{id}/claim/",
        "/api/v1/medical/claims/{id}/reports/",
        "/api/v1/medical/claims/{id}/deliver/",
    ):
        assert {"413", "414", "415", "422"} <= set(_operation(schema, path, "post")["responses"])

    entries = _operation(schema, "/api/v1/funding/entries/", "get")
    assert _parameter(entries, "year")["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 9999,
    }
    assert _parameter(entries, "page_size")["schema"]["minimum"] == 1
    projects = _operation(schema, "/api/v1/projects/", "get")
    assert _parameter(projects, "page")["schema"] == {"type": "integer", "minimum": 1}
    assert _parameter(projects, "page_size")["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
    }

    components = schema["components"]["schemas"]
    for name in ("ClaimInput", "ReportInput", "DeliverInput", "ProgressUpdateInput"):
        assert components[name]["additionalProperties"] is False, name
    report_text = components["ReportInput"]["properties"]["text"]
    assert report_text["minLength"] == 1 and "pattern" in report_text
    amount = components["LedgerEntryInput"]["properties"]["amount"]
    assert not re.fullmatch(amount["pattern"], "-1.00")
    assert re.fullmatch(amount["pattern"], "1.00")


def test_schema_types_answers_and_their_headers(schema):
    create = _operation(schema, "/api/v1/updates/", "post")["responses"]["201"]
    assert create["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProgressUpdateOutput"
    }
    assert {"ETag", "Location", "Idempotent-Replayed"} <= set(create["headers"])
    assert "updates_partial_update" in create["links"]
    change = _operation(schema, "/api/v1/updates/{id}/", "patch")["responses"]["200"]
    assert change["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProgressUpdateOutput"
    }
    read = _operation(schema, "/api/v1/updates/{id}/", "get")["responses"]
    assert set(read["200"]["headers"]) == {"ETag"}
    assert set(read["429"]["headers"]) == {"Retry-After"}
    assert set(schema["components"]["headers"]) == {
        "ETag",
        "Location",
        "Idempotent-Replayed",
        "Retry-After",
    }
    reports = _operation(schema, "/api/v1/medical/claims/{id}/reports/", "get")
    assert reports["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Report"},
    }
    assert [p["name"] for p in reports["parameters"]] == ["id"]
