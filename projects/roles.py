"""What the staff roles (core.roles) may do with projects and the timeline."""

MODELS = [
    "project",
    "participant",
    "milestone",
    "indicator",
    "progressupdate",
    "photo",
    "timelineevent",
]

ROLES = {
    "Programme staff": {
        "projects": {model: ("view", "add", "change", "delete") for model in MODELS}
    },
    "Auditor": {"projects": {model: ("view",) for model in MODELS}},
}
