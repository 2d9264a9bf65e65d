"""What the staff roles (core.roles) may do with projects and the timeline."""

from core.roles import Grants

MODELS = [
    "project",
    "participant",
    "milestone",
    "indicator",
    "progressupdate",
    "photo",
    "timelineevent",
]

ROLES: dict[str, Grants] = {
    "Programme staff": {
        "projects": {model: ("view", "add", "change", "delete") for model in MODELS}
    },
    "Auditor": {"projects": {model: ("view",) for model in MODELS}},
}

# Inspections (projects.inspections): inspectors record them and their findings; programme staff
# record the rectification of a finding; a reviewer closes it, and never one they rectified
# (projects.services.finding_close).
INSPECTION_MODELS = ["inspection", "finding", "inspectiondocument"]
ROLES["Inspector"] = {
    "projects": {
        "project": ("view",),
        "inspection": ("view", "add", "change"),
        "finding": ("view", "add", "change"),
        "inspectiondocument": ("view", "add", "change", "delete"),
    }
}
ROLES["Inspection reviewer"] = {
    "projects": {
        "project": ("view",),
        "inspection": ("view",),
        "finding": ("view", "close_finding"),
        "inspectiondocument": ("view",),
    }
}
ROLES["Programme staff"]["projects"].update(
    {"inspection": ("view",), "finding": ("view", "change"), "inspectiondocument": ("view",)}
)
ROLES["Auditor"]["projects"].update({model: ("view",) for model in INSPECTION_MODELS})
