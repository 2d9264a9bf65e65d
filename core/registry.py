"""How an app registers what it contributes (its roles, API routes, home-page section, demo data,
problem types) without anyone importing it by name: by defining a module of an agreed name, found
in INSTALLED_APPS order, the way the admin finds each app's `admin.py`.
"""

from functools import cache
from importlib import import_module
from types import ModuleType

from django.apps import apps
from django.utils.module_loading import module_has_submodule


@cache
def app_modules(name: str) -> tuple[ModuleType, ...]:
    """The `name` modules of the installed apps (a dotted name such as "api.urls" works too), in
    INSTALLED_APPS order. Looked up once per process: the installed apps do not change while it
    runs, and public pages ask on every request."""
    found = []
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, name.split(".")[0]):
            try:
                found.append(import_module(f"{config.name}.{name}"))
            except ModuleNotFoundError as error:
                if error.name != f"{config.name}.{name}":
                    raise
    return tuple(found)
