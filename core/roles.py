"""Staff roles as groups with model permissions, which each app grants in its own `roles.py`.

An app's `ROLES` maps a role (a group's name) to {app label: {model: actions}}: what the app
grants the role, on its own models or on those of the apps below it that the role's work needs.
A role holds what every app grants it. `sync_roles` makes each group hold exactly that; it runs
after every migrate, so a new model's permissions reach the roles without anyone clicking in the
admin.
"""

from django.apps import AppConfig
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from core.registry import app_modules

# {app label: {model: actions}}; an action is `view`, `add`, `change`, `delete` or a codename.
Grants = dict[str, dict[str, tuple[str, ...]]]


def roles() -> dict[str, Grants]:
    """Every role and its permissions, merged from the apps' `roles.py` in INSTALLED_APPS order;
    a model two apps name for one role gets the actions of both."""
    merged: dict[str, Grants] = {}
    # This module is core's `roles` too, and grants nothing.
    for module in (module for module in app_modules("roles") if module.__name__ != __name__):
        for role, grants in module.ROLES.items():
            held = merged.setdefault(role, {})
            for app, models in grants.items():
                for model, actions in models.items():
                    before = held.setdefault(app, {}).get(model, ())
                    held[app][model] = tuple(dict.fromkeys([*before, *actions]))
    return merged


def codename(action: str, model: str) -> str:
    """`view` on `project` is `view_project`; an action with an underscore is a whole codename,
    for a model's own permissions such as `approve_disbursement`."""
    return action if "_" in action else f"{action}_{model}"


@transaction.atomic
def sync_roles() -> None:
    for name, apps in roles().items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = {
            (app, codename(action, model))
            for app, models in apps.items()
            for model, actions in models.items()
            for action in actions
        }
        perms = Permission.objects.filter(content_type__app_label__in=apps.keys()).select_related(
            "content_type"
        )
        group.permissions.set(
            [p for p in perms if (p.content_type.app_label, p.codename) in wanted]
        )


def sync_roles_after_migrate(sender: AppConfig, **kwargs: object) -> None:
    # post_migrate fires once per app, in order; every permission exists by the last app's turn.
    with_models = [config for config in django_apps.get_app_configs() if config.models_module]
    if sender is with_models[-1]:
        sync_roles()
