"""Capabilities: a key writes only what it was granted. Every capability-gated operation × a key
with only that capability and a key with every other one. Without it: 403 problem+json naming
the missing capability, and nothing written. With it: past the permission check (the empty body
or the unknown record is what answers)."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from api.capabilities import (
    CAPABILITIES,
    EDUCATION_RESULTS,
    FUNDING_ENTRIES,
    INSPECTIONS_READ,
    MEDICAL_CLAIM,
    PROJECTS_WORKFLOW,
    UPDATES_WRITE,
    WEBHOOKS_MANAGE,
)
from api.keys import issue_api_key
from api.models import AuditEntry
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

MISSING = 999_999  # no such record: with the capability, the lookup answers 404

# (capability, method, url, status with the capability and an empty body)
OPERATIONS = [
    (UPDATES_WRITE, "post", "/api/v1/updates/", 400),
    (UPDATES_WRITE, "patch", f"/api/v1/updates/{MISSING}/", 404),
    (UPDATES_WRITE, "put", f"/api/v1/updates/{MISSING}/", 404),
    (UPDATES_WRITE, "delete", f"/api/v1/updates/{MISSING}/", 404),
    (MEDICAL_CLAIM, "post", f"/api/v1/medical/items/{MISSING}/claim/", 404),
    (MEDICAL_CLAIM, "post", f"/api/v1/medical/claims/{MISSING}/reports/", 404),
    (MEDICAL_CLAIM, "post", f"/api/v1/medical/claims/{MISSING}/deliver/", 404),
    (EDUCATION_RESULTS, "post", "/api/v1/education/results/", 400),
    (FUNDING_ENTRIES, "post", "/api/v1/funding/entries/", 400),
    (WEBHOOKS_MANAGE, "post", "/api/v1/webhooks/", 400),
    (WEBHOOKS_MANAGE, "patch", f"/api/v1/webhooks/{MISSING}/", 404),
    (WEBHOOKS_MANAGE, "delete", f"/api/v1/webhooks/{MISSING}/", 404),
    (PROJECTS_WORKFLOW, "post", f"/api/v1/projects/{MISSING}/workflow/", 404),
    # A read, unlike the others: the details of inspections of the key's own projects.
    (INSPECTIONS_READ, "get", "/api/v1/inspections/", 200),
    (INSPECTIONS_READ, "get", f"/api/v1/inspections/{MISSING}/", 404),
]


@pytest.fixture
def keys(db):
    organisation = OrganisationFactory(code="partner")
    approver = User.objects.create_user("approver", is_staff=True)
    approver.groups.add(Group.objects.get(name="Finance approver"))
    approver.groups.add(Group.objects.get(name="Inspector"))

    def key(codes):
        raw = issue_api_key(
            organisation=organisation, name=",".join(codes), capabilities=codes, granted_by=approver
        )[1]
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")

    return {
        code: {
            "with": key([code]),
            "without": key([other for other in CAPABILITIES if other != code]),
        }
        for code in CAPABILITIES
    }


def call(client, method, url):
    return getattr(client, method)(url, {}, content_type="application/json")


@pytest.mark.parametrize(
    "capability,method,url,status", OPERATIONS, ids=[f"{o[1]} {o[2]}" for o in OPERATIONS]
)
def test_a_key_without_the_capability_gets_a_403_naming_it(keys, capability, method, url, status):
    response = call(keys[capability]["without"], method, url)

    assert response.status_code == 403, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/api/v1/problems/missing-capability"
    assert problem["capability"] == capability
    assert capability in problem["detail"]
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    "capability,method,url,status", OPERATIONS, ids=[f"{o[1]} {o[2]}" for o in OPERATIONS]
)
def test_a_key_with_the_capability_gets_past_the_permission(keys, capability, method, url, status):
    response = call(keys[capability]["with"], method, url)

    assert response.status_code == status, response.content


def test_every_capability_is_needed_somewhere():
    assert {operation[0] for operation in OPERATIONS} == set(CAPABILITIES)


def test_a_key_without_capabilities_only_reads(keys, db):
    organisation = OrganisationFactory(code="reader")
    raw = issue_api_key(organisation=organisation, name="reader")[1]
    reader = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert reader.get("/api/v1/updates/").status_code == 200
    for capability, method, url, _status in OPERATIONS:
        response = call(reader, method, url)
        assert response.status_code == 403
        assert response.json()["capability"] == capability


def test_the_missing_capability_problem_is_documented():
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/problems/missing-capability")

    assert response.status_code == 200
    assert "funding:entries" in response.json()["description"]


def test_the_docs_name_the_capability_each_write_needs():
    schema = Client().get("/api/v1/schema/", {"format": "json"}).json()

    for capability, method, url, _status in OPERATIONS:
        template = url.replace(str(MISSING), "{id}")
        path = next(p for p in schema["paths"] if p.replace("{code}", "{id}") == template)
        description = schema["paths"][path][method]["description"]
        assert f"A partner key needs the capability `{capability}`." in description, (path, method)
