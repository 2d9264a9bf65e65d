"""A project's lifecycle, and the one place its rules live: proposal (申报) → joint review (联审)
→ approval (批复) → in progress (实施) → completion (竣工) → acceptance (验收) → handover
(移交/投产), with return and withdrawal; and plan adjustments (调整) after approval.

`TRANSITIONS` says, for every step, the stages it may start from and the stage it leads to.
`take_step` is the only code that moves a project's stage: it refuses any pair the table does
not hold (StepRefused, a 409 `workflow-step-refused` in the API, a form error in the admin),
checks that the actor may take the step, records it in `WorkflowStep`, keeps the IATI status in
step with the stage and writes the milestone the step dates (approval, start, completion,
handover), so those dates are never typed twice.

Each step writes its change-feed event (`workflow_step.posted`) in the same transaction.

Separation of duties: whoever recorded a review opinion on a project does not approve it, and
whoever approved it does not review it; whoever requested a plan adjustment does not decide it.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from api.actors import Actor
from changes.records import POSTED
from changes.services import record_event
from core.exceptions import Conflict
from projects import selectors
from projects.events import WORKFLOW_STEP
from projects.models import Milestone, PlanAdjustment, Project, Stage, WorkflowStep
from reference.dates import check_reported_date
from reference.models import DatePrecision

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.db.models import QuerySet

Action = WorkflowStep.Action
Side = WorkflowStep.Side

# step → {from stage: to stage}. Whatever is not here is refused.
TRANSITIONS: dict[str, dict[str, str]] = {
    Action.SUBMIT: {Stage.PROPOSAL: Stage.REVIEW},
    # An opinion changes no stage; both sides must agree before approval.
    Action.REVIEW: {Stage.REVIEW: Stage.REVIEW},
    Action.APPROVE: {Stage.REVIEW: Stage.APPROVED},
    # Back to the proposer from review; back to work when acceptance finds it unfinished.
    Action.RETURN: {Stage.REVIEW: Stage.PROPOSAL, Stage.COMPLETED: Stage.IN_PROGRESS},
    Action.START: {Stage.APPROVED: Stage.IN_PROGRESS},
    Action.COMPLETE: {Stage.IN_PROGRESS: Stage.COMPLETED},
    Action.ACCEPT: {Stage.COMPLETED: Stage.ACCEPTED},
    Action.HAND_OVER: {Stage.ACCEPTED: Stage.HANDED_OVER},
    Action.WITHDRAW: {
        Stage.PROPOSAL: Stage.WITHDRAWN,
        Stage.REVIEW: Stage.WITHDRAWN,
        Stage.APPROVED: Stage.WITHDRAWN,
        Stage.IN_PROGRESS: Stage.WITHDRAWN,
    },
}

# The IATI activity status each stage means. Closing (financial sign-off) is not a lifecycle
# step: a handed-over project stays in finalisation until staff close it.
STATUS_OF_STAGE: dict[str, str] = {
    Stage.PROPOSAL: Project.Status.PIPELINE,
    Stage.REVIEW: Project.Status.PIPELINE,
    Stage.APPROVED: Project.Status.PIPELINE,
    Stage.IN_PROGRESS: Project.Status.IMPLEMENTATION,
    Stage.COMPLETED: Project.Status.FINALISATION,
    Stage.ACCEPTED: Project.Status.FINALISATION,
    Stage.HANDED_OVER: Project.Status.FINALISATION,
    Stage.WITHDRAWN: Project.Status.CANCELLED,
}

# The milestone whose actual date each step sets.
MILESTONE_OF_STEP: dict[str, str] = {
    Action.APPROVE: Milestone.Kind.APPROVAL,
    Action.START: Milestone.Kind.CONSTRUCTION_START,
    Action.COMPLETE: Milestone.Kind.COMPLETION,
    Action.HAND_OVER: Milestone.Kind.HANDOVER,
}

PROPOSE = "projects.propose_project"
REVIEW_DONOR = "projects.review_project_donor"
REVIEW_PARTNER = "projects.review_project_partner"
APPROVE = "projects.approve_project"
RUN = "projects.run_project"
REVIEW_PERMISSION = {Side.DONOR: REVIEW_DONOR, Side.PARTNER: REVIEW_PARTNER}

# The staff permissions that allow each step; any one of them will do.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    Action.SUBMIT: (PROPOSE,),
    Action.REVIEW: (REVIEW_DONOR, REVIEW_PARTNER),
    Action.APPROVE: (APPROVE,),
    Action.RETURN: (APPROVE, REVIEW_DONOR, REVIEW_PARTNER, RUN),
    Action.START: (RUN,),
    Action.COMPLETE: (RUN,),
    Action.ACCEPT: (RUN,),
    Action.HAND_OVER: (RUN,),
    Action.WITHDRAW: (PROPOSE, APPROVE),
}


# The stages at which someone who does not run projects (a proposer) may change one.
PROPOSERS_EDIT = (Stage.PROPOSAL,)


def may_edit_project(user: "User | AnonymousUser", project: Project | None) -> bool:
    """Who changes a project's record (with its participants) where projects may be changed at
    all. Programme staff, who run projects, change any; anyone else (a proposer) only a proposal
    still being prepared, at the proposal stage (where a returned one comes back): once it is
    submitted, the record is what the reviewers read and the approvers approve."""
    return user.has_perm(RUN) or project is None or project.stage in PROPOSERS_EDIT


def projects_editable_by(user: "User | AnonymousUser") -> "QuerySet[Project]":
    """The projects `may_edit_project` lets the user change."""
    projects = Project.objects.all()
    return projects if user.has_perm(RUN) else projects.filter(stage__in=PROPOSERS_EDIT)


def may_publish_project(user: "User | AnonymousUser") -> bool:
    """Putting a project on the public showcase (or taking it off) is programme staff's."""
    return user.has_perm(RUN)


