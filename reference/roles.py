"""What the staff roles (core.roles) may do with the reference data."""

MODELS = [
    "organisation",
    "place",
    "programme",
    "planperiod",
    "aidteambatch",
    "teammember",
    "exchangevisit",
    "reportedfigure",
]
# Other apps' records point to these, so programme staff may not delete them.
SHARED = ("organisation", "place", "programme", "planperiod")

# Per role: per app label, per model, the actions it may take.
ROLES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    # Enters and corrects the programme's records.
    "Programme staff": {
        "reference": {
            model: ("view", "add", "change")
            if model in SHARED
            else ("view", "add", "change", "delete")
            for model in MODELS
        }
    },
    # Reads everything, history included, and changes nothing.
    "Auditor": {"reference": {model: ("view",) for model in MODELS}},
}
