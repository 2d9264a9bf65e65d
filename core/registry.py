"""How an app registers what it contributes (its roles, API routes, home-page section, demo data,
problem types) without anyone importing it by name: by defining a module of an agreed name, found
in INSTALLED_APPS order, the way the admin finds each app's `admin.py`.
"""

from importlib import import_module
from types import ModuleType

from django.apps import apps
from django.utils.module_loading import module_has_submodule


def app_modules(name: str) -> list[ModuleType]:
    """The `name` modules of the installed apps (a dotted name such as "api.urls" works too), in
    INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, name.split(".")[0]):
            try:
                found.append(import_module(f"{config.name}.{name}"))
            except ModuleNotFoundError as error:
                if error.name != f"{config.name}.{name}":
                    raise
    return found
