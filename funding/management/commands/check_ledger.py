from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import ExtractYear

from funding import rollups, services
from funding.models import Approval, LedgerEntry, ProjectFunding, ProjectFundingYear
from projects import rollups as project_rollups

TOTALS = ("committed", "arrived", "disbursed", "spent", "pending", "beyond_arrivals")
TYPE_TOTAL = {
    "incoming_commitment": "committed",
    "incoming_funds": "arrived",
    "disbursement": "disbursed",
    "expenditure": "spent",
}
YEAR_TOTALS = ("arrived", "disbursed", "spent")
ZERO = Decimal("0")


def expected_totals():
    """Every project's totals recomputed from its entries with a few GROUP BY queries.

    An entry that has been reversed counts for nothing (the reversal cancels it); a
    disbursement awaiting approval counts as pending only, an arrival awaiting it nowhere."""
    live = (
        LedgerEntry.objects.filter(reverses__isnull=True, reversed_by__isnull=True)
        .annotate(approved=Exists(Approval.objects.filter(entry=OuterRef("pk"))))
        .order_by()
    )
    counted = live.filter(Q(needs_approval=False) | Q(approved=True))
    totals: defaultdict[int, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(TOTALS, ZERO))
    row: Mapping[str, Any]
    for row in counted.values("project_id", "type").annotate(total=Sum("amount")):
        totals[row["project_id"]][TYPE_TOTAL[row["type"]]] += row["total"]
    pending = live.filter(needs_approval=True, approved=False, type="disbursement")
    for row in pending.values("project_id").annotate(total=Sum("amount")):
        totals[row["project_id"]]["pending"] += row["total"]
    beyond = live.filter(beyond_arrivals=True)
    for row in beyond.values("project_id").annotate(total=Sum("amount")):
        totals[row["project_id"]]["beyond_arrivals"] += row["total"]
    years: defaultdict[tuple[int, int], dict[str, Decimal]] = defaultdict(
        lambda: dict.fromkeys(YEAR_TOTALS, ZERO)
    )
    yearly = counted.exclude(type="incoming_commitment").annotate(year=ExtractYear("date"))
    for row in yearly.values("project_id", "year", "type").annotate(total=Sum("amount")):
        years[(row["project_id"], row["year"])][TYPE_TOTAL[row["type"]]] += row["total"]
    return totals, years


class Command(BaseCommand):
    help = (
        "Recompute every project's funding totals from the ledger entries and compare them with "
        "the running totals, and the programme rollups with the project totals; list every "
        "difference and exit 1 if there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild-rollups",
            action="store_true",
            help="First recompute the programme rollups from the project totals (after a bulk "
            "update of projects or budget lines that bypassed the services).",
        )

    def handle(self, *args, **options):
        expected, expected_years = expected_totals()
        stored = {row.project_id: row for row in ProjectFunding.objects.select_related("project")}
        codes = {pid: row.project.code for pid, row in stored.items()}
        codes.update(
            LedgerEntry.objects.filter(project_id__in=set(expected) - set(codes))
            .values_list("project_id", "project__code")
            .distinct()
        )
        differences = []
        for pid in sorted(set(expected) | set(stored), key=lambda pid: codes.get(pid, "")):
            row, want = stored.get(pid), expected.get(pid, dict.fromkeys(TOTALS, ZERO))
            for name in TOTALS:
                have = getattr(row, name) if row else ZERO
                if have != want[name]:
                    differences.append(f"{codes[pid]} {name}: totals {have}, ledger {want[name]}")
        stored_years = {
            (row.project_id, row.year): row
            for row in ProjectFundingYear.objects.all().only("project_id", "year", *YEAR_TOTALS)
        }
        for key in sorted(set(expected_years) | set(stored_years)):
            year_row = stored_years.get(key)
            want = expected_years.get(key, dict.fromkeys(YEAR_TOTALS, ZERO))
            for name in YEAR_TOTALS:
                have = getattr(year_row, name) if year_row else ZERO
                if have != want[name]:
                    pid, year = key
                    differences.append(
                        f"{codes.get(pid, pid)} {year} {name}: totals {have}, ledger {want[name]}"
                    )
        # The programme rollups the dashboards read, against the project totals and budget lines.
        if options["rebuild_rollups"]:
            rollups.rebuild()
            self.stdout.write("Programme rollups rebuilt from the project totals.")
        differences += rollups.differences()
        # The project counts the home page reads, which the database's triggers keep.
        differences += project_rollups.differences()
        services.record_ledger_check(
            differences=differences, rebuilt_rollups=options["rebuild_rollups"]
        )
        if differences:
            for line in differences:
                self.stderr.write(line)
            raise CommandError(f"{len(differences)} totals disagree with the ledger.")
        self.stdout.write(
            f"Ledger and totals agree for {len(stored)} projects, and so do the programme rollups."
        )
