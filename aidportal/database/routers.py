"""While `migrate` runs, the ORM queries of data migrations go through the migrating connection.

A data migration that queries without `.using(schema_editor.connection.alias)` would otherwise
use the runtime role's connection: it may not write what migrations write, and it would wait on
the owner's open transaction for ever.
"""

migrating: dict[str, str] = {}


def migration_started(sender, using, **kwargs):
    migrating["alias"] = using


def migration_finished(sender, using, **kwargs):
    migrating.pop("alias", None)


class MigratingConnectionRouter:
    def db_for_read(self, model, **hints):
        return migrating.get("alias")

    def db_for_write(self, model, **hints):
        return migrating.get("alias")
