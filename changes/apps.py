from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    """The change feed (an outbox of events written with each change) and the webhooks that
    deliver it. Below the domain apps, which import it, and above `api`, whose keys it serves."""

    name = "changes"
    verbose_name = _("Change feed and webhooks")

    def ready(self):
        from simple_history.signals import post_create_historical_record

        from changes.services import record_history_event

        post_create_historical_record.connect(
            record_history_event, dispatch_uid="changes.record_history_event"
        )
