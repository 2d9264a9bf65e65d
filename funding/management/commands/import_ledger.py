from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from funding.imports import import_ledger


class Command(BaseCommand):
    help = (
        "Import ledger entries from an Excel (.xlsx) or CSV file laid out as the admin's import "
        "template. Every row is checked first; if any has a problem, each is listed by row and "
        "column, nothing is written and the command exits 1. Otherwise all rows are written in "
        "one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx or .csv file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row but write nothing"
        )
        parser.add_argument("--user", help="the username to record the entries as recorded by")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        recorded_by = None
        if options["user"]:
            try:
                recorded_by = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user is called {options['user']!r}.") from None
        # The bar goes to the raw stream: Django's wrapper would end each redraw with a newline.
        stream = getattr(self.stderr, "_out", self.stderr)

        def track(rows, total, stage):
            return tqdm(rows, total=total, desc=stage, unit="row", file=stream, leave=False)

        report = import_ledger(
            path.read_bytes(),
            path.name,
            recorded_by=recorded_by,
            dry_run=options["dry_run"],
            track=track,
        )
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(report.problems)} problem(s) in {path.name}; nothing was written."
            )
        summary = ", ".join(
            f"{label} {count} ({amount:,.2f} CNY)" for label, count, amount in report.by_type()
        )
        if report.written:
            self.stdout.write(f"Imported {len(report.rows)} entries from {path.name}: {summary}.")
        else:
            self.stdout.write(
                f"{path.name} has no problems: {len(report.rows)} entries would be imported: "
                f"{summary}. Nothing was written (dry run)."
            )
