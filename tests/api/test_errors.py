"""Every error is problem+json (RFC 9457) in the caller's language, names what was wrong, and
writes nothing; an unexpected error is a 500 without a traceback, and is logged."""

import datetime
import json
import logging
from types import ModuleType

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from api import problems
from api.models import AuditEntry, IdempotencyRecord
from api.parsers import MAX_DEPTH
from projects import services
from projects.models import ProgressUpdate

pytestmark = pytest.mark.django_db

URL = "/api/v1/updates/"
PROBLEM = "application/problem+json"


@pytest.fixture
def partner(world):
    """A write key of an organisation that takes part in the project; English unless asked."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {world.keys['key_a']}", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def valid(world):
    return {"project": world.project.code, "date": "2024-05-02", "title": {"zh-hans": "屋顶完工"}}


@pytest.fixture
def nothing_written(world):
    """Asserts, after the test, that no update, audit entry or idempotency record was written."""

    def counts():
        return [m.objects.count() for m in (ProgressUpdate, AuditEntry, IdempotencyRecord)]

    before = counts()
    yield
    assert counts() == before


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == status
    assert body["type"].startswith("/api/v1/problems/")
    assert body["title"] and body["detail"]
    return body


def post(client, body, **extra):
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(URL, data, content_type="application/json", **extra)


def test_the_valid_body_these_tests_spoil_is_accepted(partner, valid):
    # So that each failure below is caused by its one defect.
    assert post(partner, valid).status_code == 201


@pytest.mark.usefixtures("nothing_written")
def test_malformed_json_is_a_400_naming_the_parse_error(partner):
    body = assert_problem(post(partner, b'{"project": "P-SHARED", "date": '), 400)

    assert body["type"] == "/api/v1/problems/malformed-request"
    assert "JSON parse error" in body["detail"]
    assert "errors" not in body


@pytest.mark.usefixtures("nothing_written")
def test_an_unknown_field_is_rejected_not_ignored(partner, valid):
    body = assert_problem(post(partner, {**valid, "colour": "red"}), 400)

    assert body["type"] == "/api/v1/problems/validation-error"
    assert body["errors"] == {"colour": ["This field is not accepted here."]}
    assert "colour" in body["detail"]


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date", "2024-13-45"),
        ("date", "2024-02-30"),
        ("date", 20240502),
        ("title", 12345),
        ("title", "a plain string, not both languages"),
        ("published", "maybe"),
        ("project", ["P-SHARED"]),
        ("project", "NO-SUCH-PROJECT"),
    ],
)
def test_a_wrong_type_or_value_is_a_400_naming_the_field(partner, valid, field, value):
    body = assert_problem(post(partner, {**valid, field: value}), 400)

    assert body["type"] == "/api/v1/problems/validation-error"
    assert list(body["errors"]) == [field]
    assert field in body["detail"]


@pytest.mark.usefixtures("nothing_written")
def test_an_over_long_title_is_a_400_naming_the_field(partner, valid):
    body = assert_problem(post(partner, {**valid, "title": {"zh-hans": "长" * 201}}), 400)

    assert list(body["errors"]) == ["title.zh-hans"]
    assert "200" in json.dumps(body["errors"], ensure_ascii=False)


def test_a_title_of_exactly_200_characters_is_accepted(partner, valid):
    assert post(partner, {**valid, "title": {"zh-hans": "长" * 200}}).status_code == 201


@pytest.mark.usefixtures("nothing_written")
def test_every_validation_error_is_a_list_of_messages_per_field(partner, valid):
    body = assert_problem(post(partner, {**valid, "title": {"zh-hans": "长" * 201}}), 400)

    assert list(body["errors"]) == ["title.zh-hans"]
    assert all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in body["errors"].values()
    ), body["errors"]


@pytest.mark.usefixtures("nothing_written")
def test_missing_required_fields_are_each_named(partner):
    body = assert_problem(post(partner, {}), 400)

    assert body["errors"] == {
        "project": ["This field is required."],
        "date": ["This field is required."],
        "title": ["This field is required."],
    }


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize("payload", [[], ["P-SHARED"], "a string", 42, None])
def test_a_body_that_is_not_an_object_is_a_400(partner, payload):
    body = assert_problem(post(partner, payload), 400)

    assert body["type"] == "/api/v1/problems/validation-error"
    assert body["errors"]


@pytest.mark.usefixtures("nothing_written")
def test_a_form_encoded_body_is_a_415(partner, valid):
    response = partner.post(URL, {"project": valid["project"], "date": valid["date"]})

    body = assert_problem(response, 415)
    assert body["type"] == "/api/v1/problems/unsupported-media-type"
    assert "multipart/form-data" in body["detail"]


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(
    ("language", "message", "title"),
    [
        ("zh-hans", "该字段是必填项。", "请求有误"),
        ("en", "This field is required.", "Bad request"),
    ],
)
def test_messages_follow_accept_language(partner, language, message, title):
    response = post(partner, {}, HTTP_ACCEPT_LANGUAGE=language)

    body = assert_problem(response, 400)
    assert body["errors"]["project"] == [message]
    assert body["title"] == title
    assert response["Content-Language"] == language


def test_an_unexpected_error_is_a_500_problem_without_a_traceback_and_is_logged(
    partner, valid, monkeypatch, caplog
):
    def explode(**kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(services, "progress_update_submit", explode)
    before = (ProgressUpdate.objects.count(), AuditEntry.objects.count())

    with caplog.at_level(logging.ERROR, logger="api"):
        response = post(partner, valid)

    body = assert_problem(response, 500)
    assert body["type"] == "/api/v1/problems/server-error"
    text = response.content.decode()
    for leak in ("Traceback", "RuntimeError", "hunter2", "services.py", 'File "'):
        assert leak not in text
    (record,) = [r for r in caplog.records if r.name == "api"]
    assert record.levelno == logging.ERROR
    assert record.exc_info[0] is RuntimeError
    assert "POST /api/v1/updates/" in record.getMessage()
    assert (ProgressUpdate.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing/", "/api/v1/updates/not-a-number/", "/api/v1/projects/a/b/"]
)
def test_an_unknown_address_under_the_api_is_a_404_problem(client, path):
    body = assert_problem(client.get(path), 404)

    assert body["type"] == "/api/v1/problems/not-found"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/updates/?updated_since=yesterday", "updated_since"),
        ("/api/v1/updates/?updated_since=2024-02-30T00:00:00Z", "updated_since"),
        ("/api/v1/updates/?updated_since=2024-01-01T25:00:00Z", "updated_since"),
        ("/api/v1/updates/?published=maybe", "published"),
        ("/api/v1/projects/?flagship=maybe", "flagship"),
        ("/api/v1/timeline/?year=twenty", "year"),
        ("/api/v1/places/?parent=abc", "parent"),
        ("/api/v1/projects/?place=1.5", "place"),
        ("/api/v1/projects/?programme=no-such", "programme"),
    ],
)
def test_an_impossible_filter_value_is_a_400_naming_the_filter(client, url, field):
    body = assert_problem(client.get(url, HTTP_ACCEPT_LANGUAGE="en"), 400)

    assert body["type"] == "/api/v1/problems/validation-error"
    assert list(body["errors"]) == [field]


def test_an_offset_postgresql_cannot_store_is_still_understood(client, world):
    # +20:00 is valid ISO 8601 but beyond PostgreSQL's ±15:59; it is compared in UTC.
    response = client.get("/api/v1/updates/", {"updated_since": "2024-01-01T00:00:00+20:00"})

    assert response.status_code == 200


@pytest.mark.parametrize("year", ["0", "10000", "-1", "2024.5"])
def test_an_out_of_range_or_over_precise_year_is_a_400(client, year):
    body = assert_problem(client.get("/api/v1/timeline/", {"year": year}), 400)

    assert list(body["errors"]) == ["year"]


def test_every_problem_type_resolves_to_its_description(world, partner, valid, monkeypatch):
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    read_only = Client(HTTP_AUTHORIZATION=f"Bearer {world.keys['key_a_read']}")
    answers = [
        post(partner, b"{"),
        post(partner, {}),
        partner.post(URL, {"a": "b"}),
        partner.put(URL, "{}", content_type="application/json"),
        partner.get(URL, HTTP_ACCEPT="text/html"),
        post(anonymous, valid),
        post(read_only, valid),
        Client(HTTP_AUTHORIZATION="Bearer ap_nope.nope").get(URL),
        anonymous.get("/api/v1/no-such-thing/"),
        anonymous.get(f"{URL}{world.b_draft.pk}/"),
        partner.patch(f"{URL}{world.a_draft.pk}/", "{}", content_type="application/json"),
        partner.patch(
            f"{URL}{world.a_draft.pk}/", "{}", content_type="application/json", HTTP_IF_MATCH='"x"'
        ),
        anonymous.get("/api/v1/updates/", {"cursor": "garbage"}),
        anonymous.get("/api/v1/projects/", {"page": 99}),
    ]
    monkeypatch.setattr(services, "progress_update_submit", lambda **kwargs: 1 / 0)
    answers.append(post(partner, valid))

    statuses = set()
    for response in answers:
        body = assert_problem(response, response.status_code)
        statuses.add(body["status"])
        described = anonymous.get(body["type"])
        assert described.status_code == 200, (body, described.content)
        assert described.json()["type"] == body["type"]
        assert described.json()["description"]
    assert statuses == {400, 401, 403, 404, 405, 406, 412, 415, 428, 500}


def test_each_app_registers_the_problem_types_it_raises():
    listed = [item["type"] for item in Client().get("/api/v1/problems/").json()]

    assert listed[0] == "/api/v1/problems/validation-error"
    for slug in ("beyond-arrivals", "invalid-transition", "claim-refused"):
        assert f"/api/v1/problems/{slug}" in listed
        english = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/api/v1/problems/{slug}").json()
        chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(f"/api/v1/problems/{slug}").json()
        assert english["description"] != chinese["description"]


def test_a_problem_type_registered_twice_is_refused(monkeypatch):
    funding = ModuleType("funding.problems")
    funding.PROBLEM_TYPES = {"conflict": "Another meaning"}
    monkeypatch.setattr(problems, "app_modules", lambda name: [problems, funding])

    with pytest.raises(ImproperlyConfigured, match="funding.problems registers 'conflict'"):
        problems.problem_types.__wrapped__()


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize("idempotency", [{}, {"HTTP_IDEMPOTENCY_KEY": "big-1"}])
def test_a_body_over_the_limit_is_a_413(partner, valid, settings, idempotency):
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = post(partner, {**valid, "text": {"zh-hans": padding}}, **idempotency)
    body = assert_problem(response, 413)

    assert body["type"] == "/api/v1/problems/request-too-large"
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in body["detail"]


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize("idempotency", [{}, {"HTTP_IDEMPOTENCY_KEY": "deep-1"}])
def test_json_nested_100000_levels_deep_is_a_400(partner, idempotency):
    depth = 100_000
    body = assert_problem(post(partner, b"[" * depth + b"]" * depth, **idempotency), 400)

    assert body["type"] == "/api/v1/problems/too-deeply-nested"
    assert "errors" not in body


@pytest.mark.usefixtures("nothing_written")
def test_json_deeper_than_the_limit_is_refused_before_validation(partner, valid):
    deep = {"x": None}
    for _ in range(MAX_DEPTH):
        deep = {"x": deep}
    body = assert_problem(post(partner, {**valid, "extra": deep}), 400)

    assert body["type"] == "/api/v1/problems/too-deeply-nested"
    assert str(MAX_DEPTH) in body["detail"]


@pytest.mark.parametrize("date", ["1295-11-30", "9999-12-31"])
def test_a_progress_update_dated_outside_the_programme_is_a_field_error(
    partner, valid, nothing_written, date
):
    body = assert_problem(post(partner, {**valid, "date": date}), 400)

    assert list(body["errors"]) == ["date"]


def test_a_progress_update_before_the_programme_began_names_the_start(
    world, partner, valid, nothing_written
):
    world.project.programme.started_on = datetime.date(2020, 9, 15)
    world.project.programme.save()

    body = assert_problem(post(partner, {**valid, "date": "2020-09-14"}), 400)

    assert body["errors"]["date"] == ["The date cannot be before the programme began (2020-09-15)."]
