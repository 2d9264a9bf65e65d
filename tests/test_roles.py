"""The staff roles each app grants in its `roles.py` (core.roles): the groups hold exactly these
permissions, which data and people depend on."""

from types import ModuleType

import pytest
from django.contrib.auth.models import Group, Permission

from core import roles

# Role -> app label -> model -> actions (a codename where it has an underscore).
EXPECTED = {
    "Programme staff": {
        "reference": {
            "organisation": "view add change",
            "place": "view add change",
            "programme": "view add change",
            "planperiod": "view add change",
            "aidteambatch": "view add change delete",
            "teammember": "view add change delete",
            "exchangevisit": "view add change delete",
            "reportedfigure": "view add change delete",
        },
        "projects": {
            "project": "view add change delete",
            "participant": "view add change delete",
            "milestone": "view add change delete",
            "indicator": "view add change delete",
            "progressupdate": "view add change delete",
            "photo": "view add change delete",
            "timelineevent": "view add change delete",
            "workflowstep": "view run_project",
            "planadjustment": "view add",
            "inspection": "view",
            "finding": "view change",
            "inspectiondocument": "view",
        },
    },
    "Auditor": {
        "reference": {
            "organisation": "view",
            "place": "view",
            "programme": "view",
            "planperiod": "view",
            "aidteambatch": "view",
            "teammember": "view",
            "exchangevisit": "view",
            "reportedfigure": "view",
        },
        "projects": {
            "project": "view",
            "participant": "view",
            "milestone": "view",
            "indicator": "view",
            "progressupdate": "view",
            "photo": "view",
            "timelineevent": "view",
            "workflowstep": "view",
            "planadjustment": "view",
            "inspection": "view",
            "finding": "view",
            "inspectiondocument": "view",
        },
        "api": {
            "auditentry": "view",
            "apikey": "view",
        },
        "funding": {
            "budgetline": "view",
            "ledgerentry": "view",
            "approval": "view",
            "notepublication": "view",
            "projectfunding": "view",
            "projectfundingyear": "view",
            "fundingrollup": "view",
            "fundingrollupyear": "view",
            "donation": "view",
            "ledgercheck": "view",
            "closedperiod": "view",
        },
        "medical": {
            "need": "view",
            "calllist": "view",
            "callitem": "view",
            "claim": "view",
            "progressreport": "view",
            "verification": "view",
            "transition": "view",
            "leaderboardsnapshot": "view",
            "leaderboardrow": "view",
            "bulletin": "view",
            "freeclinic": "view",
            "charitybatch": "view",
            "hospitalfirst": "view",
        },
        "education": {
            "sponsoredprogramme": "view",
            "cohort": "view",
            "exam": "view",
            "reportedcohortfigure": "view",
            "placement": "view",
            "accesslogentry": "view",
            "resultsrelease": "view",
        },
    },
    "Finance officer": {
        "funding": {
            "ledgerentry": "view add publish_entry_note",
            "budgetline": "view add change",
            "donation": "view add change",
            "approval": "view",
            "notepublication": "view",
            "ledgercheck": "view",
            "projectfunding": "view",
            "projectfundingyear": "view",
            "closedperiod": "view",
        },
        "projects": {
            "project": "view",
        },
        "reference": {
            "organisation": "view",
            "programme": "view",
        },
    },
    "Finance approver": {
        "funding": {
            "ledgerentry": (
                "view add publish_entry_note record_beyond_arrivals approve_disbursement"
            ),
            "budgetline": "view add change",
            "donation": "view add change",
            "approval": "view",
            "notepublication": "view",
            "ledgercheck": "view",
            "projectfunding": "view",
            "projectfundingyear": "view",
            "closedperiod": "view add",
        },
        "projects": {
            "project": "view",
        },
        "reference": {
            "organisation": "view",
            "programme": "view",
        },
    },
    "Health commission": {
        "medical": {
            "need": "view add change",
            "calllist": "view add change",
            "callitem": "view add change",
            "claim": "view",
            "progressreport": "view",
            "verification": "view add",
            "transition": "view",
            "leaderboardsnapshot": "view",
            "leaderboardrow": "view",
            "bulletin": "view add change",
            "freeclinic": "view add change",
            "charitybatch": "view add change",
            "hospitalfirst": "view add change",
        },
        "reference": {
            "organisation": "view",
            "programme": "view",
            "place": "view",
            "aidteambatch": "view",
            "teammember": "view add change",
        },
    },
    "Education staff": {
        "education": {
            "sponsoredprogramme": "view add change delete",
            "cohort": "view add change delete",
            "exam": "view add change delete",
            "reportedcohortfigure": "view add change delete",
            "placement": "view add change delete",
            "student": "view add change",
            "enrolment": "view add change",
            "examresult": "view add change",
            "accesslogentry": "view",
            "resultsrelease": "view add",
        },
        "reference": {
            "organisation": "view",
            "place": "view",
            "programme": "view",
        },
    },
    "Project proposer": {
        "projects": {
            "project": "view add change",
            "participant": "view add change",
            "workflowstep": "view propose_project",
            "planadjustment": "view",
        },
        "reference": {"organisation": "view", "programme": "view", "place": "view"},
    },
    "Project reviewer (donor side)": {
        "projects": {
            "project": "view",
            "participant": "view",
            "milestone": "view",
            "workflowstep": "view review_project_donor",
            "planadjustment": "view",
        },
    },
    "Project reviewer (partner side)": {
        "projects": {
            "project": "view",
            "participant": "view",
            "milestone": "view",
            "workflowstep": "view review_project_partner",
            "planadjustment": "view",
        },
    },
    "Project approver": {
        "projects": {
            "project": "view",
            "participant": "view",
            "milestone": "view",
            "workflowstep": "view approve_project",
            "planadjustment": "view change",
        },
    },
    "Inspector": {
        "projects": {
            "project": "view",
            "inspection": "view add change",
            "finding": "view add change",
            "inspectiondocument": "view add change delete",
        },
    },
    "Inspection reviewer": {
        "projects": {
            "project": "view",
            "inspection": "view",
            "finding": "view close_finding",
            "inspectiondocument": "view",
        },
    },
}


