"""Every write through the API leaves an audit entry staff can read in the admin."""

import pytest
from django.contrib.auth.models import User

from api.models import ApiKey, AuditEntry

pytestmark = pytest.mark.django_db


def test_create_change_and_withdraw_are_recorded_with_who_and_what(world, callers):
    created = callers["key_a"].post(
        "/api/v1/updates/",
        {"project": world.project.code, "date": "2024-06-01", "title": {"zh-hans": "开工"}},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="audit-1",
    )
    url = created["Location"]
    changed = callers["key_a"].patch(
        url,
        {"title": {"en": "Works began"}},
        content_type="application/json",
        HTTP_IF_MATCH=created["ETag"],
    )
    withdrawn = callers["programme_staff"].delete(url)
    assert (created.status_code, changed.status_code, withdrawn.status_code) == (201, 200, 204)

    entries = list(AuditEntry.objects.order_by("at", "id"))

    assert [entry.action for entry in entries] == ["create", "update", "delete"]
    key_a = ApiKey.objects.get(organisation=world.org_a, name="A write")
    assert entries[0].api_key == key_a and entries[0].organisation == world.org_a
    assert entries[0].idempotency_key == "audit-1"
    assert entries[0].changes["title_zh_hans"] == [None, "开工"]
    assert entries[1].changes == {"title_en": [None, "Works began"]}
    assert entries[2].user.username == "editor" and entries[2].api_key is None
    assert entries[2].changes["title_zh_hans"] == ["开工", None]


def test_refused_writes_leave_no_entry(world, callers):
    callers["key_b"].patch(
        f"/api/v1/updates/{world.a_draft.pk}/",
        {"title": {"en": "x"}},
        content_type="application/json",
        HTTP_IF_MATCH="*",
    )
    callers["key_a"].post("/api/v1/updates/", {"bogus": 1}, content_type="application/json")

    assert not AuditEntry.objects.exists()


def test_staff_read_the_trail_in_the_admin_and_cannot_edit_it(world, callers, client):
    callers["key_a"].post(
        "/api/v1/updates/",
        {"project": world.project.code, "date": "2024-06-01", "title": {"zh-hans": "开工"}},
        content_type="application/json",
    )
    entry = AuditEntry.objects.get()
    client.force_login(User.objects.create_superuser("boss", password="x"))

    listing = client.get("/en/admin/api/auditentry/")

    assert listing.status_code == 200
    assert "hosp-a" in listing.content.decode()
    assert client.get(f"/en/admin/api/auditentry/{entry.pk}/change/").status_code == 200
    assert (
        client.post(f"/en/admin/api/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
