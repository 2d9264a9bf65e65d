"""The permission matrix: every kind of caller × endpoint × method, and what it gets.

A partner key never touches another organisation's record: an unpublished record of theirs is
a 404 to read, and any record of theirs is a 404 to write, so that its existence never leaks.
"""

import pytest

from projects.models import ProgressUpdate

pytestmark = pytest.mark.django_db

CALLERS = [
    "anonymous",
    "key_a",
    "key_b",
    "key_a_read",
    "programme_staff",
    "auditor",
    "staff_no_role",
]


def row(**statuses):
    assert set(statuses) == set(CALLERS), sorted(set(CALLERS) ^ set(statuses))
    return statuses


# (case name, method, url builder, body builder, expected status per caller)
MATRIX = [
    (
        "list projects",
        "get",
        lambda w: "/api/v1/projects/",
        None,
        row(**dict.fromkeys(CALLERS, 200)),
    ),
    (
        "read a project",
        "get",
        lambda w: f"/api/v1/projects/{w.project.code}/",
        None,
        row(**dict.fromkeys(CALLERS, 200)),
    ),
    (
        "create a project (read-only endpoint)",
        "post",
        lambda w: "/api/v1/projects/",
        lambda w: {"code": "X"},
        row(**dict.fromkeys(CALLERS, 405)),
    ),
    *[
        (
            f"list {name}",
            "get",
            (lambda n: lambda w: f"/api/v1/{n}/")(name),
            None,
            row(**dict.fromkeys(CALLERS, 200)),
        )
        for name in ("organisations", "places", "programmes", "timeline", "updates")
    ],
    (
        "read own draft update",
        "get",
        lambda w: f"/api/v1/updates/{w.a_draft.pk}/",
        None,
        row(
            anonymous=404,
            key_a=200,
            key_b=404,
            key_a_read=200,
            programme_staff=200,
            auditor=200,
            staff_no_role=404,
        ),
    ),
    (
        "read another's published update",
        "get",
        lambda w: f"/api/v1/updates/{w.b_published.pk}/",
        None,
        row(**dict.fromkeys(CALLERS, 200)),
    ),
    (
        "report progress",
        "post",
        lambda w: "/api/v1/updates/",
        lambda w: {
            "project": w.project.code,
            "date": "2024-06-01",
            "title": {"zh-hans": "新进展", "en": "New progress"},
        },
        row(
            anonymous=401,
            key_a=201,
            key_b=201,
            key_a_read=403,
            programme_staff=201,
            auditor=403,
            staff_no_role=403,
        ),
    ),
    (
        "change A's draft",
        "patch",
        lambda w: f"/api/v1/updates/{w.a_draft.pk}/",
        lambda w: {"title": {"en": "Changed"}},
        row(
            anonymous=401,
            key_a=200,
            key_b=404,
            key_a_read=403,
            programme_staff=200,
            auditor=403,
            staff_no_role=403,
        ),
    ),
    (
        "replace A's draft",
        "put",
        lambda w: f"/api/v1/updates/{w.a_draft.pk}/",
        lambda w: {"date": "2024-05-02", "title": {"zh-hans": "替换", "en": "Replaced"}},
        row(
            anonymous=401,
            key_a=200,
            key_b=404,
            key_a_read=403,
            programme_staff=200,
            auditor=403,
            staff_no_role=403,
        ),
    ),
    (
        "change B's published update",
        "patch",
        lambda w: f"/api/v1/updates/{w.b_published.pk}/",
        lambda w: {"title": {"en": "Changed"}},
        row(
            anonymous=401,
            key_a=404,
            key_b=409,
            key_a_read=403,
            programme_staff=200,
            auditor=403,
            staff_no_role=403,
        ),
    ),
    (
        "change a staff update",
        "patch",
        lambda w: f"/api/v1/updates/{w.staff_published.pk}/",
        lambda w: {"title": {"en": "Changed"}},
        row(
            anonymous=401,
            key_a=404,
            key_b=404,
            key_a_read=403,
            programme_staff=200,
            auditor=403,
            staff_no_role=403,
        ),
    ),
    (
        "withdraw B's draft",
        "delete",
        lambda w: f"/api/v1/updates/{w.b_draft.pk}/",
        None,
        row(
            anonymous=401,
            key_a=404,
            key_b=204,
            key_a_read=403,
            programme_staff=204,
            auditor=403,
            staff_no_role=403,
        ),
    ),
    (
        "withdraw B's published update",
        "delete",
        lambda w: f"/api/v1/updates/{w.b_published.pk}/",
        None,
        row(
            anonymous=401,
            key_a=404,
            key_b=409,
            key_a_read=403,
            programme_staff=204,
            auditor=403,
            staff_no_role=403,
        ),
    ),
]


