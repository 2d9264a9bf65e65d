"""Load the Hangzhou–Seni demo data; running it again changes nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.demo import DemoDataError
from core.registry import app_modules


def demo_loaders():
    """Each installed app's `demo.load_demo`, in INSTALLED_APPS order: projects comes before the
    apps that build on it, and never has to import them. A `demo` module without one is a part
    others use: `core.demo` the framework, `reference.demo` the sections of the projects file."""
    for module in app_modules("demo"):
        loader = getattr(module, "load_demo", None)
        if loader is not None:
            yield module.__name__.partition(".")[0], loader


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
