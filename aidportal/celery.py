"""The Celery application that runs background tasks (webhook deliveries), configured from the
CELERY_* settings: `celery -A aidportal worker`. Without a broker (the embedded demo) tasks run
eagerly, in the process that sends them."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidportal.settings")

app = Celery("aidportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
