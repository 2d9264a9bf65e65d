from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from funding.models import ProjectFunding, ProjectFundingYear
from funding.selectors import recompute_totals
from projects.models import Project

TOTALS = ("committed", "arrived", "disbursed", "spent", "pending", "beyond_arrivals")


class Command(BaseCommand):
    help = (
        "Recompute every project's funding totals from its ledger entries and compare them with "
        "the running totals; list every difference and exit 1 if there is any."
    )

    def handle(self, *args, **options):
        stored = {row.project_id: row for row in ProjectFunding.objects.all()}
        stored_years: dict[tuple[int, int], ProjectFundingYear] = {
            (row.project_id, row.year): row for row in ProjectFundingYear.objects.all()
        }
        differences = []
        projects = Project.objects.filter(ledger_entries__isnull=False).distinct().order_by("code")
        checked = 0
        for project in projects.iterator():
            checked += 1
            expected, years = recompute_totals(project)
            row = stored.get(project.pk)
            for name in TOTALS:
                have = getattr(row, name) if row else Decimal("0")
                if have != expected[name]:
                    differences.append(
                        f"{project.code} {name}: totals {have}, ledger {expected[name]}"
                    )
            year_keys = {year for (pid, year) in stored_years if pid == project.pk} | set(years)
            for year in sorted(year_keys):
                row_year = stored_years.get((project.pk, year))
                for name in ("arrived", "disbursed", "spent"):
                    have = getattr(row_year, name) if row_year else Decimal("0")
                    want = years.get(year, {}).get(name, Decimal("0"))
                    if have != want:
                        differences.append(
                            f"{project.code} {year} {name}: totals {have}, ledger {want}"
                        )
        orphans = set(stored) - set(projects.values_list("pk", flat=True))
        for pk in sorted(orphans):
            row = stored[pk]
            if any(getattr(row, name) for name in TOTALS):
                differences.append(f"{row.project.code}: totals without any ledger entry")
        if differences:
            for line in differences:
                self.stderr.write(line)
            raise CommandError(f"{len(differences)} totals disagree with the ledger.")
        self.stdout.write(f"Ledger and totals agree for {checked} projects.")
