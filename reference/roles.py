"""Staff roles as groups with model permissions. Later apps add their roles to ROLES.

`sync_roles` makes each group hold exactly the permissions listed here; it runs after every
migrate, so a new model's permissions reach the roles without anyone clicking in the admin.
"""

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction

# Model labels per app whose records programme staff keep.
PROGRAMME_MODELS = {
    "reference": [
        "organisation",
        "place",
        "programme",
        "planperiod",
        "aidteambatch",
        "teammember",
        "exchangevisit",
        "reportedfigure",
    ],
    "projects": [
        "project",
        "participant",
        "milestone",
        "indicator",
        "progressupdate",
        "photo",
        "timelineevent",
    ],
}

# Per role: per app label, per model, the actions it may take.
ROLES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    # Enters and corrects the programme's records; may not delete reference data others use.
    "Programme staff": {
        app: {model: ("view", "add", "change", "delete") for model in models}
        for app, models in PROGRAMME_MODELS.items()
    },
    # Reads everything, history included, and changes nothing.
    "Auditor": {
        app: {model: ("view",) for model in models} for app, models in PROGRAMME_MODELS.items()
    },
}
for model in ("organisation", "place", "programme", "planperiod"):
    ROLES["Programme staff"]["reference"][model] = ("view", "add", "change")
# Auditors also read who wrote what through the partner API, and which keys exist.
ROLES["Auditor"]["api"] = {"auditentry": ("view",), "apikey": ("view",)}

FUNDING_MODELS = [
    "budgetline",
    "ledgerentry",
    "approval",
    "notepublication",
    "projectfunding",
    "projectfundingyear",
    "fundingrollup",
    "fundingrollupyear",
    "donation",
]
ROLES["Auditor"]["funding"] = {model: ("view",) for model in FUNDING_MODELS}
# Records budgets, donations and ledger entries, and publishes partners' notes on entries. A
# posted entry is corrected by a reversal, so there is no change or delete on entries.
# Organisations and programmes feed the forms' pickers.
ROLES["Finance officer"] = {
    "funding": {
        "ledgerentry": ("view", "add", "publish_entry_note"),
        "budgetline": ("view", "add", "change"),
        "donation": ("view", "add", "change"),
        "approval": ("view",),
        "notepublication": ("view",),
        "projectfunding": ("view",),
        "projectfundingyear": ("view",),
    },
    "projects": {"project": ("view",)},
    "reference": {"organisation": ("view",), "programme": ("view",)},
}
# The second pair of eyes, and the one who may go beyond arrivals with a reason.
ROLES["Finance approver"] = {app: dict(models) for app, models in ROLES["Finance officer"].items()}
ROLES["Finance approver"]["funding"]["ledgerentry"] = (
    "view",
    "add",
    "publish_entry_note",
    "record_beyond_arrivals",
    "approve_disbursement",
)


def codename(action: str, model: str) -> str:
    """`view` on `project` is `view_project`; an action with an underscore is a whole codename,
    for a model's own permissions such as `approve_disbursement`."""
    return action if "_" in action else f"{action}_{model}"


@transaction.atomic
def sync_roles() -> None:
    for name, apps in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [
            (app, codename(action, model))
            for app, models in apps.items()
            for model, actions in models.items()
            for action in actions
        ]
        perms = Permission.objects.filter(content_type__app_label__in=apps.keys()).select_related(
            "content_type"
        )
        chosen = [p for p in perms if (p.content_type.app_label, p.codename) in set(wanted)]
        group.permissions.set(chosen)


def sync_roles_after_migrate(sender, **kwargs):
    # post_migrate fires once per app, in order; every permission exists by the last app's turn.
    with_models = [config for config in django_apps.get_app_configs() if config.models_module]
    if sender is with_models[-1]:
        sync_roles()


MEDICAL_MODELS = [
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
ROLES["Auditor"]["medical"] = {model: ("view",) for model in MEDICAL_MODELS}
# 杭州市卫健委: turns needs into lists, publishes and closes them, follows claims, verifies or
# returns deliveries, publishes bulletins and keeps the outreach records. Claims, reports and
# the transition log are written by the services only, so they are read-only here.
ROLES["Health commission"] = {
    "medical": {
        **{model: ("view",) for model in MEDICAL_MODELS},
        **{
            model: ("view", "add", "change")
            for model in (
                "need",
                "calllist",
                "callitem",
                "bulletin",
                "freeclinic",
                "charitybatch",
                "hospitalfirst",
            )
        },
        "verification": ("view", "add"),
    },
    "reference": {
        "organisation": ("view",),
        "programme": ("view",),
        "place": ("view",),
        "aidteambatch": ("view",),
        "teammember": ("view", "add", "change"),
    },
}


# Keeps the sponsored classes' cohorts, students and results. Students are anonymised, never
# deleted, so there is no delete on students, enrolments or results.
EDUCATION_MODELS = ["sponsoredprogramme", "cohort", "exam", "reportedcohortfigure", "placement"]
ROLES["Education staff"] = {
    "education": {
        **{model: ("view", "add", "change", "delete") for model in EDUCATION_MODELS},
        "student": ("view", "add", "change"),
        "enrolment": ("view", "add", "change"),
        "examresult": ("view", "add", "change"),
        "accesslogentry": ("view",),
        # Publishes a cohort's figures; a release is never changed or deleted.
        "resultsrelease": ("view", "add"),
    },
    "reference": {"organisation": ("view",), "place": ("view",), "programme": ("view",)},
}
# Auditors read the cohort-level records and who read student records, not the students.
ROLES["Auditor"]["education"] = {
    model: ("view",) for model in [*EDUCATION_MODELS, "accesslogentry", "resultsrelease"]
}
