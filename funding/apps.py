from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = _("Funding ledger")

    def ready(self):
        from funding import rollups  # noqa: F401  (connects the signal handlers)
