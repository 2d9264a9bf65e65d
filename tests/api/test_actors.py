"""The actor of a record: a member of staff or a partner's key, read and set as one."""

import pytest
from django.contrib.auth.models import User

from api.actors import Actor
from api.callers import Caller
from api.models import ApiKey, AuditEntry
from funding.models import LedgerEntry
from medical.models import ProgressReport

pytestmark = pytest.mark.django_db


def test_an_actor_is_made_from_a_caller_and_shown_by_name():
    user = User(username="finance")
    key = ApiKey(name="ledger", prefix="abc")

    assert Actor.of(Caller(user=user)) == Actor(user=user)
    assert Actor.of(Caller(key=key)) == Actor(key=key)
    assert str(Actor(user=user)) == "finance"
    assert str(Actor()) == "—"


def test_each_record_reads_and_sets_its_own_columns_as_one_actor():
    user = User(username="finance")

    entry = LedgerEntry(actor=Actor(user=user))
    report = ProgressReport()
    report.actor = Actor(user=user)

    assert (entry.recorded_by, entry.recorded_by_key) == (user, None)
    assert (report.created_by, report.created_by_key) == (user, None)
    assert entry.actor == report.actor == Actor(user=user)
    assert entry.actor_display() == "finance"


def test_the_audit_trail_lists_who_wrote(world, callers, client):
    callers["key_a"].post(
        "/api/v1/updates/",
        {"project": world.project.code, "date": "2024-06-01", "title": {"zh-hans": "开工"}},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="actor-1",
    )
    entry = AuditEntry.objects.get()
    key_a = ApiKey.objects.get(organisation=world.org_a, name="A write")

    assert entry.actor == Actor(key=key_a)
    client.force_login(User.objects.create_superuser("trail-reader", "reader@example.org", "x"))
    page = client.get("/en/admin/api/auditentry/")
    assert page.status_code == 200
    assert str(key_a) in page.content.decode()
