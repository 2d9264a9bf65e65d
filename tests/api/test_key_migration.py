"""The migration from the one write scope to capabilities: a read key gets none; a write key
gets every capability but funding:entries, which only a finance approver grants."""

import pytest
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from aidportal.database.privileges import grant_runtime_privileges

BEFORE = [("api", "0002_append_only_truncate_guard")]
AFTER = [("api", "0003_key_capabilities")]


def migrate(targets):
    # Migrations run as the owner, as `migrate --database owner` does.
    executor = MigrationExecutor(connections["owner"])
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
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
        # Read as the owner: the capability table the migration made has no grants until the
        # next full migrate.
        granted = {
            key.name: sorted(key.capabilities.using("owner").values_list("code", flat=True))
            for key in new.get_model("api", "ApiKey").objects.using("owner")
        }
    finally:
        migrate(MigrationExecutor(connections["owner"]).loader.graph.leaf_nodes())
        # The tables made again are the owner's: give the runtime role its privileges back.
        grant_runtime_privileges(using="owner")

    assert granted == {
        "reader": [],
        "writer": ["education:results", "medical:claim", "updates:write"],
    }
