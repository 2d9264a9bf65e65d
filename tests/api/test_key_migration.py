"""The migration from the one write scope to capabilities: a read key gets none; a write key
gets every capability but funding:entries, which only a finance approver grants."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("api", "0001_initial")]
AFTER = [("api", "0002_key_capabilities")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_write_keys_keep_what_they_did_and_read_keys_stay_read_only():
    try:
        old = migrate(BEFORE)
        organisation = old.get_model("reference", "Organisation").objects.create(
            code="school", name_zh_hans="学校", name_en="School"
        )
        ApiKey = old.get_model("api", "ApiKey")
        for name, scope in (("reader", "read"), ("writer", "write")):
            ApiKey.objects.create(
                organisation=organisation, name=name, prefix=name, hashed_key="x", scope=scope
            )

        new = migrate(AFTER)
        granted = {
            key.name: sorted(key.capabilities.values_list("code", flat=True))
            for key in new.get_model("api", "ApiKey").objects.all()
        }
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert granted == {
        "reader": [],
        "writer": ["education:results", "medical:claim", "updates:write"],
    }
