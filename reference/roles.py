"""Staff roles as groups with model permissions. Later apps add their roles to ROLES.

`sync_roles` makes each group hold exactly the permissions listed here; it runs after every
migrate, so a new model's permissions reach the roles without anyone clicking in the admin.
"""

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction

# Model labels per app whose records programme staff keep.
PROGRAMME_MODELS = {
    "reference": [
        "organisation",
        "place",
        "programme",
        "planperiod",
        "aidteambatch",
        "teammember",
        "exchangevisit",
        "reportedfigure",
    ],
    "projects": [
        "project",
        "participant",
        "milestone",
        "indicator",
        "progressupdate",
        "photo",
        "timelineevent",
    ],
}

ROLES = {
    # Enters and corrects the programme's records; may not delete reference data others use.
    "Programme staff": {
        app: {model: ("view", "add", "change", "delete") for model in models}
        for app, models in PROGRAMME_MODELS.items()
    },
    # Reads everything, history included, and changes nothing.
    "Auditor": {
        app: {model: ("view",) for model in models} for app, models in PROGRAMME_MODELS.items()
    },
}
for model in ("organisation", "place", "programme", "planperiod"):
    ROLES["Programme staff"]["reference"][model] = ("view", "add", "change")
# Auditors also read who wrote what through the partner API, and which keys exist.
ROLES["Auditor"]["api"] = {"auditentry": ("view",), "apikey": ("view",)}


@transaction.atomic
def sync_roles() -> None:
    for name, apps in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [
            (app, f"{action}_{model}")
            for app, models in apps.items()
            for model, actions in models.items()
            for action in actions
        ]
        perms = Permission.objects.filter(content_type__app_label__in=apps.keys()).select_related(
            "content_type"
        )
        chosen = [p for p in perms if (p.content_type.app_label, p.codename) in set(wanted)]
        group.permissions.set(chosen)


def sync_roles_after_migrate(sender, **kwargs):
    # post_migrate fires once per app, in order; every permission exists by the last app's turn.
    with_models = [config for config in django_apps.get_app_configs() if config.models_module]
    if sender is with_models[-1]:
        sync_roles()
