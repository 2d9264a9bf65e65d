"""Load the Hangzhou–Seni demo data; running it again changes nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from projects.demo import DemoDataError, load_demo


class Command(BaseCommand):
    help = "Load the demo data file (default: demo/hangzhou_seni.yaml). Safe to run repeatedly."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, help="YAML file to load instead of the default.")

    def handle(self, *args, **options):
        try:
            counts = load_demo(options["file"])
        except DemoDataError as exc:
            raise CommandError(f"Nothing was loaded: {exc}") from exc
        for model, outcome in counts.items():
            self.stdout.write(
                f"{model}: {outcome['created']} created, {outcome['updated']} updated, "
                f"{outcome['unchanged']} unchanged"
            )