# What a partner organisation's key (capability projects:workflow) may do on a project its
# organisation takes part in: propose, and report the start and completion of the work.
KEY_ACTIONS = (Action.SUBMIT, Action.WITHDRAW, Action.START, Action.COMPLETE)
# Steps that must say why.
NEEDS_REASON = (Action.RETURN, Action.WITHDRAW)


class StepRefused(Conflict):
    """The project's stage does not allow the step, or a rule of the step refuses it now."""

    code = "workflow-step-refused"


@dataclass(frozen=True)
class StepDetails:
    """What a step records beyond who and when; each step reads the fields it needs."""

    date: datetime.date | None = None
    date_precision: str = DatePrecision.DAY
    document_number: str = ""
    comment: str = ""
    comment_public: bool = False
    side: str = ""
    opinion: str = ""
    amount: Decimal | None = None
    result: str = ""
    illustrative: bool = False
    # Recorded afterwards from a source that does not state the step's date (load_demo): the
    # approval may then be undated.
    undated_in_source: bool = False


def allowed_actions(project: Project) -> list[str]:
    """The steps the project's stage allows, in table order."""
    return [action for action, moves in TRANSITIONS.items() if project.stage in moves]


def _holds(user: "User | AnonymousUser", permission: str) -> bool:
    return bool(user.has_perm(permission))


def actions_for(project: Project, user: "User | AnonymousUser") -> list[str]:
    """The steps the stage allows that the user's roles let them take (the admin's buttons)."""
    return [
        action
        for action in allowed_actions(project)
        if any(_holds(user, permission) for permission in PERMISSIONS[action])
    ]


def review_sides(user: "User | AnonymousUser") -> list[str]:
    """The sides the user reviews for."""
    return [side for side, permission in REVIEW_PERMISSION.items() if _holds(user, permission)]


def _current_round(project: Project) -> list[WorkflowStep]:
    """The opinions recorded since the project was last submitted for review."""
    steps = list(project.steps.order_by("id"))
    last_submit = max(
        (index for index, step in enumerate(steps) if step.action == Action.SUBMIT), default=-1
    )
    return [step for step in steps[last_submit + 1 :] if step.action == Action.REVIEW]


def _check_actor(project: Project, action: str, actor: Actor, details: StepDetails) -> None:
    """The actor's right to take the step: a key by its organisation's part in the project
    (its capability is checked at the API edge), a user by their roles and the separation of
    duties. A step with neither (a command such as load_demo) is the operator's."""
    if actor.key is not None:
        if action not in KEY_ACTIONS:
            raise PermissionDenied(_("An API key cannot take this step; staff take it."))
        if not selectors.takes_part(project=project, organisation_id=actor.key.organisation_id):
            raise PermissionDenied(_("Your organisation does not take part in this project."))
        return
    user = actor.user
    if user is None:
        return
    if action == Action.REVIEW:
        allowed = _holds(user, REVIEW_PERMISSION[Side(details.side)]) if details.side else False
    else:
        allowed = any(_holds(user, permission) for permission in PERMISSIONS[action])
    if not allowed:
        raise PermissionDenied(_("Your roles do not let you take this step."))
    if action in (Action.REVIEW, Action.APPROVE):
        other = Action.APPROVE if action == Action.REVIEW else Action.REVIEW
        if project.steps.filter(action=other, user=user).exists():
            raise StepRefused(
                _(
                    "One person cannot both review and approve the same project: you "
                    "already took the step '%(step)s' on it."
                )
                % {"step": Action(other).label}
            )


