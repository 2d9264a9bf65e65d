# Loaded with Django, so that tasks sent by the web process use this app's broker.
from aidportal.celery import app as celery_app

__all__ = ["celery_app"]
