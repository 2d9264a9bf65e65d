from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every app shares: the ground floor, importing no app of this project."""

    name = "core"
    verbose_name = _("Core")
