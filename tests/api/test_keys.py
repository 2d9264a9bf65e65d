"""Organisation API keys: issued once, stored as a hash, revocable, expiring, and refused with a
clear 401 problem once they no longer work; staff sessions use the API and its docs."""

import datetime
import io
import json
import re

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone, translation

from api.keys import issue_api_key
from api.models import ApiKey, KeyCapability
from projects.models import ProgressUpdate

pytestmark = pytest.mark.django_db

URL = "/api/v1/updates/"


def bearer(key: str) -> Client:
    # English, so that the refusals can be read here; their Chinese is tested with the errors.
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")


def create_key(*args) -> str:
    out = io.StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip().splitlines()[-1]


def assert_refused(response, says: str):
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    body = response.json()
    assert body["status"] == 401
    assert body["type"] == "/api/v1/problems/authentication-failed"
    assert says in body["detail"]


def test_create_api_key_prints_the_key_alone_on_its_last_line_and_it_works(world):
    key = create_key(
        "hosp-a",
        "--name",
        "HIS sync",
        "--capability",
        "updates:write",
        "--capability",
        "medical:claim",
        "--expires",
        "2099-12-31",
    )

    assert key.startswith("ap_") and " " not in key
    row = ApiKey.objects.get(name="HIS sync")
    assert (row.organisation, row.capability_codes, row.expires_on) == (
        world.org_a,
        {"updates:write", "medical:claim"},
        datetime.date(2099, 12, 31),
    )
    response = bearer(key).get(URL)
    assert response.status_code == 200
    assert str(world.a_draft.pk) in {str(row["id"]) for row in response.json()["results"]}


def test_only_the_hash_of_a_key_is_stored(world):
    key = create_key("hosp-a")

    row = ApiKey.objects.get(prefix=key[3:].split(".")[0])
    assert row.capability_codes == frozenset()  # least privilege: it only reads
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apikey")
        stored = [str(value) for record in cursor.fetchall() for value in record]
    assert not any(key in value or key.split(".")[1] in value for value in stored)
    assert row.hashed_key != key and len(row.hashed_key) == 64


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-org"], "No organisation has the code 'no-such-org'"),
        (["hosp-a", "--expires", "31/12/2099"], "YYYY-MM-DD"),
        (["hosp-a", "--expires", "2099-02-30"], "YYYY-MM-DD"),
        (["hosp-a", "--expires", "2000-01-01"], "到期日期已过"),  # in LANGUAGE_CODE
    ],
)
def test_create_api_key_refuses_unknown_organisations_and_bad_dates(world, args, message):
    before = ApiKey.objects.count()

    with pytest.raises(CommandError, match=message):
        create_key(*args)

    assert ApiKey.objects.count() == before


def test_revoke_api_key_revokes_at_once(world):
    key = create_key("hosp-a")
    assert bearer(key).get(URL).status_code == 200

    out = io.StringIO()
    call_command("revoke_api_key", key.split(".")[0], stdout=out)

    assert "Revoked" in out.getvalue()
    assert ApiKey.objects.get(prefix=key[3:].split(".")[0]).revoked_at is not None
    assert_refused(bearer(key).get(URL), "revoked")


def test_revoke_api_key_of_an_unknown_prefix_is_an_error(world):
    with pytest.raises(CommandError, match="No key has the prefix"):
        call_command("revoke_api_key", "ffffffffffff")


def test_a_key_works_through_its_last_day_and_not_after(world):
    today = timezone.localdate()
    _, last_day = issue_api_key(organisation=world.org_a, name="today", expires_on=today)
    key, expired = issue_api_key(organisation=world.org_a, name="yesterday", expires_on=today)
    # It was issued yesterday with yesterday as its last day.
    ApiKey.objects.filter(pk=key.pk).update(expires_on=today - datetime.timedelta(days=1))

    assert bearer(last_day).get(URL).status_code == 200
    assert_refused(bearer(expired).get(URL), "expired")


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("Bearer ap_000000000000.nosuchsecret", "not known"),
        ("Bearer ap_nosuchprefix", "not known"),
        ("Bearer sk_live_abc.def", "not known"),
        ("Bearer", "Authorization: Bearer <key>"),
        ("Bearer a b", "Authorization: Bearer <key>"),
    ],
)
def test_unknown_and_malformed_keys_are_a_401_that_says_which(world, header, says):
    response = Client(HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="en").get(URL)

    assert_refused(response, says)


