from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class DatabaseConfig(AppConfig):
    """Grants the runtime role its privileges after every migrate, run as the owner."""

    name = "aidportal.database"
    label = "database"
    verbose_name = "Database roles"

    def ready(self):
        from aidportal.database import routers
        from aidportal.database.privileges import grant_after_migrate

        pre_migrate.connect(routers.migration_started, dispatch_uid="migrating-connection")
        # Listed last in INSTALLED_APPS, so these run once every app has migrated.
        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="runtime-privileges")
        post_migrate.connect(
            routers.migration_finished, sender=self, dispatch_uid="migrating-connection"
        )
