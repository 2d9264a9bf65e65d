"""The health commission's role, and what the other staff roles (core.roles) may do with the
medical records."""

MODELS = [
    "need",
    "calllist",
    "callitem",
    "claim",
    "progressreport",
    "verification",
    "transition",
    "leaderboardsnapshot",
    "leaderboardrow",
    "bulletin",
    "freeclinic",
    "charitybatch",
    "hospitalfirst",
]
# What the commission enters itself; claims, reports and the transition log are written by the
# services only, so they are read-only here.
KEPT = ("need", "calllist", "callitem", "bulletin", "freeclinic", "charitybatch", "hospitalfirst")

ROLES = {
    "Auditor": {"medical": {model: ("view",) for model in MODELS}},
    # 杭州市卫健委: turns needs into lists, publishes and closes them, follows claims, verifies or
    # returns deliveries, publishes bulletins and keeps the outreach records.
    "Health commission": {
        "medical": {
            **{model: ("view",) for model in MODELS},
            **{model: ("view", "add", "change") for model in KEPT},
            "verification": ("view", "add"),
        },
        "reference": {
            "organisation": ("view",),
            "programme": ("view",),
            "place": ("view",),
            "aidteambatch": ("view",),
            "teammember": ("view", "add", "change"),
        },
    },
}
