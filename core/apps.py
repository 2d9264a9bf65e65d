from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every app shares: the ground floor, importing no app of this project."""

    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from core.roles import sync_roles_after_migrate

        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="core.sync_roles")
