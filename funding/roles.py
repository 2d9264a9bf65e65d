"""The finance roles, and what the other staff roles (core.roles) may do with funding records."""

from core.roles import Grants

MODELS = [
    "budgetline",
    "ledgerentry",
    "approval",
    "notepublication",
    "projectfunding",
    "projectfundingyear",
    "fundingrollup",
    "fundingrollupyear",
    "donation",
    "ledgercheck",
    "closedperiod",
]

# Records budgets, donations and ledger entries, and publishes partners' notes on entries. A
# posted entry is corrected by a reversal, so there is no change or delete on entries.
# Organisations and programmes feed the forms' pickers.
FINANCE_OFFICER: Grants = {
    "funding": {
        "ledgerentry": ("view", "add", "publish_entry_note"),
        "budgetline": ("view", "add", "change"),
        "donation": ("view", "add", "change"),
        "approval": ("view",),
        "notepublication": ("view",),
        "ledgercheck": ("view",),
        "projectfunding": ("view",),
        "projectfundingyear": ("view",),
        "closedperiod": ("view",),
    },
    "projects": {"project": ("view",)},
    "reference": {"organisation": ("view",), "programme": ("view",)},
}

ROLES = {
    "Auditor": {"funding": {model: ("view",) for model in MODELS}},
    "Finance officer": FINANCE_OFFICER,
    # The second pair of eyes, and the one who may go beyond arrivals with a reason.
    "Finance approver": {
        **FINANCE_OFFICER,
        "funding": {
            **FINANCE_OFFICER["funding"],
            "ledgerentry": (
                "view",
                "add",
                "publish_entry_note",
                "record_beyond_arrivals",
                "approve_disbursement",
            ),
            # Closes a programme's year to new entries.
            "closedperiod": ("view", "add"),
        },
    },
}
