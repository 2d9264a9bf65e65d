"""Load the Hangzhou–Seni demo data; running it again changes nothing."""

from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from projects.demo import DemoDataError


def demo_loaders():
    """Each installed app's `demo.load_demo`, in INSTALLED_APPS order: projects comes before the
    apps that build on it, and never has to import them."""
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "demo"):
            loader = getattr(import_module(f"{config.name}.demo"), "load_demo", None)
            if loader is not None:
                yield config.label, loader


class Command(BaseCommand):
    help = (
        "Load the demo data files (demo/hangzhou_seni.yaml, then each other app's file, such as "
        "demo/hangzhou_seni_funding.yaml). Safe to run repeatedly."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", type=Path, help="YAML file to load instead of demo/hangzhou_seni.yaml."
        )

    def handle(self, *args, **options):
        counts = {}
        try:
            with transaction.atomic():
                for label, loader in demo_loaders():
                    path = options["file"] if label == "projects" else None
                    counts.update(loader(path))
        except DemoDataError as exc:
            raise CommandError(f"Nothing was loaded: {exc}") from exc
        for model, outcome in counts.items():
            self.stdout.write(
                f"{model}: {outcome['created']} created, {outcome['updated']} updated, "
                f"{outcome['unchanged']} unchanged"
            )
