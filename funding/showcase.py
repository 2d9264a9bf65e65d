"""What funding registers with the showcase: the timestamps behind its public figures (数据截至).
Its figures on the home page come from funding.selectors through projects.views."""

# Ledger entries and approvals are append-only: when they were recorded is when figures changed.
CHANGE_SOURCES = (("funding.LedgerEntry", "recorded_at"), ("funding.Approval", "approved_at"))
