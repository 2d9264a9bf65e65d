"""The lifecycle in the admin: buttons per role, confirmation pages, refusals as form errors,
derived fields read-only, plan adjustments requested and decided."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import translation

from api.actors import Actor
from projects import lifecycle
from projects.lifecycle import StepDetails
from projects.models import Participant, PlanAdjustment, Project, Stage, WorkflowStep
from tests.factories import OrganisationFactory, ProjectFactory
from tests.test_admin_languages import leftovers, stored_texts

pytestmark = pytest.mark.django_db

Action = WorkflowStep.Action


def signed_in(name: str, *groups: str) -> Client:
    user = User.objects.create_user(name, is_staff=True)
    for group in groups:
        user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


def project_at(stage: str) -> Project:
    project = ProjectFactory(code="P-ADM")
    Project.objects.filter(pk=project.pk).update(stage=stage)
    project.refresh_from_db()
    return project


def change_page(client: Client, project: Project) -> str:
    response = client.get(f"/en/admin/projects/project/{project.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_each_role_sees_the_buttons_of_its_steps_only():
    project = project_at(Stage.REVIEW)
    approver = change_page(signed_in("approver", "Project approver"), project)
    reviewer = change_page(signed_in("donor", "Project reviewer (donor side)"), project)
    auditor = change_page(signed_in("auditor", "Auditor"), project)

    assert 'data-step="approve"' in approver and 'data-step="review"' not in approver
    assert 'data-step="review"' in reviewer and 'data-step="approve"' not in reviewer
    assert "data-step=" not in auditor


def test_a_step_is_taken_after_its_confirmation_page():
    project = project_at(Stage.PROPOSAL)
    client = signed_in("proposer", "Project proposer")
    url = f"/en/admin/projects/project/{project.pk}/step/submit/"

    confirmation = client.get(url)
    assert confirmation.status_code == 200
    assert "moves from Proposal to Joint review" in confirmation.content.decode()
    assert ">Date precision:</label>" in confirmation.content.decode()
    assert project.steps.count() == 0

    done = client.post(url, {"date": "2024-02-01", "date_precision": "day", "comment": ""})
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.stage == Stage.REVIEW
    assert project.steps.get().user.username == "proposer"


def test_a_proposer_changes_a_proposal_only_and_never_publishes():
    proposal = project_at(Stage.PROPOSAL)
    Project.objects.filter(pk=proposal.pk).update(published=False)
    running = ProjectFactory(code="P-RUN", published=True)
    Project.objects.filter(pk=running.pk).update(stage=Stage.IN_PROGRESS)
    client = signed_in("proposer", "Project proposer")

    own = client.get(f"/en/admin/projects/project/{proposal.pk}/change/")
    assert own.context["has_change_permission"]
    assert "published" not in own.context["adminform"].form.fields  # shown, not editable
    approved = client.get(f"/en/admin/projects/project/{running.pk}/change/")
    assert approved.status_code == 200 and not approved.context["has_change_permission"]
    (participants,) = approved.context["inline_admin_formsets"]
    assert not (participants.has_add_permission or participants.has_change_permission)
    refused = client.post(f"/en/admin/projects/project/{running.pk}/change/", {"code": "X"})
    assert refused.status_code == 403
    listing = client.get("/en/admin/projects/project/")
    assert listing.context["cl"].formset is None  # no "published" tick boxes
    ticked = client.post(
        "/en/admin/projects/project/",
        {
            "_save": "Save",
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": proposal.pk,
            "form-0-published": "on",
        },
    )
    assert ticked.status_code in (200, 302)
    added = client.get("/en/admin/projects/project/add/")
    assert "published" not in added.context["adminform"].form.fields

    # Its participants likewise: a running project's are out of reach, on the project and alone.
    participant = Participant.objects.create(
        project=running, organisation=OrganisationFactory(), role="implementing"
    )
    alone = client.get(f"/en/admin/projects/participant/{participant.pk}/change/")
    assert not alone.context["has_change_permission"]
    moved = client.post(
        "/en/admin/projects/participant/add/",
        {"project": running.pk, "organisation": participant.organisation.pk, "role": "funding"},
    )
    assert moved.status_code == 200
    assert "project" in moved.context["adminform"].form.errors
    running.refresh_from_db()
    proposal.refresh_from_db()
    assert (running.code, proposal.published, running.participants.count()) == ("P-RUN", False, 1)


def test_programme_staff_change_and_publish_any_project():
    running = ProjectFactory(code="P-RUN", published=False)
    Project.objects.filter(pk=running.pk).update(stage=Stage.IN_PROGRESS)
    client = signed_in("runner", "Programme staff")

    page = client.get(f"/en/admin/projects/project/{running.pk}/change/")
    assert page.context["has_change_permission"]
    assert "published" in page.context["adminform"].form.fields
    assert client.get("/en/admin/projects/project/").context["cl"].formset is not None


def test_a_step_the_stage_does_not_allow_is_a_form_error_and_writes_nothing():
    project = project_at(Stage.PROPOSAL)
    client = signed_in("runner", "Programme staff")
    response = client.post(
        f"/en/admin/projects/project/{project.pk}/step/start/",
        {"date": "2024-02-01", "date_precision": "day", "document_number": ""},
    )
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert "cannot take the step" in " ".join(errors)
    assert project.steps.count() == 0


def test_a_role_without_the_step_gets_a_form_error():
    project = project_at(Stage.PROPOSAL)
    client = signed_in("auditor", "Auditor")
    response = client.post(
        f"/en/admin/projects/project/{project.pk}/step/submit/",
        {"date": "2024-02-01", "date_precision": "day"},
    )
    assert response.status_code == 200
    assert "Your roles do not let you" in " ".join(response.context["form"].non_field_errors())
    assert project.steps.count() == 0


def test_approval_without_its_document_number_is_a_field_error():
    project = project_at(Stage.REVIEW)
    for side in ("donor", "partner"):
        lifecycle.take_step(
            project=project,
            action=Action.REVIEW,
            actor=Actor(),
            details=StepDetails(side=side, opinion="agree"),
        )
    client = signed_in("approver", "Project approver")
    response = client.post(
        f"/en/admin/projects/project/{project.pk}/step/approve/",
        {"date": "2024-03-01", "date_precision": "day", "amount": "100", "document_number": ""},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["document_number"]
    project.refresh_from_db()
    assert project.stage == Stage.REVIEW


def test_after_approval_the_plan_and_the_derived_dates_are_read_only():
    project = project_at(Stage.REVIEW)
    for side in ("donor", "partner"):
        lifecycle.take_step(
            project=project,
            action=Action.REVIEW,
            actor=Actor(),
            details=StepDetails(side=side, opinion="agree"),
        )
    lifecycle.take_step(
        project=project,
        action=Action.APPROVE,
        actor=Actor(),
        details=StepDetails(
            date=datetime.date(2024, 3, 1), document_number="批1", amount=Decimal("5.00")
        ),
    )
    client = signed_in("superuser", "Programme staff")
    response = client.get(f"/en/admin/projects/project/{project.pk}/change/")
    form = response.context["adminform"].form
    assert "planned_investment" not in form.fields
    assert "status" not in form.fields
    milestone_form = next(
        f for f in response.context["inline_admin_formsets"][1].formset.forms if f.instance.pk
    )
    assert milestone_form.fields["actual_date"].disabled


def test_a_plan_adjustment_is_requested_then_decided_by_another_person():
    project = project_at(Stage.IN_PROGRESS)
    runner = signed_in("runner", "Programme staff")
    approver = signed_in("approver", "Project approver")

    early = runner.post(
        "/en/admin/projects/planadjustment/add/",
        {"project": project.pk, "planned_investment": "2000000.00", "scope": "", "reason": ""},
    )
    assert early.status_code == 200
    assert early.context["adminform"].form.errors["reason"]
    requested = runner.post(
        "/en/admin/projects/planadjustment/add/",
        {"project": project.pk, "planned_investment": "2000000.00", "scope": "", "reason": "扩建"},
    )
    assert requested.status_code == 302
    adjustment = PlanAdjustment.objects.get()
    assert adjustment.previous_investment == Decimal("1000000.00")
    project.refresh_from_db()
    assert project.planned_investment == Decimal("1000000.00")

    page = approver.get(f"/en/admin/projects/planadjustment/{adjustment.pk}/change/")
    assert 'data-decision="approve"' in page.content.decode()
    listing = approver.get("/en/admin/projects/planadjustment/").content.decode()
    assert "2,000,000.00" in listing and "1,000,000.00" in listing
    confirmation = approver.get(
        f"/en/admin/projects/planadjustment/{adjustment.pk}/decide/approve/"
    ).content.decode()
    # The figures as an approver reads them, grouped; the form's labels as the admin's own.
    assert "planned investment now 1,000,000 CNY, requested 2,000,000 CNY" in confirmation
    assert ">Decided on:</label>" in confirmation
    decided = approver.post(
        f"/en/admin/projects/planadjustment/{adjustment.pk}/decide/approve/",
        {"decided_on": "2024-09-01", "document_number": "调〔2024〕1号", "comment": ""},
    )
    assert decided.status_code == 302
    project.refresh_from_db()
    assert project.planned_investment == Decimal("2000000.00")


def test_a_proposal_already_under_adjustment_cannot_take_a_second_request():
    project = project_at(Stage.IN_PROGRESS)
    lifecycle.request_adjustment(project=project, planned_investment=Decimal(1), reason="一")
    runner = signed_in("runner", "Programme staff")
    response = runner.post(
        "/en/admin/projects/planadjustment/add/",
        {"project": project.pk, "planned_investment": "2.00", "scope": "", "reason": "二"},
    )
    assert response.status_code == 200
    assert "already has a plan adjustment" in response.content.decode()
    assert PlanAdjustment.objects.count() == 1


def test_the_step_and_decision_pages_speak_chinese():
    project = project_at(Stage.REVIEW)
    adjustment = PlanAdjustment.objects.create(
        project=project,
        planned_investment=Decimal("2.00"),
        previous_investment=Decimal("1.00"),
        reason="扩建",
    )
    client = signed_in("root-zh", "Project approver", "Project reviewer (donor side)")
    paths = [
        f"/admin/projects/project/{project.pk}/step/approve/",
        f"/admin/projects/project/{project.pk}/step/review/",
        f"/admin/projects/project/{project.pk}/step/withdraw/",
        f"/admin/projects/planadjustment/{adjustment.pk}/decide/approve/",
        f"/admin/projects/planadjustment/{adjustment.pk}/change/",
        f"/admin/projects/project/{project.pk}/change/",
    ]
    with translation.override("zh-hans"):
        data = stored_texts()
    ordered = sorted(data, key=lambda text: (-len(text), text))
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert not leftovers(response.content.decode(), "zh-hans", data, ordered), path
