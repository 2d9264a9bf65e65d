"""GET /api/v1/changes/ (the feed) and /api/v1/webhooks/ (endpoints partners register)."""

import pytest
from django.test import Client

from api.keys import issue_api_key
from changes.models import WebhookEndpoint
from tests.factories import (
    OrganisationFactory,
    ParticipantFactory,
    ProgressUpdateFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def world(settled):
    own, other = OrganisationFactory(code="own"), OrganisationFactory(code="other")
    public = ProjectFactory(code="P-PUBLIC", published=True)
    private = ProjectFactory(code="P-PRIVATE", published=False)
    ParticipantFactory(project=private, organisation=own)
    ProgressUpdateFactory(project=public, organisation=own, published=False)
    # Once it takes part, the organisation reads the unpublished project's changes.
    private.title_en = "Still private"
    private.save()
    settled()
    return {
        "own": bearer(issue_api_key(organisation=own, name="read")[1]),
        "other": bearer(issue_api_key(organisation=other, name="read")[1]),
        "manager": bearer(
            issue_api_key(organisation=own, name="hooks", capabilities=["webhooks:manage"])[1]
        ),
        "outsider": bearer(
            issue_api_key(organisation=other, name="hooks", capabilities=["webhooks:manage"])[1]
        ),
        "own_org": own,
    }


def feed(client, **params) -> dict:
    response = client.get("/api/v1/changes/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_anyone_reads_public_events_and_a_key_its_organisation_s_private_ones(world):
    anonymous = {(e["type"], e["resource_id"]) for e in feed(Client())["results"]}
    own = {(e["type"], e["url"]) for e in feed(world["own"])["results"]}
    other = feed(world["other"])["results"]

    assert ("project.updated", "http://testserver/api/v1/projects/P-PRIVATE/") in own
    assert not any(e["url"].endswith("/P-PRIVATE/") for e in other)
    assert not any(e["type"] == "update.created" for e in other)
    assert any(e["type"] == "update.created" for e in feed(world["own"])["results"])
    assert len(other) == len(anonymous)


def test_the_feed_pages_by_cursor_in_commit_order_and_resumes_from_the_last_cursor(world, settled):
    everything = feed(Client())["results"]
    seen, cursor = [], None
    while True:
        page = feed(Client(), page_size=2, **({"after": cursor} if cursor else {}))
        seen += page["results"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == everything

    project = ProjectFactory(code="P-LATER", published=True)
    project.title_en = "Later"
    project.save()
    settled()
    later = feed(Client(), after=cursor)
    assert [e["type"] for e in later["results"]] == ["project.created", "project.updated"]
    assert later["results"][1]["changed_fields"] == ["title_en"]
    assert feed(Client(), after=later["next_cursor"]) == {
        "results": [],
        "next_cursor": later["next_cursor"],
        "next": f"http://testserver/api/v1/changes/?after={later['next_cursor']}",
        "has_more": False,
    }


@pytest.mark.parametrize("params", [{"after": "nonsense"}, {"after": "eDE"}, {"page_size": "0"}])
def test_a_cursor_or_page_size_the_api_did_not_give_is_a_400(world, params):
    response = Client().get("/api/v1/changes/", params)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(params)


def test_a_key_with_webhooks_manage_registers_changes_and_deletes_its_own_endpoints(world):
    response = world["manager"].post(
        "/api/v1/webhooks/",
        {"url": "https://hooks.example.org/aid", "event_types": ["project.updated"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["organisation"] == "own" and body["active"] is True
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert response["Location"].endswith(f"/api/v1/webhooks/{endpoint.pk}/")

    assert [e["id"] for e in world["manager"].get("/api/v1/webhooks/").json()["results"]] == [
        endpoint.pk
    ]
    assert "secret" not in world["manager"].get(f"/api/v1/webhooks/{endpoint.pk}/").json()
    assert world["outsider"].get(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 404
    assert world["outsider"].get("/api/v1/webhooks/").json()["results"] == []

    etag = world["manager"].get(f"/api/v1/webhooks/{endpoint.pk}/")["ETag"]
    changed = world["manager"].patch(
        f"/api/v1/webhooks/{endpoint.pk}/",
        {"event_types": ["*"]},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["event_types"] == ["*"]
    assert world["manager"].delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_endpoints_need_the_capability_and_known_event_types(world):
    body = {"url": "https://hooks.example.org/aid", "event_types": ["project.updated"]}
    refused = world["own"].post("/api/v1/webhooks/", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["capability"] == "webhooks:manage"
    assert Client().get("/api/v1/webhooks/").status_code == 401

    for wrong, field in (
        ({"event_types": ["project.exploded"]}, "event_types"),
        ({"secret": "x"}, "secret"),
    ):
        unknown = world["manager"].post(
            "/api/v1/webhooks/", {**body, **wrong}, content_type="application/json"
        )
        assert unknown.status_code == 400
        assert set(unknown.json()["errors"]) == {field}
    assert not WebhookEndpoint.objects.exists()


def test_the_schema_documents_the_feed_and_the_webhooks(client):
    schema = client.get("/api/v1/schema/?format=json", HTTP_ACCEPT="application/json")
    paths = schema.json()["paths"] if schema["Content-Type"].startswith("application/json") else {}
    if not paths:
        import yaml

        paths = yaml.safe_load(schema.content)["paths"]
    feed_get = paths["/api/v1/changes/"]["get"]
    assert {p["name"] for p in feed_get["parameters"]} >= {"after", "page_size"}
    assert "commit" in feed_get["description"]
    assert "/api/v1/webhooks/" in paths
