"""The demo projects taken through their lifecycle as far as the report says each has gone.

Each project's stage follows from its status and its milestones in the demo file: a project in
implementation is in progress; one in finalisation is completed, or handed over when the file
dates its handover. Every step goes through `projects.lifecycle.take_step` as the operator (no
user or key), dated by the milestone the file gives for it, and undated where the file is
silent. The reviewers' opinions and the document numbers are made up, so those steps are marked
illustrative, as is any step whose date comes from an illustrative milestone; the made-up
document numbers are plain codes (the project's code, P1 for the approval 批复, Y1 for the
acceptance 验收), so that no page presents them as a real 文号. A project that
already has steps is left alone, so a second load writes nothing.
"""

import datetime
from typing import Any

from core.demo import Tally
from projects import lifecycle
from projects.lifecycle import StepDetails
from projects.models import Milestone, Project, Stage, WorkflowStep
from reference.models import DatePrecision

Action = WorkflowStep.Action

# The stage each status reaches, and the steps from proposal to each stage.
STAGE_OF_STATUS = {
    Project.Status.IMPLEMENTATION: Stage.IN_PROGRESS,
    Project.Status.FINALISATION: Stage.COMPLETED,
}
ROUTE: dict[str, list[str]] = {
    Stage.IN_PROGRESS: [Action.SUBMIT, Action.REVIEW, Action.REVIEW, Action.APPROVE, Action.START],
    Stage.COMPLETED: [
        Action.SUBMIT,
        Action.REVIEW,
        Action.REVIEW,
        Action.APPROVE,
        Action.START,
        Action.COMPLETE,
    ],
}
ROUTE[Stage.HANDED_OVER] = [*ROUTE[Stage.COMPLETED], Action.ACCEPT, Action.HAND_OVER]
# Illustrative opinions; only staff read a step's comment.
OPINIONS = {
    WorkflowStep.Side.DONOR: "示例意见：杭州市援藏指挥部审查同意。",
    WorkflowStep.Side.PARTNER: "示例意见：色尼区发展和改革委员会审查同意。",
}


def target_stage(project: Project, milestones: dict[str, Milestone]) -> str | None:
    stage = STAGE_OF_STATUS.get(Project.Status(project.status))
    handover = milestones.get(Milestone.Kind.HANDOVER)
    if stage == Stage.COMPLETED and handover is not None and handover.actual_date:
        return Stage.HANDED_OVER
    return stage


def _dated(milestone: Milestone | None) -> tuple[datetime.date | None, str, bool]:
    """A step's date, precision and whether the date is illustrative, from its milestone."""
    if milestone is None or milestone.actual_date is None:
        return None, DatePrecision.DAY, False
    return milestone.actual_date, milestone.date_precision, milestone.illustrative


def _details(project: Project, action: str, sides: list[Any], milestones: dict) -> StepDetails:
    kind = lifecycle.MILESTONE_OF_STEP.get(action)
    if action == Action.REVIEW:
        kind = Milestone.Kind.APPROVAL
    date, precision, made_up = _dated(milestones.get(kind) if kind else None)
    if action in (Action.SUBMIT, Action.ACCEPT):
        date, made_up = None, False
    base: dict[str, Any] = {
        "date": date,
        "date_precision": precision,
        "illustrative": made_up,
        "undated_in_source": True,
    }
    if action == Action.REVIEW:
        side = sides.pop(0)
        return StepDetails(
            **{**base, "illustrative": True},
            side=side,
            opinion=WorkflowStep.Opinion.AGREE,
            comment=OPINIONS[side],
        )
    if action == Action.APPROVE:
        return StepDetails(
            **{**base, "illustrative": True},
            amount=project.planned_investment,
            document_number=f"{project.code}-P1",
        )
    if action == Action.ACCEPT:
        return StepDetails(
            **{**base, "illustrative": True},
            result=WorkflowStep.Result.PASSED,
            document_number=f"{project.code}-Y1",
        )
    return StepDetails(**base)


def take_through(projects: dict[str, Project], tally: Tally) -> None:
    for project in projects.values():
        existing = project.steps.count()
        if existing:
            tally.add("WorkflowStep", "unchanged", existing)
            continue
        milestones = {m.kind: m for m in project.milestones.all() if m.kind != "custom"}
        stage = target_stage(project, milestones)
        if stage is None:
            continue
        if project.stage != Stage.PROPOSAL:
            # Loaded before the lifecycle existed, its stage was inferred from its status by the
            # migration; the steps below record how it got there, from the proposal.
            Project.objects.filter(pk=project.pk).update(stage=Stage.PROPOSAL)
        sides = [WorkflowStep.Side.DONOR, WorkflowStep.Side.PARTNER]
        for action in ROUTE[stage]:
            lifecycle.take_step(
                project=project,
                action=action,
                actor=lifecycle.Actor(),
                details=_details(project, action, sides, milestones),
            )
            tally.add("WorkflowStep", "created")