def _check_details(project: Project, action: str, details: StepDetails) -> None:
    errors: dict[str, list[str]] = {}
    if details.date is not None:
        # A step records what has happened: between the programme's start and today (a day's
        # grace for the time zones of the two sides).
        try:
            check_reported_date(details.date, programme=project.programme, horizon_days=1)
        except ValidationError as refused:
            errors.update(refused.message_dict)
    if action in NEEDS_REASON and not details.comment.strip():
        errors["comment"] = [_("Say why.")]
    if action == Action.REVIEW:
        if details.side not in Side.values:
            errors["side"] = [_("Say which side the opinion is for.")]
        if details.opinion not in WorkflowStep.Opinion.values:
            errors["opinion"] = [_("Record the opinion: agree or disagree.")]
    if action == Action.APPROVE:
        if details.amount is None or details.amount < 0:
            errors["amount"] = [_("Give the approved amount.")]
        if not details.document_number.strip():
            errors["document_number"] = [_("Give the approval's document number.")]
        if details.date is None and not details.undated_in_source:
            errors["date"] = [_("Give the approval's date.")]
    if action == Action.ACCEPT:
        if details.result not in WorkflowStep.Result.values:
            errors["result"] = [_("Record the acceptance result.")]
        if not details.document_number.strip():
            errors["document_number"] = [_("Give the acceptance report's number.")]
    if errors:
        raise ValidationError(errors)
    if action == Action.APPROVE:
        opinions = {step.side: step.opinion for step in _current_round(project)}
        agree = WorkflowStep.Opinion.AGREE
        if opinions.get(Side.DONOR) != agree or opinions.get(Side.PARTNER) != agree:
            raise StepRefused(
                _(
                    "Both sides' reviewers must record that they agree before the project is "
                    "approved."
                )
            )


def _refuse(project: Project, action: str) -> StepRefused:
    allowed = ", ".join(str(Action(name).label) for name in allowed_actions(project))
    return StepRefused(
        _(
            "The project is at the stage %(stage)s: it cannot take the step '%(action)s' "
            "(steps allowed now: %(allowed)s)."
        )
        % {
            "stage": project.get_stage_display(),
            "action": Action(action).label if action in Action.values else action,
            "allowed": allowed or _("none"),
        }
    )


def _date_milestone(project: Project, action: str, details: StepDetails) -> None:
    kind = MILESTONE_OF_STEP.get(action)
    if kind is None or details.date is None:
        return
    milestone = project.milestones.filter(kind=kind).first() or Milestone(
        project=project, kind=kind
    )
    if milestone.actual_date == details.date and milestone.date_precision == details.date_precision:
        return
    milestone.actual_date = details.date
    milestone.date_precision = details.date_precision
    milestone.illustrative = details.illustrative
    # The untranslated column holds the default language, whatever language is active.
    with translation.override(settings.LANGUAGE_CODE):
        milestone.save()


@transaction.atomic
def take_step(
    *, project: Project, action: str, actor: Actor, details: StepDetails | None = None
) -> WorkflowStep:
    """Take one lifecycle step, or refuse it: the table must allow it from the project's stage,
    the actor must hold the role, the step must carry what it records (approval: document
    number, date and amount; acceptance: result and report number; return and withdrawal: a
    reason; review: side and opinion). Moves the stage and the status it means, dates the
    step's milestone and, on approval, sets the planned investment to the approved amount."""
    details = details or StepDetails()
    project = Project.objects.select_for_update().get(pk=project.pk)
    moves = TRANSITIONS.get(action)
    if moves is None or project.stage not in moves:
        raise _refuse(project, action)
    _check_actor(project, action, actor, details)
    _check_details(project, action, details)
    before, after = project.stage, moves[project.stage]
    step = WorkflowStep(
        project=project,
        action=action,
        from_stage=before,
        to_stage=after,
        date=details.date,
        date_precision=details.date_precision,
        document_number=details.document_number.strip(),
        comment=details.comment.strip(),
        comment_public=details.comment_public,
        side=details.side if action == Action.REVIEW else "",
        opinion=details.opinion if action == Action.REVIEW else "",
        amount=details.amount if action == Action.APPROVE else None,
        result=details.result if action == Action.ACCEPT else "",
        illustrative=details.illustrative,
    )
    step.actor = actor
    step.full_clean()
    step.save()
    record_event(record=WORKFLOW_STEP, instance=step, change=POSTED, public=project.published)
    if before != after or action == Action.APPROVE:
        project.stage = after
        project.status = STATUS_OF_STAGE[after]
        if action == Action.APPROVE:
            assert details.amount is not None
            project.planned_investment = details.amount
        # A full save, so the funding rollups' signals see a changed plan or status.
        project.save()
    _date_milestone(project, action, details)
    return step


