"""The project lifecycle (projects.lifecycle): the transition table pair by pair, the roles and
the separation of duties, the milestones it dates, plan adjustments, the desk and the demo."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import translation

from api.actors import Actor
from api.callers import Caller
from core.desks import queues_for
from funding import selectors as funding_selectors
from projects import lifecycle, selectors
from projects.lifecycle import StepDetails, StepRefused
from projects.models import Milestone, PlanAdjustment, Project, Stage, WorkflowStep
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

Action = WorkflowStep.Action
OPERATOR = Actor()
DAY = datetime.date(2024, 3, 1)


def staff(name: str, *groups: str) -> User:
    user = User.objects.create_user(name, is_staff=True)
    for group in groups:
        user.groups.add(Group.objects.get(name=group))
    return User.objects.get(pk=user.pk)  # a fresh permission cache


def details_for(action: str, side: str = "donor") -> StepDetails:
    """What each step must record to be accepted."""
    return StepDetails(
        date=DAY,
        document_number="杭援批〔2024〕1号",
        comment="理由",
        side=side if action == Action.REVIEW else "",
        opinion="agree" if action == Action.REVIEW else "",
        amount=Decimal("2500000.00") if action == Action.APPROVE else None,
        result="passed" if action == Action.ACCEPT else "",
    )


def project_at(stage: str, **fields) -> Project:
    project = ProjectFactory(**fields)
    Project.objects.filter(pk=project.pk).update(stage=stage)
    project.refresh_from_db()
    return project


def both_sides_agree(project: Project) -> None:
    for side in ("donor", "partner"):
        lifecycle.take_step(
            project=project,
            action=Action.REVIEW,
            actor=OPERATOR,
            details=details_for(Action.REVIEW, side),
        )


# The lifecycle as the issue states it (申报 → 联审 → 批复 → 实施 → 竣工 → 验收 → 移交, returned or
# withdrawn with a reason), written out here rather than read from the code under test.
AGREED = {
    Action.SUBMIT: {Stage.PROPOSAL: Stage.REVIEW},
    Action.REVIEW: {Stage.REVIEW: Stage.REVIEW},
    Action.APPROVE: {Stage.REVIEW: Stage.APPROVED},
    Action.RETURN: {Stage.REVIEW: Stage.PROPOSAL, Stage.COMPLETED: Stage.IN_PROGRESS},
    Action.START: {Stage.APPROVED: Stage.IN_PROGRESS},
    Action.COMPLETE: {Stage.IN_PROGRESS: Stage.COMPLETED},
    Action.ACCEPT: {Stage.COMPLETED: Stage.ACCEPTED},
    Action.HAND_OVER: {Stage.ACCEPTED: Stage.HANDED_OVER},
    Action.WITHDRAW: {
        stage: Stage.WITHDRAWN
        for stage in (Stage.PROPOSAL, Stage.REVIEW, Stage.APPROVED, Stage.IN_PROGRESS)
    },
}
PAIRS = [(stage, action) for stage in Stage.values for action in Action.values]


@pytest.mark.parametrize(("stage", "action"), PAIRS)
def test_every_stage_and_step_pair_follows_the_table(stage, action):
    project = project_at(stage)
    if (stage, action) == (Stage.REVIEW, Action.APPROVE):
        both_sides_agree(project)
    before = project.steps.count()
    allowed = stage in AGREED[action]

    if not allowed:
        with pytest.raises(StepRefused) as refused:
            lifecycle.take_step(
                project=project, action=action, actor=OPERATOR, details=details_for(action)
            )
        assert str(Action(action).label) in str(refused.value)
        project.refresh_from_db()
        assert project.stage == stage
        assert project.steps.count() == before
        return

    step = lifecycle.take_step(
        project=project, action=action, actor=OPERATOR, details=details_for(action)
    )
    project.refresh_from_db()
    expected = AGREED[action][stage]
    assert (step.from_stage, step.to_stage, project.stage) == (stage, expected, expected)
    if expected != stage:
        assert project.status == lifecycle.STATUS_OF_STAGE[expected]
    assert project.steps.count() == before + 1


def test_the_table_names_every_stage_and_handover_is_reachable_from_the_proposal():
    project = project_at(Stage.PROPOSAL)
    route = [
        Action.SUBMIT,
        Action.REVIEW,
        Action.REVIEW,
        Action.APPROVE,
        Action.START,
        Action.COMPLETE,
        Action.ACCEPT,
        Action.HAND_OVER,
    ]
    sides = iter(["donor", "partner"])
    for action in route:
        side = next(sides) if action == Action.REVIEW else "donor"
        lifecycle.take_step(
            project=project, action=action, actor=OPERATOR, details=details_for(action, side)
        )
    project.refresh_from_db()
    assert project.stage == Stage.HANDED_OVER
    assert project.status == Project.Status.FINALISATION
    assert project.planned_investment == Decimal("2500000.00")
    dated = dict(project.milestones.values_list("kind", "actual_date"))
    assert dated == {
        Milestone.Kind.APPROVAL: DAY,
        Milestone.Kind.CONSTRUCTION_START: DAY,
        Milestone.Kind.COMPLETION: DAY,
        Milestone.Kind.HANDOVER: DAY,
    }


def test_approval_waits_for_both_sides_to_agree_in_the_current_round():
    project = project_at(Stage.REVIEW)
    lifecycle.take_step(
        project=project,
        action=Action.REVIEW,
        actor=OPERATOR,
        details=details_for(Action.REVIEW, "donor"),
    )
    with pytest.raises(StepRefused, match="双方审查人员须均填写同意意见"):
        lifecycle.take_step(
            project=project,
            action=Action.APPROVE,
            actor=OPERATOR,
            details=details_for(Action.APPROVE),
        )
    lifecycle.take_step(
        project=project,
        action=Action.REVIEW,
        actor=OPERATOR,
        details=StepDetails(side="partner", opinion="disagree"),
    )
    with pytest.raises(StepRefused, match="双方审查人员须均填写同意意见"):
        lifecycle.take_step(
            project=project,
            action=Action.APPROVE,
            actor=OPERATOR,
            details=details_for(Action.APPROVE),
        )
    # Returned and submitted again: the first round's opinions no longer count.
    lifecycle.take_step(
        project=project, action=Action.RETURN, actor=OPERATOR, details=details_for(Action.RETURN)
    )
    lifecycle.take_step(project=project, action=Action.SUBMIT, actor=OPERATOR)
    lifecycle.take_step(
        project=project,
        action=Action.REVIEW,
        actor=OPERATOR,
        details=details_for(Action.REVIEW, "partner"),
    )
    with pytest.raises(StepRefused, match="双方审查人员须均填写同意意见"):
        lifecycle.take_step(
            project=project,
            action=Action.APPROVE,
            actor=OPERATOR,
            details=details_for(Action.APPROVE),
        )


@pytest.mark.parametrize(
    ("action", "field", "details"),
    [
        (Action.APPROVE, "document_number", StepDetails(date=DAY, amount=Decimal(1))),
        (Action.APPROVE, "amount", StepDetails(date=DAY, document_number="批〔2024〕1号")),
        (Action.APPROVE, "date", StepDetails(amount=Decimal(1), document_number="批〔2024〕1号")),
        (Action.RETURN, "comment", StepDetails(date=DAY)),
        (Action.WITHDRAW, "comment", StepDetails(date=DAY)),
        (Action.REVIEW, "opinion", StepDetails(date=DAY, side="donor")),
    ],
)
def test_a_step_without_what_it_records_is_a_field_error_and_writes_nothing(action, field, details):
    project = project_at(Stage.REVIEW)
    if action == Action.APPROVE:
        both_sides_agree(project)
    before = project.steps.count()
    with pytest.raises(ValidationError) as error:
        lifecycle.take_step(project=project, action=action, actor=OPERATOR, details=details)
    assert field in error.value.message_dict
    project.refresh_from_db()
    assert (project.stage, project.steps.count()) == (Stage.REVIEW, before)


def test_acceptance_needs_a_result_and_its_report():
    project = project_at(Stage.COMPLETED)
    with pytest.raises(ValidationError) as error:
        lifecycle.take_step(
            project=project, action=Action.ACCEPT, actor=OPERATOR, details=StepDetails(date=DAY)
        )
    assert {"result", "document_number"} <= set(error.value.message_dict)


def test_one_person_cannot_both_review_and_approve_the_same_project():
    both = staff("both", "Project reviewer (donor side)", "Project approver")
    partner = staff("partner", "Project reviewer (partner side)")
    project = project_at(Stage.REVIEW)
    lifecycle.take_step(
        project=project,
        action=Action.REVIEW,
        actor=Actor(user=both),
        details=details_for(Action.REVIEW, "donor"),
    )
    lifecycle.take_step(
        project=project,
        action=Action.REVIEW,
        actor=Actor(user=partner),
        details=details_for(Action.REVIEW, "partner"),
    )

    with pytest.raises(StepRefused, match="既审查又批复"):
        lifecycle.take_step(
            project=project,
            action=Action.APPROVE,
            actor=Actor(user=both),
            details=details_for(Action.APPROVE),
        )
    approver = staff("approver", "Project approver")
    lifecycle.take_step(
        project=project,
        action=Action.APPROVE,
        actor=Actor(user=approver),
        details=details_for(Action.APPROVE),
    )
    project.refresh_from_db()
    assert project.stage == Stage.APPROVED


def test_whoever_approved_a_project_does_not_review_it_in_a_later_round():
    both = staff("both", "Project reviewer (donor side)", "Project approver")
    project = project_at(Stage.REVIEW)
    both_sides_agree(project)
    lifecycle.take_step(
        project=project,
        action=Action.APPROVE,
        actor=Actor(user=both),
        details=details_for(Action.APPROVE),
    )
    Project.objects.filter(pk=project.pk).update(stage=Stage.REVIEW)
    with pytest.raises(StepRefused, match="既审查又批复"):
        lifecycle.take_step(
            project=project,
            action=Action.REVIEW,
            actor=Actor(user=both),
            details=details_for(Action.REVIEW, "donor"),
        )


@pytest.mark.parametrize(
    ("group", "stage", "action", "side"),
    [
        ("Project reviewer (donor side)", Stage.PROPOSAL, Action.SUBMIT, ""),
        ("Project proposer", Stage.REVIEW, Action.APPROVE, ""),
        ("Project proposer", Stage.REVIEW, Action.REVIEW, "partner"),
        ("Project reviewer (donor side)", Stage.REVIEW, Action.REVIEW, "partner"),
        ("Project reviewer (partner side)", Stage.REVIEW, Action.APPROVE, ""),
        ("Project approver", Stage.APPROVED, Action.START, ""),
        ("Programme staff", Stage.REVIEW, Action.APPROVE, ""),
        ("Auditor", Stage.COMPLETED, Action.ACCEPT, ""),
    ],
)
def test_a_role_without_the_step_is_refused_and_nothing_is_written(group, stage, action, side):
    user = staff("someone", group)
    project = project_at(stage)
    if action == Action.APPROVE:
        both_sides_agree(project)
    before = project.steps.count()
    with pytest.raises(PermissionDenied):
        lifecycle.take_step(
            project=project,
            action=action,
            actor=Actor(user=user),
            details=details_for(action, side or "donor"),
        )
    assert project.steps.count() == before


def test_each_role_takes_its_own_steps():
    proposer = staff("proposer", "Project proposer")
    donor = staff("donor", "Project reviewer (donor side)")
    partner = staff("partner", "Project reviewer (partner side)")
    approver = staff("approver", "Project approver")
    runner = staff("runner", "Programme staff")
    project = project_at(Stage.PROPOSAL)
    for user, action, side in [
        (proposer, Action.SUBMIT, ""),
        (donor, Action.REVIEW, "donor"),
        (partner, Action.REVIEW, "partner"),
        (approver, Action.APPROVE, ""),
        (runner, Action.START, ""),
        (runner, Action.COMPLETE, ""),
        (runner, Action.ACCEPT, ""),
        (runner, Action.HAND_OVER, ""),
    ]:
        lifecycle.take_step(
            project=project,
            action=action,
            actor=Actor(user=user),
            details=details_for(action, side or "donor"),
        )
    project.refresh_from_db()
    assert project.stage == Stage.HANDED_OVER
    assert list(project.steps.values_list("user__username", flat=True)) == [
        "proposer",
        "donor",
        "partner",
        "approver",
        "runner",
        "runner",
        "runner",
        "runner",
    ]


def test_the_desk_lists_each_roles_waiting_steps():
    donor = staff("donor", "Project reviewer (donor side)")
    partner = staff("partner", "Project reviewer (partner side)")
    approver = staff("approver", "Project approver")
    project = project_at(Stage.REVIEW, code="P-DESK")

    def titles(user):
        with translation.override("en"):
            return {str(q.title): [item.label for item in q.items] for q in queues_for(user)}

    assert "P-DESK" in titles(donor)["Projects awaiting the donor side's review"][0]
    assert titles(approver)["Projects both sides agree to, awaiting approval"] == []
    assert "Projects awaiting the donor side's review" not in titles(partner)
    lifecycle.take_step(
        project=project,
        action=Action.REVIEW,
        actor=Actor(user=donor),
        details=details_for(Action.REVIEW, "donor"),
    )
    assert titles(donor)["Projects awaiting the donor side's review"] == []
    assert "P-DESK" in titles(partner)["Projects awaiting the partner side's review"][0]
    lifecycle.take_step(
        project=project,
        action=Action.REVIEW,
        actor=Actor(user=partner),
        details=details_for(Action.REVIEW, "partner"),
    )
    assert "P-DESK" in titles(approver)["Projects both sides agree to, awaiting approval"][0]


def approved_project(amount: str = "1000000.00") -> Project:
    project = project_at(Stage.REVIEW, planned_investment=Decimal(amount))
    both_sides_agree(project)
    lifecycle.take_step(
        project=project,
        action=Action.APPROVE,
        actor=OPERATOR,
        details=StepDetails(
            date=DAY, document_number="杭援批〔2024〕7号", amount=Decimal("1200000.00")
        ),
    )
    project.refresh_from_db()
    return project


def test_a_plan_adjustment_changes_the_public_figure_only_once_approved(client):
    runner = staff("runner", "Programme staff")
    approver = staff("approver", "Project approver")
    project = approved_project()
    plan = selectors.approved_plan(project)
    assert plan is not None
    assert (plan.amount, plan.date, plan.adjusted) == (Decimal("1200000.00"), DAY, False)

    adjustment = lifecycle.request_adjustment(
        project=project,
        planned_investment=Decimal("1500000.00"),
        reason="增加附属工程",
        user=runner,
    )
    project.refresh_from_db()
    assert project.planned_investment == Decimal("1200000.00")
    totals = funding_selectors.totals(
        funding_selectors.projects_in_scope(public=True, programme=project.programme)
    )
    assert totals.planned == Decimal("1200000.00")
    page = client.get(f"/en/projects/{project.code}/").content.decode()
    assert "1,200,000" in page and "1,500,000" not in page

    lifecycle.decide_adjustment(
        adjustment=adjustment,
        approve=True,
        on=datetime.date(2024, 9, 2),
        document_number="杭援调〔2024〕2号",
        user=approver,
    )
    project.refresh_from_db()
    assert project.planned_investment == Decimal("1500000.00")
    assert funding_selectors.totals(
        funding_selectors.projects_in_scope(public=True, programme=project.programme)
    ).planned == Decimal("1500000.00")
    plan = selectors.approved_plan(project)
    assert plan is not None
    assert (plan.amount, plan.date, plan.adjusted) == (
        Decimal("1500000.00"),
        datetime.date(2024, 9, 2),
        True,
    )
    adjustment.refresh_from_db()
    assert adjustment.previous_investment == Decimal("1200000.00")
    page = client.get(f"/en/projects/{project.code}/").content.decode()
    assert "1,500,000" in page and "2024-09-02" in page


def test_a_rejected_adjustment_changes_nothing_and_every_version_stays():
    approver = staff("approver", "Project approver")
    project = approved_project()
    first = lifecycle.request_adjustment(
        project=project, planned_investment=Decimal("9.00"), reason="试"
    )
    lifecycle.decide_adjustment(adjustment=first, approve=False, on=DAY, user=approver)
    second = lifecycle.request_adjustment(
        project=project, planned_investment=Decimal("1300000.00"), reason="再试"
    )
    lifecycle.decide_adjustment(
        adjustment=second, approve=True, on=DAY, document_number="调2号", user=approver
    )
    project.refresh_from_db()
    assert project.planned_investment == Decimal("1300000.00")
    assert list(project.adjustments.values_list("planned_investment", "status")) == [
        (Decimal("9.00"), PlanAdjustment.Status.REJECTED),
        (Decimal("1300000.00"), PlanAdjustment.Status.APPROVED),
    ]


def test_plan_adjustment_rules():
    runner = staff("runner", "Programme staff", "Project approver")
    proposal = project_at(Stage.PROPOSAL)
    with pytest.raises(StepRefused):
        lifecycle.request_adjustment(project=proposal, planned_investment=Decimal(1), reason="太早")
    project = approved_project()
    adjustment = lifecycle.request_adjustment(
        project=project, planned_investment=Decimal(1), reason="一", user=runner
    )
    with pytest.raises(StepRefused):
        lifecycle.request_adjustment(project=project, planned_investment=Decimal(2), reason="二")
    with pytest.raises(StepRefused, match="既申请又审批"):
        lifecycle.decide_adjustment(
            adjustment=adjustment, approve=True, on=DAY, document_number="x", user=runner
        )
    proposer = staff("proposer", "Project proposer")
    with pytest.raises(PermissionDenied):
        lifecycle.decide_adjustment(
            adjustment=adjustment, approve=True, on=DAY, document_number="x", user=proposer
        )
    with pytest.raises(PermissionDenied):
        lifecycle.request_adjustment(
            project=project, planned_investment=Decimal(3), reason="三", user=proposer
        )


def test_the_public_page_shows_the_history_without_private_comments(client):
    project = approved_project()
    lifecycle.take_step(
        project=project,
        action=Action.START,
        actor=OPERATOR,
        details=StepDetails(date=datetime.date(2024, 7, 1), comment="内部意见：工期紧"),
    )
    for prefix in ("/en", ""):
        page = client.get(f"{prefix}/projects/{project.code}/").content.decode()
        assert 'data-step="approve"' in page and 'data-step="start"' in page
        assert "杭援批〔2024〕7号" in page
        assert "内部意见" not in page


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=None)


def test_the_demo_projects_stand_where_the_report_says(demo):
    stages = dict(Project.objects.values_list("code", "stage"))
    assert stages["HZSN-14-01"] == Stage.HANDED_OVER
    assert stages["HZSN-14-02"] == Stage.IN_PROGRESS
    assert set(stages.values()) == {Stage.HANDED_OVER, Stage.COMPLETED, Stage.IN_PROGRESS}
    handover = WorkflowStep.objects.get(project__code="HZSN-14-01", action=Action.HAND_OVER)
    assert (handover.date, handover.illustrative) == (datetime.date(2024, 6, 1), False)
    start = WorkflowStep.objects.get(project__code="HZSN-14-02", action=Action.START)
    assert (start.date, start.illustrative) == (datetime.date(2024, 7, 1), False)
    # Made-up opinions and document numbers are marked so.
    assert not WorkflowStep.objects.filter(
        action__in=[Action.REVIEW, Action.APPROVE, Action.ACCEPT], illustrative=False
    ).exists()
    # The statuses the file states are kept.
    assert dict(Project.objects.values_list("code", "status"))["HZSN-14-01"] == "finalisation"


def test_a_second_demo_load_takes_no_step(demo):
    before = WorkflowStep.objects.count()
    call_command("load_demo", stdout=None)
    assert WorkflowStep.objects.count() == before


def test_caller_scoped_queues_are_none_for_others():
    nobody = Caller(user=staff("nobody"))
    assert selectors.awaiting_approval(nobody) is None
    assert selectors.awaiting_review(nobody, "donor") is None
    assert selectors.adjustments_awaiting_decision(nobody) is None


def test_each_step_writes_its_change_feed_event_public_with_its_project():
    from changes.models import Event

    public = project_at(Stage.PROPOSAL)
    private = project_at(Stage.PROPOSAL, published=False)
    for project in (public, private):
        lifecycle.take_step(project=project, action=Action.SUBMIT, actor=OPERATOR)

    events = Event.objects.filter(type="workflow_step.posted").order_by("id")
    assert [(event.path, event.public) for event in events] == [
        (f"/api/v1/projects/{public.code}/workflow/", True),
        (f"/api/v1/projects/{private.code}/workflow/", False),
    ]
