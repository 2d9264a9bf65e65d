"""What the staff roles (core.roles) may do with projects and the timeline, and the lifecycle's
roles: proposers (partner side), each side's reviewers and approvers (projects.lifecycle)."""

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
# Written by projects.lifecycle only: read-only in the admin for everyone.
LIFECYCLE = ["workflowstep", "planadjustment"]
READ_PROJECTS = {model: ("view",) for model in ("project", "participant", "milestone")}
READ_LIFECYCLE = {model: ("view",) for model in LIFECYCLE}

ROLES: dict[str, Grants] = {
    "Programme staff": {
        "projects": {
            **{model: ("view", "add", "change", "delete") for model in MODELS},
            **READ_LIFECYCLE,
            # Records the start, completion, acceptance and handover, and requests plan
            # adjustments; approving is the approvers'.
            "workflowstep": ("view", "run_project"),
            "planadjustment": ("view", "add"),
        }
    },
    "Auditor": {"projects": {model: ("view",) for model in [*MODELS, *LIFECYCLE]}},
    # 申报: the partner side prepares a proposal and submits it for joint review.
    "Project proposer": {
        "projects": {
            **{model: ("view", "add", "change") for model in ("project", "participant")},
            **READ_LIFECYCLE,
            "workflowstep": ("view", "propose_project"),
        },
        "reference": {"organisation": ("view",), "programme": ("view",), "place": ("view",)},
    },
    # 联审: each side's reviewers record an opinion.
    "Project reviewer (donor side)": {
        "projects": {
            **READ_PROJECTS,
            **READ_LIFECYCLE,
            "workflowstep": ("view", "review_project_donor"),
        }
    },
    "Project reviewer (partner side)": {
        "projects": {
            **READ_PROJECTS,
            **READ_LIFECYCLE,
            "workflowstep": ("view", "review_project_partner"),
        }
    },
    # 批复: approves projects and plan adjustments (never one they reviewed or requested).
    "Project approver": {
        "projects": {
            **READ_PROJECTS,
            **READ_LIFECYCLE,
            "workflowstep": ("view", "approve_project"),
            "planadjustment": ("view", "change"),
        }
    },
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
