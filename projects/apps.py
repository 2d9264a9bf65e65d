from django.apps import AppConfig
from django.db.models.signals import post_init, post_save
from django.utils.translation import gettext_lazy as _

# The uid under which django-imagekit connects its receivers (imagekit.specs.sourcegroups).
IMAGEKIT_RECEIVERS = "ik_spec_field_receivers"


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        listen_for_image_sources_only()


def listen_for_image_sources_only() -> None:
    """django-imagekit hears every model's post_init and post_save, since it cannot know which
    models hold image sources when it connects, and then ignores all but those: a call per model
    instance anywhere (about a tenth of a list answer's time). Once every model is loaded they
    are known, so its receivers hear only those models."""
    from imagekit.specs.sourcegroups import signal_router

    models = {group.model_class for group in signal_router._source_groups}
    post_init.disconnect(dispatch_uid=IMAGEKIT_RECEIVERS)
    post_save.disconnect(dispatch_uid=IMAGEKIT_RECEIVERS)
    for model in models:
        uid = f"{IMAGEKIT_RECEIVERS}:{model._meta.label}"
        post_init.connect(signal_router.post_init_receiver, sender=model, dispatch_uid=uid)
        post_save.connect(signal_router.post_save_receiver, sender=model, dispatch_uid=uid)