def test_a_known_prefix_with_a_wrong_secret_is_unknown(world):
    real = world.keys["key_a"]
    forged = real.split(".")[0] + ".forged-secret"

    assert_refused(bearer(forged).get(URL), "not known")


def test_last_used_is_recorded_at_most_once_a_minute(world):
    key, raw = issue_api_key(organisation=world.org_a, name="sync")
    assert key.last_used_at is None

    bearer(raw).get(URL)
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None

    bearer(raw).get(URL)
    key.refresh_from_db()
    assert key.last_used_at == first

    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    bearer(raw).get(URL)
    key.refresh_from_db()
    assert key.last_used_at > first - datetime.timedelta(minutes=2)


@pytest.fixture
def superuser_client(db):
    user = User.objects.create_superuser("root", "root@example.org", "pw-Long-enough-1")
    client = Client()
    client.force_login(user)
    return client


def test_admin_shows_a_new_key_once_and_never_keeps_it(world, superuser_client):
    response = superuser_client.post(
        "/en/admin/api/apikey/add/",
        {
            "organisation": world.org_a.pk,
            "name": "From the admin",
            "capabilities": ["updates:write"],
        },
    )

    assert response.status_code == 200
    row = ApiKey.objects.get(name="From the admin")
    assert row.capability_codes == {"updates:write"}
    raw = re.search(r'<code id="new-api-key">([^<]+)</code>', response.content.decode())[1]
    assert raw.startswith(f"ap_{row.prefix}.")
    assert row.created_by.username == "root"

    # Not kept anywhere the browser or the server would show it again.
    session = superuser_client.session
    assert not any(raw in json.dumps(value, default=str) for value in session.values())
    assert all(raw not in morsel.value for morsel in superuser_client.cookies.values())
    assert raw not in superuser_client.get("/en/admin/api/apikey/").content.decode()
    assert (
        raw not in superuser_client.get(f"/en/admin/api/apikey/{row.pk}/change/").content.decode()
    )

    assert bearer(raw).get(URL).status_code == 200
    created = bearer(raw).post(
        URL,
        {
            "project": world.project.code,
            "date": "2024-05-02",
            "title": {"zh-hans": "管理员发的钥匙"},
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content


def test_admin_refuses_a_new_key_that_has_already_expired(world, superuser_client):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = superuser_client.post(
        "/en/admin/api/apikey/add/",
        {
            "organisation": world.org_a.pk,
            "name": "Stillborn",
            "scope": "read",
            "expires_on": yesterday.isoformat(),
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["expires_on"] == [
        "The expiry date is in the past: a new key must work at least today."
    ]
    assert not ApiKey.objects.filter(name="Stillborn").exists()


def test_an_expired_key_can_still_be_renamed_in_the_admin(world, superuser_client):
    key, _raw = issue_api_key(organisation=world.org_a, name="old", expires_on=timezone.localdate())
    ApiKey.objects.filter(pk=key.pk).update(expires_on=datetime.date(2020, 1, 1))

    response = superuser_client.post(
        f"/en/admin/api/apikey/{key.pk}/change/",
        {
            "name": "old, expired",
            "expires_on": "2020-01-01",
            # The key's capabilities are listed read-only below the form.
            "capabilities-TOTAL_FORMS": "0",
            "capabilities-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    key.refresh_from_db()
    assert key.name == "old, expired"


def test_admin_revoke_action_revokes(world, superuser_client):
    first, raw_first = issue_api_key(organisation=world.org_a, name="one")
    second, raw_second = issue_api_key(organisation=world.org_b, name="two")

    response = superuser_client.post(
        "/en/admin/api/apikey/",
        {"action": "revoke", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "2 keys are revoked" in response.content.decode()
    assert ApiKey.objects.filter(pk__in=[first.pk, second.pk], revoked_at__isnull=True).count() == 0
    assert_refused(bearer(raw_first).get(URL), "revoked")
    assert_refused(bearer(raw_second).get(URL), "revoked")


def test_staff_signed_in_use_the_api_and_its_docs(world, callers):
    staff = callers["programme_staff"]

    listing = staff.get(URL)
    assert listing.status_code == 200
    # Staff who may view updates see every organisation's drafts.
    ids = {row["id"] for row in listing.json()["results"]}
    assert {world.a_draft.pk, world.b_draft.pk} <= ids
    assert staff.get("/api/v1/docs/").status_code == 200
    schema = staff.get("/api/v1/schema/", {"format": "json"})
    assert schema.status_code == 200
    assert "/api/v1/updates/" in schema.json()["paths"]


def test_a_session_write_without_a_csrf_token_is_refused(world):
    user = User.objects.create_superuser("csrf", "csrf@example.org", "pw-Long-enough-1")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    before = ProgressUpdate.objects.count()

    response = client.post(
        URL,
        {"project": world.project.code, "date": "2024-05-02", "title": {"zh-hans": "无令牌"}},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 403, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert "CSRF" in response.json()["detail"]
    assert ProgressUpdate.objects.count() == before


# -- capabilities ------------------------------------------------------------------------------


def finance_approver(username="approver"):
    user = User.objects.create_user(username, is_staff=True)
    user.groups.add(Group.objects.get(name="Finance approver"))
    return user


def test_create_api_key_grants_funding_entries_only_with_a_finance_approver(world):
    # The refusals are read here in English.
    with translation.override("en"):
        User.objects.create_user("clerk", is_staff=True)
        finance_approver()

        with pytest.raises(CommandError, match="Only a finance approver may grant funding:entries"):
            create_key("hosp-a", "--capability", "funding:entries")
        with pytest.raises(CommandError, match="Only a finance approver may grant funding:entries"):
            create_key("hosp-a", "--capability", "funding:entries", "--granted-by", "clerk")
        with pytest.raises(CommandError, match="No active user has the username 'nobody'"):
            create_key("hosp-a", "--capability", "funding:entries", "--granted-by", "nobody")
        before = ApiKey.objects.count()
        with pytest.raises(CommandError):
            create_key("hosp-a", "--capability", "funding:everything")
        assert ApiKey.objects.count() == before

        key = create_key("hosp-a", "--capability", "funding:entries", "--granted-by", "approver")

        row = ApiKey.objects.get(prefix=key[3:].split(".")[0])
        granted = KeyCapability.objects.get(key=row)
        assert (granted.code, granted.granted_by.username) == ("funding:entries", "approver")


def test_the_database_refuses_funding_entries_without_a_grantor(world):
    key, _raw = issue_api_key(organisation=world.org_a, name="x")

    with pytest.raises(IntegrityError), transaction.atomic():
        KeyCapability.objects.create(key=key, code="funding:entries")
    with pytest.raises(IntegrityError), transaction.atomic():
        KeyCapability.objects.create(
            key=key, code="funding:anything", granted_by=finance_approver()
        )


@pytest.fixture
def key_admin(db):
    """Programme staff who may issue keys, but are no finance approver."""
    user = User.objects.create_user("keeper", is_staff=True)
    for codename in ("add_apikey", "view_apikey", "change_apikey"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_refuses_funding_entries_unless_a_finance_approver_grants_it(world, key_admin):
    form = {"organisation": world.org_a.pk, "name": "Ledger sync", "capabilities": []}

    refused = key_admin.post(
        "/en/admin/api/apikey/add/", {**form, "capabilities": ["funding:entries"]}
    )

    assert refused.status_code == 200
    assert "Only a finance approver may grant funding:entries." in refused.content.decode()
    assert not ApiKey.objects.filter(name="Ledger sync").exists()

    approver = finance_approver()
    for codename in ("add_apikey", "view_apikey"):
        approver.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(approver)
    granted = client.post(
        "/en/admin/api/apikey/add/", {**form, "capabilities": ["funding:entries"]}
    )
    assert granted.status_code == 200 and 'id="new-api-key"' in granted.content.decode()
    row = ApiKey.objects.get(name="Ledger sync")
    assert row.capabilities.get().granted_by == approver


def test_the_admin_shows_each_keys_capabilities_in_the_list_and_the_detail(world, key_admin):
    reader, _raw = issue_api_key(organisation=world.org_a, name="reader")
    writer, _raw = issue_api_key(
        organisation=world.org_a, name="writer", capabilities=["medical:claim", "updates:write"]
    )

    listing = key_admin.get("/en/admin/api/apikey/").content.decode()
    detail = key_admin.get(f"/en/admin/api/apikey/{writer.pk}/change/").content.decode()

    assert "medical:claim, updates:write" in listing and "read only" in listing
    assert "medical:claim" in detail and "updates:write" in detail
