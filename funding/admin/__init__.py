"""The ledger in the admin: every write goes through `funding.services`, posted entries are
read-only, and list pages show the totals of what they list.

`ledger` holds the entries, `totals` the running totals and rollups, `approvals` who approved and
who published, `checks` the runs of `check_ledger`, `budget` and `donations` their records;
`display` how money is shown."""

from funding.admin import approvals, budget, checks, donations, ledger, totals
from projects.admin import ProjectAdmin

__all__ = ["approvals", "budget", "checks", "donations", "ledger", "totals"]

# projects does not know about funding; funding adds itself to the project page.
ProjectAdmin.inlines = [
    *ProjectAdmin.inlines,
    totals.ProjectFundingInline,
    ledger.LedgerEntryInline,
]
