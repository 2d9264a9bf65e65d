from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The partner API platform: keys, idempotency, audit, errors, permissions."""

    name = "api"
    label = "api"
    verbose_name = _("Partner API")

    def ready(self) -> None:
        from api import schema  # noqa: F401  registers the bearer scheme
