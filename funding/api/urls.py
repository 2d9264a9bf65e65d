from funding.api.views import DonationViewSet, FundingSummaryViewSet, LedgerEntryViewSet

routes = [
    ("funding/entries", LedgerEntryViewSet, "ledger-entry"),
    ("funding/donations", DonationViewSet, "donation"),
    ("funding", FundingSummaryViewSet, "funding"),
]
