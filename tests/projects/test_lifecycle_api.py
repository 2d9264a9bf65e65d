"""/api/v1/projects/{code}/workflow/: the public history, and a partner key's steps."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from api.actors import Actor
from api.keys import issue_api_key
from projects import lifecycle
from projects.lifecycle import StepDetails
from projects.models import Project, Stage, WorkflowStep
from tests.factories import OrganisationFactory, ParticipantFactory, ProjectFactory

pytestmark = pytest.mark.django_db

Action = WorkflowStep.Action


def key_client(organisation, *capabilities: str) -> Client:
    key = issue_api_key(organisation=organisation, name="k", capabilities=list(capabilities))[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def partner():
    organisation = OrganisationFactory(code="seni-dev")
    project = ProjectFactory(code="P-LIFE", published=False)
    Project.objects.filter(pk=project.pk).update(stage=Stage.PROPOSAL)
    ParticipantFactory(project=project, organisation=organisation)
    return organisation, project


def url(code: str) -> str:
    return f"/api/v1/projects/{code}/workflow/"


def test_a_partner_key_submits_its_proposal_and_a_step_the_stage_refuses_is_a_409(partner):
    organisation, project = partner
    client = key_client(organisation, "projects:workflow")

    answer = client.post(
        url(project.code),
        {"step": "submit", "date": "2024-02-01", "document_number": "色发改〔2024〕3号"},
        content_type="application/json",
    )

    assert answer.status_code == 201, answer.content
    assert answer.json()["stage"] == "review"
    step = project.steps.get()
    assert step.api_key.organisation == organisation and step.user is None
    refused = client.post(
        url(project.code),
        {"step": "start", "date": "2024-02-02"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 409
    assert refused.json()["type"] == "/api/v1/problems/workflow-step-refused"
    assert "review" in refused.json()["detail"].lower()
    assert project.steps.count() == 1
    assert Client().get("/api/v1/problems/workflow-step-refused").status_code == 200


def test_keys_and_callers_that_may_not_take_a_step_are_refused(partner):
    organisation, project = partner
    body = {"step": "submit", "date": "2024-02-01"}
    outsider = key_client(OrganisationFactory(), "projects:workflow")
    staff = User.objects.create_user("staff", is_staff=True)
    staff.groups.add(Group.objects.get(name="Project proposer"))
    staff_client = Client()
    staff_client.force_login(staff)

    answers = {
        "anonymous": Client().post(url(project.code), body, content_type="application/json"),
        "no capability": key_client(organisation).post(
            url(project.code), body, content_type="application/json"
        ),
        "other organisation": outsider.post(
            url(project.code), body, content_type="application/json"
        ),
        "staff": staff_client.post(url(project.code), body, content_type="application/json"),
        "staff step": key_client(organisation, "projects:workflow").post(
            url(project.code),
            {"step": "approve", "date": "2024-02-01"},
            content_type="application/json",
        ),
    }

    assert {name: answer.status_code for name, answer in answers.items()} == {
        "anonymous": 401,
        "no capability": 403,
        "other organisation": 404,
        "staff": 403,
        "staff step": 400,
    }
    assert answers["no capability"].json()["capability"] == "projects:workflow"
    assert project.steps.count() == 0


def test_the_public_history_shows_public_fields_only():
    project = ProjectFactory(code="P-PUB")
    Project.objects.filter(pk=project.pk).update(stage=Stage.REVIEW)
    reviewer = User.objects.create_user("reviewer-name", is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Project reviewer (donor side)"))
    reviewer = User.objects.get(pk=reviewer.pk)
    lifecycle.take_step(
        project=project,
        action=Action.REVIEW,
        actor=Actor(user=reviewer),
        details=StepDetails(side="donor", opinion="agree", comment="内部审查意见"),
    )
    lifecycle.take_step(
        project=project,
        action=Action.REVIEW,
        actor=Actor(),
        details=StepDetails(
            side="partner", opinion="agree", comment="公开意见", comment_public=True
        ),
    )
    lifecycle.take_step(
        project=project,
        action=Action.APPROVE,
        actor=Actor(),
        details=StepDetails(
            date=datetime.date(2024, 3, 1),
            document_number="杭援批〔2024〕9号",
            amount=Decimal("880000.00"),
        ),
    )

    answer = Client().get(url("P-PUB"), HTTP_ACCEPT_LANGUAGE="en")

    assert answer.status_code == 200
    body = answer.json()
    text = answer.content.decode()
    assert "内部审查意见" not in text and "reviewer-name" not in text
    assert [step["step"] for step in body["steps"]] == ["review", "review", "approve"]
    assert body["steps"][1]["comment"] == "公开意见"
    assert body["steps"][2]["document_number"] == "杭援批〔2024〕9号"
    assert body["approved_plan"] == {
        "amount": "880000.00",
        "date": "2024-03-01",
        "date_precision": "day",
        "document_number": "杭援批〔2024〕9号",
        "adjusted": False,
        "illustrative": False,
    }
    assert (body["stage"], body["stage_label"]) == ("approved", "Approved")


def test_an_unpublished_projects_history_is_not_found(partner):
    _organisation, project = partner
    assert Client().get(url(project.code)).status_code == 404


def test_the_history_reads_in_constant_queries(django_assert_max_num_queries):
    project = ProjectFactory(code="P-Q")
    client = Client()

    def steps(count):
        for _ in range(count):
            WorkflowStep.objects.create(
                project=project,
                action="review",
                from_stage="review",
                to_stage="review",
                side="donor",
                opinion="agree",
            )

    steps(2)
    with django_assert_max_num_queries(6):
        assert client.get(url("P-Q")).status_code == 200
    steps(40)
    with django_assert_max_num_queries(6):
        assert len(client.get(url("P-Q")).json()["steps"]) == 42