def permissions(grants: dict[str, dict[str, str]]) -> set[str]:
    return {
        f"{app}." + (action if "_" in action else f"{action}_{model}")
        for app, models in grants.items()
        for model, actions in models.items()
        for action in actions.split()
    }


def held(group: Group) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_the_apps_together_grant_each_role_what_it_always_had():
    merged = {
        role: {
            app: {model: " ".join(actions) for model, actions in models.items()}
            for app, models in grants.items()
        }
        for role, grants in roles.roles().items()
    }

    assert merged == EXPECTED


@pytest.mark.django_db
def test_after_migrate_each_group_holds_exactly_its_roles_permissions():
    assert {group.name: held(group) for group in Group.objects.all()} == {
        role: permissions(grants) for role, grants in EXPECTED.items()
    }


@pytest.mark.django_db
def test_sync_roles_puts_back_what_was_changed_by_hand():
    auditor = Group.objects.get(name="Auditor")
    auditor.permissions.add(Permission.objects.get(codename="delete_project"))
    Group.objects.get(name="Finance officer").permissions.clear()

    roles.sync_roles()

    assert held(auditor) == permissions(EXPECTED["Auditor"])
    assert held(Group.objects.get(name="Finance officer")) == permissions(
        EXPECTED["Finance officer"]
    )


def test_a_model_two_apps_grant_one_role_gets_the_actions_of_both(monkeypatch):
    lower = ModuleType("lower.roles")
    lower.ROLES = {"Clerk": {"lower": {"thing": ("view",)}}}
    upper = ModuleType("upper.roles")
    upper.ROLES = {"Clerk": {"lower": {"thing": ("view", "change")}, "upper": {"item": ("add",)}}}

    monkeypatch.setattr(roles, "app_modules", lambda name: [lower, upper])

    assert roles.roles() == {
        "Clerk": {"lower": {"thing": ("view", "change")}, "upper": {"item": ("add",)}}
    }
