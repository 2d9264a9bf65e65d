from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from education.imports import import_results
from education.models import SponsoredProgramme


class Command(BaseCommand):
    help = (
        "Import exam results of one sponsored programme from an Excel (.xlsx) or CSV file laid "
        "out as the admin's import template. Every row is checked first; if any has a problem, "
        "each is listed by row and column, nothing is written and the command exits 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("programme", help="the sponsored programme's code")
        parser.add_argument("file", help="the .xlsx or .csv file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row but write nothing"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            programme = SponsoredProgramme.objects.get(code=options["programme"])
        except SponsoredProgramme.DoesNotExist:
            raise CommandError(f"No sponsored programme {options['programme']!r}.") from None
        report = import_results(
            path.read_bytes(), path.name, programme=programme, dry_run=options["dry_run"]
        )
        if report.problems:
            for problem in report.problems:
                where = f"row {problem.row}" if problem.row is not None else "file"
                column = f", {problem.column}" if problem.column else ""
                self.stderr.write(f"{where}{column}: {problem.message}")
            raise CommandError(
                f"{len(report.problems)} problem(s) in {path.name}; nothing was written."
            )
        verb = "Imported" if report.written else "Checked (nothing written)"
        self.stdout.write(f"{verb}: {len(report.rows)} results from {path.name}.")