def derived_milestone_kinds(project: Project) -> set[str]:
    """The milestone kinds a dated step of the project has set: read-only in the admin."""
    actions = project.steps.filter(
        action__in=list(MILESTONE_OF_STEP), date__isnull=False
    ).values_list("action", flat=True)
    return {MILESTONE_OF_STEP[action] for action in actions}


# Plan adjustments: after approval and before handover.
ADJUSTABLE = (Stage.APPROVED, Stage.IN_PROGRESS, Stage.COMPLETED)


def check_adjustment(*, project: Project, reason: str) -> None:
    """Whether the project's plan may be adjusted now (the admin's form asks before saving)."""
    if project.stage not in ADJUSTABLE:
        raise StepRefused(
            _(
                "Only an approved project that is not yet accepted can have its plan adjusted; "
                "this one is at the stage %(stage)s. Before approval, change the proposal."
            )
            % {"stage": project.get_stage_display()}
        )
    if project.adjustments.filter(status=PlanAdjustment.Status.REQUESTED).exists():
        raise StepRefused(_("This project already has a plan adjustment waiting for a decision."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the plan changes.")]})


@transaction.atomic
def request_adjustment(
    *,
    project: Project,
    planned_investment: Decimal,
    reason: str,
    scope: str = "",
    user: "User | None" = None,
) -> PlanAdjustment:
    """Ask to change an approved project's planned investment or scope. Nothing public changes
    until an approver approves it; a project has one open request at a time."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if user is not None and not _holds(user, RUN):
        raise PermissionDenied(_("Your roles do not let you request a plan adjustment."))
    check_adjustment(project=project, reason=reason)
    adjustment = PlanAdjustment(
        project=project,
        planned_investment=planned_investment,
        previous_investment=project.planned_investment,
        scope=scope.strip(),
        reason=reason.strip(),
        requested_by=user,
    )
    adjustment.full_clean()
    adjustment.save()
    return adjustment


@transaction.atomic
def decide_adjustment(
    *,
    adjustment: PlanAdjustment,
    approve: bool,
    on: datetime.date,
    document_number: str = "",
    comment: str = "",
    user: "User | None" = None,
) -> PlanAdjustment:
    """Approve or reject a requested plan adjustment. Approval (with its document number) sets
    the project's planned investment, which is what the public pages show from then on; the
    person who requested it does not decide it."""
    adjustment = PlanAdjustment.objects.select_for_update().get(pk=adjustment.pk)
    if user is not None:
        if not _holds(user, APPROVE):
            raise PermissionDenied(_("Your roles do not let you decide plan adjustments."))
        if adjustment.requested_by_id == user.pk:
            raise StepRefused(_("One person cannot both request and decide a plan adjustment."))
    if adjustment.status != PlanAdjustment.Status.REQUESTED:
        raise StepRefused(_("This plan adjustment has already been decided."))
    if approve and not document_number.strip():
        raise ValidationError({"document_number": [_("Give the approval's document number.")]})
    project = Project.objects.select_for_update().get(pk=adjustment.project_id)
    check_reported_date(on, programme=project.programme, field="decided_on", horizon_days=1)
    adjustment.status = (
        PlanAdjustment.Status.APPROVED if approve else PlanAdjustment.Status.REJECTED
    )
    adjustment.decided_on = on
    adjustment.decided_at = timezone.now()
    adjustment.decided_by = user
    adjustment.document_number = document_number.strip()
    adjustment.decision_comment = comment.strip()
    if approve:
        adjustment.previous_investment = project.planned_investment
        project.planned_investment = adjustment.planned_investment
        project.save()
    adjustment.save()
    return adjustment