def call(client, method, url, body, etag=None):
    headers = {"HTTP_IF_MATCH": etag} if etag else {}
    if body is None:
        return getattr(client, method)(url, **headers)
    return getattr(client, method)(url, body, content_type="application/json", **headers)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("case", MATRIX, ids=[case[0] for case in MATRIX])
def test_permission_matrix(world, callers, case, caller):
    name, method, url_for, body_for, expected = case
    client = callers[caller]
    url = url_for(world)
    etag = None
    if method in ("patch", "put"):
        # Send the record's current ETag, so only the permission decides.
        owner = callers["programme_staff"].get(url)
        etag = owner.headers.get("ETag")
    before = list(ProgressUpdate.objects.order_by("pk").values())

    response = call(client, method, url, body_for(world) if body_for else None, etag)

    assert response.status_code == expected[caller], response.content.decode()[:500]
    if response.status_code >= 400:
        assert response.headers["Content-Type"] == "application/problem+json"
        assert list(ProgressUpdate.objects.order_by("pk").values()) == before


@pytest.mark.parametrize(
    "caller, visible",
    [
        ("anonymous", {"b_published", "staff_published"}),
        ("key_a", {"a_draft", "b_published", "staff_published"}),
        ("key_a_read", {"a_draft", "b_published", "staff_published"}),
        ("key_b", {"b_draft", "b_published", "staff_published"}),
        ("auditor", {"a_draft", "b_draft", "b_published", "staff_published"}),
        ("programme_staff", {"a_draft", "b_draft", "b_published", "staff_published"}),
        ("staff_no_role", {"b_published", "staff_published"}),
    ],
)
def test_each_caller_lists_exactly_what_it_may_see(world, callers, caller, visible):
    names = {
        getattr(world, name).pk: name
        for name in ("a_draft", "b_draft", "b_published", "staff_published")
    }

    response = callers[caller].get("/api/v1/updates/", {"page_size": 100})

    assert {names[item["id"]] for item in response.json()["results"]} == visible


def test_a_partner_update_names_its_organisation_and_waits_for_staff(world, callers):
    response = callers["key_a"].post(
        "/api/v1/updates/",
        {"project": world.project.code, "date": "2024-06-01", "title": {"zh-hans": "完工"}},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["organisation"] == "hosp-a"
    assert response.json()["published"] is False
    assert callers["anonymous"].get(response["Location"]).status_code == 404


def test_a_partner_cannot_publish_its_own_update(world, callers):
    response = callers["key_a"].post(
        "/api/v1/updates/",
        {
            "project": world.project.code,
            "date": "2024-06-01",
            "title": {"zh-hans": "完工"},
            "published": True,
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "published" in response.json()["errors"]


def test_a_partner_reports_only_on_projects_it_takes_part_in(world, callers):
    from tests.factories import ProjectFactory

    other = ProjectFactory(code="P-OTHER", published=True)
    hidden = ProjectFactory(code="P-HIDDEN", published=False)

    def post(code):
        return callers["key_a"].post(
            "/api/v1/updates/",
            {"project": code, "date": "2024-06-01", "title": {"zh-hans": "完工"}},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        )

    refused = post(other.code)
    assert refused.status_code == 400
    assert "does not take part" in refused.json()["errors"]["project"][0]
    unknown = post(hidden.code)
    assert unknown.status_code == 400
    # An unpublished project the partner is not part of is answered as if it did not exist.
    missing = post("NO-SUCH-CODE").json()["errors"]["project"][0]
    assert unknown.json()["errors"]["project"][0] == missing.replace("NO-SUCH-CODE", hidden.code)
